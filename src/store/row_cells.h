// One result row read in place, for daira's own hot readers (services' page and author readers):
// the same values as the store::Row accessors, but texts handed out as views or written into the
// caller's strings (reusing their capacity), and cells read straight from the result — Postgres's
// flat cell table, or a materialized result's Values (SQLite) — without a call per cell. Anything
// else (a cell of another kind, a column out of range, a result read lazily) goes through the Row
// accessor itself, so results, conversions and errors are exactly Row's.
//
//   store::internal::RowCells cells(rs, i);            // or RowCells(row): every read through Row
//   DAIRA_ASSIGN_OR_RETURN(int64_t id, cells.CheckedInt64(c_id));
//   cells.TextInto(c_name, &hit.username);
//   std::string scratch;
//   if (!model::Parse(cells.TextView(c_status, &scratch), &status)) ...
//
// Internal (src/store): the public Row keeps its accessors; this header gives the library's readers
// what a public string-view accessor would, without changing a widely included public header.
// Thread-compatible; valid while the ResultSet lives and is not modified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daira/store/result_set.h"
#include "daira/store/value.h"
#include "store/result_source.h"

namespace daira::inline v0::store::internal {

class RowCells {
 public:
  // Row `row` of `rs` (row < rs.size()).
  RowCells(const ResultSet& rs, size_t row) : row_(rs.row(row)), cols_(rs.column_count()) {
    if (const ResultSource* s = rs.source(); s != nullptr) {
      flat_ = s->Flat(row, 0);  // null when the source reads lazily
    } else if (cols_ > 0) {
      values_ = &rs.at(row, 0);
    }
  }
  // Every read through `row`'s accessors (a reader handed a Row only).
  explicit RowCells(const Row& row) : row_(row), cols_(0) {}

  const Row& row() const { return row_; }

  bool IsNull(int col) const {
    if (!InRange(col)) return row_.IsNull(col);
    if (flat_ != nullptr) return flat_[col].kind == Kind::kNull;
    if (values_ != nullptr) return values_[col].is_null();
    return row_.IsNull(col);
  }

  // Row::Int64.
  int64_t Int64(int col) const {
    if (InRange(col)) {
      if (flat_ != nullptr && flat_[col].kind == Kind::kInt64) return flat_[col].int64;
      if (values_ != nullptr && values_[col].type() == ValueType::kInt64) return values_[col].int64();
    }
    return row_.Int64(col);
  }

  // Row::CheckedInt64 (NULL reads as 0; the error names the column).
  absl::StatusOr<int64_t> CheckedInt64(int col) const {
    if (InRange(col)) {
      if (flat_ != nullptr) {
        if (flat_[col].kind == Kind::kInt64) return flat_[col].int64;
        if (flat_[col].kind == Kind::kNull) return 0;
      } else if (values_ != nullptr) {
        if (values_[col].type() == ValueType::kInt64) return values_[col].int64();
        if (values_[col].is_null()) return 0;
      }
    }
    return row_.CheckedInt64(col);
  }

  // Row::Text as a view: of the result's own bytes for a text cell ("" for NULL), else of *scratch
  // holding Row::Text. Valid while the result (and *scratch) live.
  std::string_view TextView(int col, std::string* scratch) const {
    if (InRange(col)) {
      if (flat_ != nullptr) {
        if (flat_[col].kind == Kind::kText) return std::string_view(flat_[col].text, flat_[col].size);
        if (flat_[col].kind == Kind::kNull) return std::string_view();
      } else if (values_ != nullptr) {
        if (values_[col].type() == ValueType::kText) return values_[col].text();
        if (values_[col].is_null()) return std::string_view();
      }
    }
    *scratch = row_.Text(col);
    return *scratch;
  }

  // Row::Text written into *out (its capacity reused).
  void TextInto(int col, std::string* out) const {
    if (InRange(col)) {
      if (flat_ != nullptr) {
        if (flat_[col].kind == Kind::kText) return (void)out->assign(flat_[col].text, flat_[col].size);
        if (flat_[col].kind == Kind::kNull) return out->clear();
      } else if (values_ != nullptr) {
        if (values_[col].type() == ValueType::kText) return (void)out->assign(values_[col].text());
        if (values_[col].is_null()) return out->clear();
      }
    }
    *out = row_.Text(col);
  }

 private:
  using Kind = ResultSource::Cell::Kind;
  bool InRange(int col) const { return col >= 0 && col < cols_; }

  Row row_;
  int cols_;                                         // 0 when built from a Row: every read through row_
  const ResultSource::FlatCell* flat_ = nullptr;     // the row's flat cells (Postgres)
  const Value* values_ = nullptr;                    // the row's Values (a materialized result)
};

}  // namespace daira::inline v0::store::internal
