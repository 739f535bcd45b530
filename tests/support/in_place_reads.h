// Shared check for the drivers' in-place results (store::ResultSource): every typed Row accessor of an
// in-place ResultSet must read what the same cells read as Values (what every result held before the
// in-place path), and daira's internal cell reader (store::internal::RowCells) must read what Row reads,
// on the in-place result and on the Values copy. Used by the SQLite and Postgres connection tests.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "daira/store/result_set.h"
#include "gtest/gtest.h"
#include "store/row_cells.h"

namespace daira::testing {

// store::internal::RowCells over row `r` of `rs` reads what `rs.row(r)`'s accessors read, for every
// column and one past the last (which RowCells hands to Row).
inline void ExpectRowCellsReadWhatRowReads(const store::ResultSet& rs, size_t r) {
  const store::Row row = rs.row(r);
  const store::internal::RowCells cells(rs, r);
  for (int col = 0; col < rs.column_count(); ++col) {
    SCOPED_TRACE(absl::StrCat("RowCells: row ", r, " column ", rs.columns()[col]));
    EXPECT_EQ(cells.IsNull(col), row.IsNull(col));
    EXPECT_EQ(cells.Int64(col), row.Int64(col));
    const absl::StatusOr<int64_t> a = cells.CheckedInt64(col), b = row.CheckedInt64(col);
    EXPECT_EQ(a.ok(), b.ok());
    if (a.ok() && b.ok()) {
      EXPECT_EQ(*a, *b);
    }
    if (!a.ok() && !b.ok()) {
      EXPECT_EQ(a.status(), b.status());
    }
    std::string scratch;
    EXPECT_EQ(std::string(cells.TextView(col, &scratch)), row.Text(col));
    std::string into = "previous contents";
    cells.TextInto(col, &into);
    EXPECT_EQ(into, row.Text(col));
  }
  const absl::StatusOr<int64_t> past = cells.CheckedInt64(rs.column_count());
  EXPECT_EQ(past.status(), row.CheckedInt64(rs.column_count()).status());
}

// Copies `rs`'s cells into a Value-backed ResultSet and compares every accessor, by index and by name.
inline void ExpectInPlaceReadsMatchTheValues(const store::ResultSet& rs) {
  ASSERT_NE(rs.source(), nullptr);  // the in-place path is the one under test
  store::ResultSet values(rs.shared_columns());
  for (size_t r = 0; r < rs.size(); ++r) {
    for (int col = 0; col < rs.column_count(); ++col) values.AppendValue(rs.at(r, col));
  }
  ASSERT_EQ(values.source(), nullptr);
  auto same_status = [](const auto& a, const auto& b) {
    if (a.ok() != b.ok()) return false;
    return a.ok() ? *a == *b || (*a != *a && *b != *b) : a.status() == b.status();
  };
  for (size_t r = 0; r < rs.size(); ++r) {
    ASSERT_NO_FATAL_FAILURE(ExpectRowCellsReadWhatRowReads(rs, r));
    ASSERT_NO_FATAL_FAILURE(ExpectRowCellsReadWhatRowReads(values, r));
    const store::Row in_place = rs.row(r);
    const store::Row copy = values.row(r);
    for (int col = 0; col < rs.column_count(); ++col) {
      SCOPED_TRACE(absl::StrCat("row ", r, " column ", rs.columns()[col]));
      EXPECT_EQ(in_place.IsNull(col), copy.IsNull(col));
      EXPECT_EQ(in_place.Int64(col), copy.Int64(col));
      const double d1 = in_place.Double(col), d2 = copy.Double(col);
      EXPECT_TRUE(d1 == d2 || (d1 != d1 && d2 != d2)) << d1 << " vs " << d2;
      EXPECT_EQ(in_place.Text(col), copy.Text(col));
      EXPECT_EQ(in_place.Blob(col), copy.Blob(col));
      EXPECT_EQ(in_place.Json(col), copy.Json(col));
      EXPECT_EQ(in_place.Int64Array(col), copy.Int64Array(col));
      EXPECT_EQ(in_place.TextArray(col), copy.TextArray(col));
      EXPECT_TRUE(same_status(in_place.CheckedInt64(col), copy.CheckedInt64(col)));
      EXPECT_TRUE(same_status(in_place.CheckedDouble(col), copy.CheckedDouble(col)));
      const std::string& name = rs.columns()[col];
      EXPECT_EQ(in_place.Text(name), copy.Text(name));
      EXPECT_EQ(in_place.IsNull(name), copy.IsNull(name));
    }
  }
}

}  // namespace daira::testing
