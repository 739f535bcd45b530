#include "daira/store/result_set.h"

#include "gtest/gtest.h"

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
