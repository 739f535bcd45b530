// Statement results: column names plus rows of Values, read by index or by name.
//
//   DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, conn.Execute("SELECT id, username FROM users WHERE id = ?", {id}));
//   for (const store::Row& row : rs) {
//     int64_t id = row.Int64(0);
//     std::string name = row.Text("username");
//   }
//
// A backend may keep the cells in its driver's own result (Postgres keeps the PGresult) instead of
// building a Value per cell: the typed Row accessors (Int64, Text, IsNull, TextArray, Checked*, ...)
// then decode straight from the driver's bytes, with the same results; `at()` / `operator[]` (which
// return a Value reference) build the Value table once, on first use.
//
// Thread-safety: a ResultSet is a value; concurrent const use is safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/store/value.h"

namespace daira::inline v0::store {

class ResultSet;
class ResultSource;  // a backend's own result (src/store/result_source.h)

// A view of one row; valid while its ResultSet lives and is not modified.
//
// Accessors convert leniently where backends differ: Int64 accepts a double; Double accepts an int;
// Text of an int/double formats it; IntArray/TextArray accept a native array or JSON array text
// (SQLite's storage); Json accepts text. NULL reads as 0 / "" / empty. Accessing a column that does
// not exist is a programming error (assertion); use ColumnIndex to probe. The lenient Int64 has no
// undefined behaviour: a NaN, infinite or out-of-range double, or text that is not an integer, reads
// as 0. Where such a value is a bug to report rather than a zero, use the Checked* accessors.
//
// Checked accessors: the exact value, or an error naming the column — Internal when the result has
// no such column (a query/reader mismatch), DataLoss when the stored value does not convert exactly
// (text that is not a number, a double that is NaN, infinite, fractional for Int64 or out of range).
// NULL reads as 0, as in the lenient ones. The typed repositories read through them.
class Row {
 public:
  Row(const ResultSet* rs, size_t index) : rs_(rs), index_(index) {}
  const Value& operator[](int col) const;
  const Value& Get(std::string_view name) const;
  bool IsNull(int col) const;
  bool IsNull(std::string_view name) const;
  int64_t Int64(int col) const;
  int64_t Int64(std::string_view name) const;
  double Double(int col) const;
  double Double(std::string_view name) const;
  std::string Text(int col) const;
  std::string Text(std::string_view name) const;
  std::string Blob(int col) const;
  std::string Blob(std::string_view name) const;
  std::vector<int64_t> Int64Array(int col) const;
  std::vector<int64_t> Int64Array(std::string_view name) const;
  std::vector<std::string> TextArray(int col) const;
  std::vector<std::string> TextArray(std::string_view name) const;
  std::string Json(int col) const;
  std::string Json(std::string_view name) const;

  absl::StatusOr<int64_t> CheckedInt64(std::string_view name) const;
  absl::StatusOr<double> CheckedDouble(std::string_view name) const;
  absl::StatusOr<int64_t> CheckedInt64(int col) const;
  absl::StatusOr<double> CheckedDouble(int col) const;

  // The result this row belongs to.
  const ResultSet& result() const { return *rs_; }

 private:
  const ResultSet* rs_;
  size_t index_;
};

class ResultSet {
 public:
  ResultSet() : columns_(EmptyColumns()) {}
  explicit ResultSet(std::vector<std::string> columns)
      : columns_(std::make_shared<const std::vector<std::string>>(std::move(columns))) {}
  // Shares a statement's column names (backends cache them per prepared statement, so building a
  // result allocates no names).
  explicit ResultSet(std::shared_ptr<const std::vector<std::string>> columns) : columns_(std::move(columns)) {}
  // For backends: `rows` rows whose cells stay in `source` (shared by copies) and are decoded when read.
  ResultSet(std::shared_ptr<const std::vector<std::string>> columns, std::shared_ptr<const ResultSource> source,
            size_t rows);

  const std::vector<std::string>& columns() const { return *columns_; }
  // The shared column-name vector itself: one object per result shape (a prepared statement's), which
  // ColumnIndexes uses to resolve names once per shape rather than per row.
  const std::shared_ptr<const std::vector<std::string>>& shared_columns() const { return columns_; }
  int column_count() const { return static_cast<int>(columns_->size()); }
  // Index of the column called `name` (exact match), or nullopt.
  std::optional<int> ColumnIndex(std::string_view name) const;

  size_t size() const {
    if (columns_->empty()) return 0;
    return source_ != nullptr ? source_rows_ : values_.size() / columns_->size();
  }
  bool empty() const { return size() == 0; }
  Row row(size_t i) const { return Row(this, i); }
  Row front() const { return row(0); }
  const Value& at(size_t row, int col) const {
    return source_ == nullptr ? values_[row * columns_->size() + col] : SourceAt(row, col);
  }
  // The backend's result holding the cells, or null when they are Values (see the top of this file).
  const ResultSource* source() const { return source_.get(); }

  // Rows changed by INSERT/UPDATE/DELETE (backend-reported); 0 for queries.
  int64_t rows_affected() const { return rows_affected_; }
  void set_rows_affected(int64_t n) { rows_affected_ = n; }

  // For backends building a result: append one row's values (exactly column_count() of them).
  void AppendValue(Value v) {
    if (source_ != nullptr) Detach();
    values_.push_back(std::move(v));
  }
  void Reserve(size_t rows) {
    if (source_ != nullptr) Detach();
    values_.reserve(rows * columns_->size());
  }

  class Iterator {
   public:
    Iterator(const ResultSet* rs, size_t i) : rs_(rs), i_(i) {}
    Row operator*() const { return Row(rs_, i_); }
    Iterator& operator++() { ++i_; return *this; }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }
   private:
    const ResultSet* rs_;
    size_t i_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

 private:
  static const std::shared_ptr<const std::vector<std::string>>& EmptyColumns() {
    static const auto* kEmpty = new std::shared_ptr<const std::vector<std::string>>(
        std::make_shared<const std::vector<std::string>>());
    return *kEmpty;
  }
  const Value& SourceAt(size_t row, int col) const;
  // Copies the source's cells into values_ and drops the source (before a backend appends).
  void Detach();

  std::shared_ptr<const std::vector<std::string>> columns_;  // never null
  std::vector<Value> values_;                               // row-major (when source_ is null)
  std::shared_ptr<const ResultSource> source_;              // the cells, when a backend keeps them
  size_t source_rows_ = 0;
  int64_t rows_affected_ = 0;
};

}  // namespace daira::inline v0::store
