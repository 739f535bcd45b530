#include "daira/store/result_set.h"

#include <limits>
#include <string>

#include "daira/store/column_indexes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"

namespace daira::store {
namespace {

ResultSet Sample() {
  ResultSet rs({"id", "name", "tags", "ids", "score", "nothing"});
  rs.AppendValue(int64_t{7});
  rs.AppendValue("zoë");
  rs.AppendValue(R"(["a","b \"q\""])");                      // SQLite stores arrays as JSON text
  rs.AppendValue(std::vector<int64_t>{1, 2, 3});              // Postgres decodes native arrays
  rs.AppendValue(2.5);
  rs.AppendValue(nullptr);
  return rs;
}

TEST(ResultSetTest, ReadsByIndexAndName) {
  ResultSet rs = Sample();
  ASSERT_EQ(rs.size(), 1u);
  Row r = rs.front();
  EXPECT_EQ(r.Int64(0), 7);
  EXPECT_EQ(r.Int64("id"), 7);
  EXPECT_EQ(r.Text("name"), "zoë");
  EXPECT_EQ(r.TextArray("tags"), (std::vector<std::string>{"a", "b \"q\""}));
  EXPECT_EQ(r.Int64Array("ids"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(r.Double("score"), 2.5);
  EXPECT_TRUE(r.IsNull("nothing"));
  EXPECT_EQ(r.Int64("nothing"), 0);
  EXPECT_EQ(r.Text("id"), "7");
  EXPECT_EQ(rs.ColumnIndex("score"), 4);
  EXPECT_FALSE(rs.ColumnIndex("missing").has_value());
}

// Issue 9: conversions that hide bugs as zeros are checked; the lenient ones have no UB.
TEST(ResultSetTest, CheckedAccessorsReportWhatTheLenientOnesHide) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  ResultSet rs({"n", "text_n", "garbage", "nan", "inf", "huge", "frac", "null", "d"});
  rs.AppendValue(int64_t{42});
  rs.AppendValue("-17");
  rs.AppendValue("12abc");
  rs.AppendValue(nan);
  rs.AppendValue(inf);
  rs.AppendValue(1e300);
  rs.AppendValue(2.5);
  rs.AppendValue(nullptr);
  rs.AppendValue(3.0);
  Row r = rs.front();
  EXPECT_EQ(*r.CheckedInt64("n"), 42);
  EXPECT_EQ(*r.CheckedInt64("text_n"), -17);
  EXPECT_EQ(*r.CheckedInt64("null"), 0);
  EXPECT_EQ(*r.CheckedInt64("d"), 3);
  for (const char* bad : {"garbage", "nan", "inf", "huge", "frac"}) {
    absl::StatusOr<int64_t> v = r.CheckedInt64(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_NE(v.status().message().find(std::string("column ") + bad), std::string::npos) << v.status();
  }
  EXPECT_NE(r.CheckedInt64("garbage").status().message().find("\"12abc\""), std::string::npos);
  absl::StatusOr<int64_t> missing = r.CheckedInt64("no_such_column");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(missing.status().message().find("no_such_column"), std::string::npos);
  EXPECT_DOUBLE_EQ(*r.CheckedDouble("frac"), 2.5);
  EXPECT_DOUBLE_EQ(*r.CheckedDouble("text_n"), -17.0);
  EXPECT_EQ(r.CheckedDouble("nan").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.CheckedDouble("garbage").status().code(), absl::StatusCode::kDataLoss);
  // Lenient: defined results (UB before for NaN and out-of-range doubles).
  EXPECT_EQ(r.Int64("nan"), 0);
  EXPECT_EQ(r.Int64("inf"), 0);
  EXPECT_EQ(r.Int64("huge"), 0);
  EXPECT_EQ(r.Int64("frac"), 2);
}

TEST(ResultSetTest, IteratesRows) {
  ResultSet rs({"n"});
  for (int i = 0; i < 5; ++i) rs.AppendValue(int64_t{i});
  int64_t sum = 0;
  for (const Row& row : rs) sum += row.Int64(0);
  EXPECT_EQ(sum, 10);
  EXPECT_EQ(rs.size(), 5u);
}

TEST(ValueTest, TypesAndDebugString) {
  EXPECT_EQ(Value().type(), ValueType::kNull);
  EXPECT_EQ(Value(true).int64(), 1);
  EXPECT_EQ(Value::Blob(std::string(3, '\0')).DebugString(), "blob(3 bytes)");
  EXPECT_EQ(Value(std::vector<int64_t>{1, 2}).DebugString(), "[1,2]");
  EXPECT_EQ(Value("x"), Value(std::string("x")));
  EXPECT_FALSE(Value("x") == Value::Json("x"));
}

}  // namespace
}  // namespace daira::store

namespace daira::store {
namespace {

TEST(ColumnIndexesTest, ResolvesOncePerShapeAndNamesAMissingColumn) {
  static constexpr std::string_view kNames[] = {"b", "a"};
  ResultSet rs(std::vector<std::string>{"a", "b", "c"});
  rs.AppendValue(Value(int64_t{1}));
  rs.AppendValue(Value(int64_t{2}));
  rs.AppendValue(Value(int64_t{3}));
  ColumnIndexes cols(kNames);
  ASSERT_OK(cols.Bind(rs.front()));
  EXPECT_EQ(cols[0], 1);
  EXPECT_EQ(cols[1], 0);
  EXPECT_EQ(rs.front().Int64(cols[0]), 2);
  // Another result of the same shape (a prepared statement's shared names) keeps the binding.
  ResultSet same(rs.shared_columns());
  same.AppendValue(Value(int64_t{7}));
  same.AppendValue(Value(int64_t{8}));
  same.AppendValue(Value(int64_t{9}));
  ASSERT_OK(cols.Bind(same.front()));
  EXPECT_EQ(same.front().Int64(cols[0]), 8);
  // A different shape is resolved again.
  ResultSet other(std::vector<std::string>{"b", "a"});
  other.AppendValue(Value(int64_t{5}));
  other.AppendValue(Value(int64_t{6}));
  ASSERT_OK(cols.Bind(other.front()));
  EXPECT_EQ(cols[0], 0);
  EXPECT_EQ(other.front().Int64(cols[1]), 6);
  ResultSet missing(std::vector<std::string>{"a"});
  missing.AppendValue(Value(int64_t{1}));
  EXPECT_THAT(cols.Bind(missing.front()),
              ::daira::testing::StatusIs(absl::StatusCode::kInternal, ::testing::HasSubstr("no column b")));
}

TEST(ColumnIndexesTest, CheckedAccessorsByIndexNameTheColumn) {
  ResultSet rs(std::vector<std::string>{"n", "x"});
  rs.AppendValue(Value(std::string("seven")));
  rs.AppendValue(Value(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_THAT(rs.front().CheckedInt64(0),
              ::daira::testing::StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("column n")));
  EXPECT_THAT(rs.front().CheckedDouble(1),
              ::daira::testing::StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("column x")));
  EXPECT_THAT(rs.front().CheckedInt64(5), ::daira::testing::StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace daira::store
