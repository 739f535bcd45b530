// query::internal::FetchPageInto and internal::FetchRows(conn, KeysetQuery&&): a query given up
// (its values moved into the statement's) reads the same
// pages, in the same order, with the same cursors as one lent, forward and backward, on a first page
// (the values handed over whole) and an anchored one (moved one by one among the cursor's).
#include "query/page_into.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/keyset.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::query {
namespace {

using ::daira::testing::TestDatabase;

absl::Status CreateNamedItems(store::Database& db, const RequestContext& ctx, int rows) {
  DAIRA_RETURN_IF_ERROR(
      db.Execute(ctx, "CREATE TABLE items (id BIGINT PRIMARY KEY, k BIGINT NOT NULL, name TEXT NOT NULL)")
          .status());
  return db.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::Statement * st,
                           c.Prepare("INSERT INTO items (id, k, name) VALUES (?, ?, ?)"));
    for (int i = 1; i <= rows; ++i) {
      DAIRA_RETURN_IF_ERROR(
          st->Execute({int64_t{i}, int64_t{i / 3}, "name-of-item-" + std::to_string(i % 7)}).status());
    }
    return absl::OkStatus();
  });
}

// The list of items not named `skip` whose k is at least `min_k`, newest k first; its text values are
// longer than a short string, so a moved value and a copied one differ in where their bytes live.
KeysetQuery NotNamedQuery(const std::shared_ptr<const KeysetShape>& shape) {
  return KeysetQuery{.scope = "items:not-named:name-of-item-3:with-a-long-scope",
                     .select = {},
                     .params = {std::string("name-of-item-3"), int64_t{4}},
                     .keys = {},
                     .shape = shape};
}

struct NamedItem {
  int64_t id = 0;
  std::string name;
};

absl::Status FillNamedItem(const store::ResultSet& rs, size_t row, NamedItem& out) {
  const store::Row r = rs.row(row);
  out.id = r.Int64("id");
  out.name = r.Text("name");
  return absl::OkStatus();
}

class PageIntoTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
    ASSERT_OK(CreateNamedItems(tdb_->db(), ctx_, 200));
    ASSERT_OK_AND_ASSIGN(shape_, KeysetShape::Create(KeysetQuery{.scope = "",
                                                                 .select = "SELECT id, k, name FROM items",
                                                                 .where = "name <> ? AND k >= ?",
                                                                 .params = {std::string(), int64_t{0}},
                                                                 .keys = {{"k"}, {"id"}},
                                                                 .order = SortOrder::kDescending}));
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
  std::shared_ptr<const KeysetShape> shape_;
};

TEST_P(PageIntoTest, GivenUpQueryReadsTheSamePagesAndCursorsAsALentOne) {
  store::Database& db = tdb_->db();
  const KeysetQuery lent = NotNamedQuery(shape_);
  PageRequest request{.limit = 17};
  std::vector<int64_t> forward;
  std::string last_prev;
  for (int pages = 0; pages < 100; ++pages) {
    ASSERT_OK_AND_ASSIGN(Page<NamedItem> by_lent,
                         internal::FetchPageInto<NamedItem>(db, ctx_, lent, request, FillNamedItem));
    KeysetQuery given = NotNamedQuery(shape_);
    ASSERT_OK_AND_ASSIGN(Page<NamedItem> by_given, internal::FetchPageInto<NamedItem>(
                                                       db, ctx_, std::move(given), request, FillNamedItem));
    ASSERT_EQ(by_given.items.size(), by_lent.items.size());
    for (size_t i = 0; i < by_lent.items.size(); ++i) {
      EXPECT_EQ(by_given.items[i].id, by_lent.items[i].id);
      EXPECT_EQ(by_given.items[i].name, by_lent.items[i].name);
      EXPECT_NE(by_lent.items[i].name, "name-of-item-3");
      forward.push_back(by_lent.items[i].id);
    }
    EXPECT_EQ(by_given.next_cursor, by_lent.next_cursor);
    EXPECT_EQ(by_given.prev_cursor, by_lent.prev_cursor);
    EXPECT_EQ(by_given.has_more, by_lent.has_more);
    EXPECT_EQ(by_lent.prev_cursor.empty(), pages == 0);
    last_prev = by_lent.prev_cursor;
    if (!by_lent.has_more) break;
    request.cursor = by_lent.next_cursor;
  }
  // Items 12..200 (k >= 4) but those whose name is name-of-item-3 (i % 7 == 3).
  size_t expected = 0;
  for (int i = 12; i <= 200; ++i) expected += (i % 7 != 3) ? 1 : 0;
  EXPECT_EQ(forward.size(), expected);

  // Backward from the last page: both cursors set; the rows (reversed: a backward page scans the
  // other way) in the same order as FetchRowPage's `order`.
  ASSERT_OK_AND_ASSIGN(store::ConnectionLease lease, db.Acquire(ctx_, store::Access::kRead));
  ASSERT_OK_AND_ASSIGN(RowPage back_lent, FetchRowPage(*lease, lent, {.limit = 17, .cursor = last_prev}));
  ASSERT_OK_AND_ASSIGN(internal::OrderedRows back_given,
                       internal::FetchRows(*lease, NotNamedQuery(shape_), {.limit = 17, .cursor = last_prev}));
  EXPECT_TRUE(back_given.reversed);
  EXPECT_TRUE(back_given.page.order.empty());
  ASSERT_EQ(back_given.count, 17u);
  ASSERT_EQ(back_given.count, back_lent.order.size());
  for (size_t i = 0; i < back_lent.order.size(); ++i) {
    EXPECT_EQ(back_given.page.rows.row(back_given.Index(i)).Int64("id"),
              back_lent.rows.row(back_lent.order[i]).Int64("id"));
  }
  EXPECT_TRUE(back_given.page.has_more);
  EXPECT_FALSE(back_given.page.next_cursor.empty());
  EXPECT_FALSE(back_given.page.prev_cursor.empty());
  EXPECT_EQ(back_given.page.next_cursor, back_lent.next_cursor);
  EXPECT_EQ(back_given.page.prev_cursor, back_lent.prev_cursor);
}

DAIRA_INSTANTIATE_SQL_BACKENDS(PageIntoTest);

}  // namespace
}  // namespace daira::query
