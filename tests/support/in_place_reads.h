// Shared check for the drivers' in-place results (store::ResultSource): every typed Row accessor of an
// in-place ResultSet must read what the same cells read as Values (what every result held before the
// in-place path). Used by the SQLite and Postgres connection tests.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "daira/store/result_set.h"
#include "gtest/gtest.h"

namespace daira::testing {

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
