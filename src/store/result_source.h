// A backend's own statement result behind a store::ResultSet: the cells stay in the driver's buffer
// (Postgres: the PGresult) and are decoded when a Row accessor reads them, instead of being copied
// into a Value per cell first and copied again into the caller's struct. For backends only.
//
//   auto source = std::make_shared<PgResultSource>(...);   // owns the PGresult
//   store::ResultSet rs(columns, std::move(source), rows);  // Row::Text(c) reads the PGresult's bytes
//
// The contract: every read through the source gives exactly what the Row accessors give on the
// Values of ValueAt() — the fast paths only skip building the Value.
//
// Thread-safety: immutable after construction (Values() builds its table once, under a once_flag), so
// concurrent const use is safe, as for a ResultSet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daira/store/value.h"

namespace daira::inline v0::store {

class ResultSource {
 public:
  // One cell as far as the source can tell without building a Value.
  struct Cell {
    enum class Kind : uint8_t {
      kNull,   // ValueAt() is NULL
      kInt64,  // ValueAt() is Value(int64)
      kText,   // ValueAt() is a kText Value holding `text`
      kOther,  // anything else: read ValueAt()
    };
    Kind kind = Kind::kOther;
    int64_t int64 = 0;      // kInt64
    std::string_view text;  // kText: valid while the source lives

    static Cell Null() { return Cell{Kind::kNull, 0, {}}; }
    static Cell Int64(int64_t v) { return Cell{Kind::kInt64, v, {}}; }
    static Cell Text(std::string_view t) { return Cell{Kind::kText, 0, t}; }
    static Cell Other() { return Cell{Kind::kOther, 0, {}}; }
  };

  // A cell decoded once, when the backend built the result (16 bytes): kNull; kInt64 (`int64`); kText
  // (`size` bytes at `text`); kOther (read ValueAt() or the array decoders; `text` / `size` may hold the
  // driver's text form for the backend's own use).
  struct FlatCell {
    union {
      int64_t int64;
      const char* text;
    };
    uint32_t size;
    Cell::Kind kind;
  };

  virtual ~ResultSource() = default;

  // The cell at (row, col), read from the flat table without a virtual call when the backend built one
  // (SetFlatCells), else through CellAt().
  Cell Read(size_t row, int col) const {
    if (flat_ == nullptr) return CellAt(row, col);
    return ToCell(flat_[row * flat_columns_ + static_cast<size_t>(col)]);
  }
  static Cell ToCell(const FlatCell& f) {
    switch (f.kind) {
      case Cell::Kind::kNull: return Cell::Null();
      case Cell::Kind::kInt64: return Cell::Int64(f.int64);
      case Cell::Kind::kText: return Cell::Text(std::string_view(f.text, f.size));
      case Cell::Kind::kOther: break;
    }
    return Cell::Other();
  }
  // The flat cell at (row, col) when the backend built a flat table, else null (read through Read()).
  const FlatCell* Flat(size_t row, int col) const {
    return flat_ == nullptr ? nullptr : &flat_[row * flat_columns_ + static_cast<size_t>(col)];
  }
  bool IsNull(size_t row, int col) const {
    if (flat_ == nullptr) return IsNullAt(row, col);
    return flat_[row * flat_columns_ + static_cast<size_t>(col)].kind == Cell::Kind::kNull;
  }

  // Preconditions for every accessor: row < the ResultSet's size(), 0 <= col < its column_count().
  virtual bool IsNullAt(size_t row, int col) const = 0;
  virtual Cell CellAt(size_t row, int col) const = 0;
  // The Value a materialized result holds at (row, col).
  virtual Value ValueAt(size_t row, int col) const = 0;
  // An integer / text array cell decoded straight into `out` (as Value::int64_array() / text_array()
  // of ValueAt() would hold it); false when ValueAt() is not such an array (then read ValueAt()).
  virtual bool Int64ArrayAt(size_t /*row*/, int /*col*/, std::vector<int64_t>* /*out*/) const { return false; }
  virtual bool TextArrayAt(size_t /*row*/, int /*col*/, std::vector<std::string>* /*out*/) const { return false; }

  // Every cell's ValueAt(), row-major, built on first use (for ResultSet::at / Row::operator[]).
  const std::vector<Value>& Values(size_t rows, int cols) const;

 protected:
  // For a backend that decodes every cell up front: `cells` (row-major, `columns` per row, owned by the
  // derived source and unchanged for its lifetime) answer Read() and IsNull(), and must agree with CellAt()
  // and IsNullAt().
  void SetFlatCells(const FlatCell* cells, size_t columns) {
    flat_ = cells;
    flat_columns_ = columns;
  }

 private:
  const FlatCell* flat_ = nullptr;
  size_t flat_columns_ = 0;
  mutable std::once_flag once_;
  mutable std::vector<Value> values_;
};

}  // namespace daira::inline v0::store
