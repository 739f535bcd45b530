#include "daira/query/keyset.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/statement_budget.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "status_matchers.h"
#include "test_backends.h"

namespace daira::query {
namespace {

using ::daira::testing::IsOk;
using ::daira::testing::StatusIs;
using ::daira::testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kRows = 10000;

// Row i (1..kRows): id = i, k = i / 3 (so sort keys repeat and the id tiebreak matters),
// name = "n" + zero-padded (kRows - i) / 2 (a string key that repeats too).
std::string NameOf(int i) {
  std::string s = std::to_string((kRows - i) / 2);
  return "n" + std::string(6 - s.size(), '0') + s;
}

absl::Status CreateItems(store::Database& db, const RequestContext& ctx, int rows) {
  DAIRA_RETURN_IF_ERROR(db.Execute(ctx, "CREATE TABLE items (id BIGINT PRIMARY KEY, k BIGINT NOT NULL, "
                                        "name TEXT NOT NULL, grp BIGINT NOT NULL)")
                            .status());
  DAIRA_RETURN_IF_ERROR(db.Execute(ctx, "CREATE INDEX items_k_id ON items (k, id)").status());
  DAIRA_RETURN_IF_ERROR(db.Execute(ctx, "CREATE INDEX items_name_id ON items (name, id)").status());
  return db.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::Statement * st, c.Prepare("INSERT INTO items (id, k, name, grp) VALUES (?, ?, ?, ?)"));
    for (int i = 1; i <= rows; ++i) {
      DAIRA_RETURN_IF_ERROR(
          st->Execute({int64_t{i}, int64_t{i / 3}, NameOf(i), int64_t{i % 2}}).status());
    }
    return absl::OkStatus();
  });
}

KeysetQuery ByKDesc() {
  return KeysetQuery{.scope = "items:all",
                     .select = "SELECT id, k, name FROM items",
                     .keys = {{"k"}, {"id"}},
                     .order = SortOrder::kDescending};
}

std::vector<int64_t> ExpectedKDesc(int rows) {
  std::vector<int64_t> ids;
  for (int i = 1; i <= rows; ++i) ids.push_back(i);
  std::sort(ids.begin(), ids.end(), [](int64_t a, int64_t b) {
    return std::make_pair(a / 3, a) > std::make_pair(b / 3, b);
  });
  return ids;
}

int64_t IdOf(const store::Row& r) { return r.Int64("id"); }

class KeysetTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(tdb_, TestDatabase::Create(GetParam()));
  }
  store::Database& db() { return tdb_->db(); }

  // Walks the whole list forward from the head; returns every id seen, in order.
  std::vector<int64_t> WalkForward(const KeysetQuery& q, int limit, const KeysetOptions& opts,
                                   std::string* last_prev = nullptr) {
    std::vector<int64_t> seen;
    PageRequest req{.limit = limit};
    for (int pages = 0; pages < 100000; ++pages) {
      auto page = FetchPage(db(), ctx_, q, req, IdOf, opts);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      seen.insert(seen.end(), page->items.begin(), page->items.end());
      EXPECT_LE(page->items.size(), static_cast<size_t>(limit));
      EXPECT_EQ(page->has_more, !page->next_cursor.empty());
      if (pages == 0) {
        EXPECT_EQ(page->prev_cursor, "");
      }
      if (!page->has_more) {
        if (last_prev != nullptr) *last_prev = page->prev_cursor;
        break;
      }
      req.cursor = page->next_cursor;
    }
    return seen;
  }

  RequestContext ctx_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(KeysetTest, RowValueComparisonWorksOnThisBackend) {
  // The keyset predicate relies on row values: (a, b) < (?, ?) — SQLite >= 3.15 and Postgres.
  ASSERT_OK_AND_ASSIGN(auto rs, db().Read(ctx_, "SELECT CASE WHEN (1, 2) < (?, ?) THEN 1 ELSE 0 END AS lt, "
                                                "CASE WHEN (1, 2) < (?, ?) THEN 1 ELSE 0 END AS ge",
                                          {int64_t{1}, int64_t{3}, int64_t{1}, int64_t{2}}));
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs.front().Int64("lt"), 1);
  EXPECT_EQ(rs.front().Int64("ge"), 0);
}

TEST_P(KeysetTest, BuildsRowValueAndExpandedPredicates) {
  KeysetQuery q = ByKDesc();
  q.where = "grp = ?";
  q.params = {int64_t{1}};
  Cursor c{.scope = q.scope, .direction = Direction::kForward, .keys = {int64_t{5}, int64_t{17}}};
  ASSERT_OK_AND_ASSIGN(KeysetStatement rv, BuildKeysetStatement(q, &c, 21));
  EXPECT_EQ(rv.sql, "SELECT id, k, name FROM items WHERE (grp = ?) AND (k, id) < (?, ?) ORDER BY k DESC, id DESC LIMIT ?");
  EXPECT_THAT(rv.params, ElementsAre(store::Value(int64_t{1}), store::Value(int64_t{5}), store::Value(int64_t{17}),
                                     store::Value(int64_t{21})));
  EXPECT_FALSE(rv.reversed);
  ASSERT_OK_AND_ASSIGN(KeysetStatement ex, BuildKeysetStatement(q, &c, 21, /*row_values=*/false));
  EXPECT_EQ(ex.sql, "SELECT id, k, name FROM items WHERE (grp = ?) AND (k < ? OR (k = ? AND id < ?)) "
                    "ORDER BY k DESC, id DESC LIMIT ?");
  c.direction = Direction::kBackward;
  ASSERT_OK_AND_ASSIGN(KeysetStatement back, BuildKeysetStatement(q, &c, 21));
  EXPECT_EQ(back.sql, "SELECT id, k, name FROM items WHERE (grp = ?) AND (k, id) > (?, ?) ORDER BY k ASC, id ASC LIMIT ?");
  EXPECT_TRUE(back.reversed);
  ASSERT_OK_AND_ASSIGN(KeysetStatement first, BuildKeysetStatement(ByKDesc(), nullptr, 11));
  EXPECT_EQ(first.sql, "SELECT id, k, name FROM items ORDER BY k DESC, id DESC LIMIT ?");
}

TEST_P(KeysetTest, WalksTenThousandRowsForwardAndBackwardWithoutGapsOrDuplicates) {
  ASSERT_OK(CreateItems(db(), ctx_, kRows));
  const std::vector<int64_t> expected = ExpectedKDesc(kRows);
  for (bool row_values : {true, false}) {
    SCOPED_TRACE(row_values ? "row values" : "expanded OR");
    const KeysetOptions opts{.row_values = row_values};
    std::string prev;
    const std::vector<int64_t> forward = WalkForward(ByKDesc(), 97, opts, &prev);
    ASSERT_EQ(forward.size(), expected.size());
    EXPECT_TRUE(forward == expected) << "forward walk differs from (k DESC, id DESC)";

    // Backward from the last page to the head.
    ASSERT_NE(prev, "");
    std::vector<std::vector<int64_t>> pages;
    PageRequest req{.limit = 97, .cursor = prev};
    for (int i = 0; i < 1000; ++i) {
      ASSERT_OK_AND_ASSIGN(auto page, FetchPage(db(), ctx_, ByKDesc(), req, IdOf, opts));
      EXPECT_NE(page.next_cursor, "");  // a backward page always has rows after it
      pages.push_back(page.items);
      if (!page.has_more) {
        EXPECT_EQ(page.prev_cursor, "");
        break;
      }
      req.cursor = page.prev_cursor;
    }
    std::vector<int64_t> backward;
    for (auto it = pages.rbegin(); it != pages.rend(); ++it) backward.insert(backward.end(), it->begin(), it->end());
    // Everything before the last forward page, in list order.
    const size_t last_page = kRows % 97 == 0 ? 97 : kRows % 97;
    ASSERT_EQ(backward.size(), expected.size() - last_page);
    EXPECT_TRUE(std::equal(backward.begin(), backward.end(), expected.begin()));
  }
}

TEST_P(KeysetTest, AscendingOrderStringKeysAndFilter) {
  ASSERT_OK(CreateItems(db(), ctx_, 1000));
  KeysetQuery q{.scope = "items:grp1:name",
                .select = "SELECT i.id, i.name FROM items i",
                .where = "i.grp = ?",
                .params = {int64_t{1}},
                .keys = {{"i.name", KeyType::kString}, {"i.id"}},
                .order = SortOrder::kAscending};
  std::vector<std::pair<std::string, int64_t>> expected;
  for (int i = 1; i <= 1000; ++i) {
    if (i % 2 == 1) expected.emplace_back(NameOf(i), i);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::pair<std::string, int64_t>> seen;
  PageRequest req{.limit = 33};
  auto map = [](const store::Row& r) { return std::make_pair(r.Text("name"), r.Int64("id")); };
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK_AND_ASSIGN(auto page, FetchPage(db(), ctx_, q, req, map));
    seen.insert(seen.end(), page.items.begin(), page.items.end());
    if (!page.has_more) break;
    req.cursor = page.next_cursor;
  }
  EXPECT_EQ(seen, expected);
}

// A query paged through a KeysetShape made once walks exactly the list its text walks, one statement
// per page, both directions; a shape with text beside it, a wrong number of params or a malformed
// shape is refused naming the field.
TEST_P(KeysetTest, ShapeMadeOnceWalksTheSameListAsItsText) {
  ASSERT_OK(CreateItems(db(), ctx_, 1000));
  KeysetQuery text = ByKDesc();
  text.where = "grp = ?";
  text.params = {int64_t{1}};
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const KeysetShape> shape, KeysetShape::Create(text));
  EXPECT_EQ(shape->param_count(), 1u);
  EXPECT_EQ(shape->query().select, text.select);
  const KeysetQuery shaped{.scope = text.scope, .select = {}, .params = {int64_t{1}}, .keys = {}, .shape = shape};
  for (bool row_values : {true, false}) {
    const KeysetOptions opts{.row_values = row_values};
    std::string prev_text, prev_shaped;
    const int64_t before = ctx_.statements();
    const std::vector<int64_t> by_shape = WalkForward(shaped, 41, opts, &prev_shaped);
    const int64_t shaped_statements = ctx_.statements() - before;
    const std::vector<int64_t> by_text = WalkForward(text, 41, opts, &prev_text);
    EXPECT_EQ(by_shape, by_text);
    EXPECT_EQ(by_shape.size(), 500u);
    EXPECT_EQ(shaped_statements, ctx_.statements() - before - shaped_statements);
    EXPECT_EQ(prev_shaped, prev_text);  // the same cursors (same scope and keys)
    ASSERT_OK_AND_ASSIGN(auto back,
                         FetchPage(db(), ctx_, shaped, {.limit = 41, .cursor = prev_shaped}, IdOf, opts));
    ASSERT_OK_AND_ASSIGN(auto back_text,
                         FetchPage(db(), ctx_, text, {.limit = 41, .cursor = prev_text}, IdOf, opts));
    EXPECT_EQ(back.items, back_text.items);
    EXPECT_EQ(back.items.size(), 41u);
  }
  ASSERT_OK_AND_ASSIGN(KeysetStatement st, BuildKeysetStatement(shaped, nullptr, 11));
  EXPECT_EQ(st.sql, "SELECT id, k, name FROM items WHERE (grp = ?) ORDER BY k DESC, id DESC LIMIT ?");
  EXPECT_THAT(st.params, ElementsAre(store::Value(int64_t{1}), store::Value(int64_t{11})));

  KeysetQuery both = shaped;
  both.select = "SELECT id FROM items";
  auto bad = FetchPage(db(), ctx_, both, {.limit = 5}, IdOf);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shape")));
  EXPECT_EQ(StatusField(bad.status()), "shape");
  KeysetQuery count = shaped;
  count.params = {};
  auto wrong = FetchPage(db(), ctx_, count, {.limit = 5}, IdOf);
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("params")));
  EXPECT_EQ(StatusField(wrong.status()), "params");
  KeysetQuery no_keys = text;
  no_keys.keys.clear();
  EXPECT_THAT(KeysetShape::Create(no_keys), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys")));
}

TEST_P(KeysetTest, OnePagePerStatement) {
  ASSERT_OK(CreateItems(db(), ctx_, 300));
  StatementBudget budget(ctx_);
  ASSERT_OK_AND_ASSIGN(auto page, FetchPage(db(), ctx_, ByKDesc(), {.limit = 50}, IdOf));
  EXPECT_EQ(page.items.size(), 50u);
  EXPECT_TRUE(page.has_more);
  EXPECT_EQ(budget.used(), 1);
}

TEST_P(KeysetTest, StableWhileAnotherThreadInsertsAtTheHead) {
  ASSERT_OK(CreateItems(db(), ctx_, kRows));
  absl::Mutex mu;
  int64_t inserted = 0;  // guarded by mu
  std::atomic<bool> done{false};
  std::atomic<bool> insert_failed{false};
  std::thread writer([&] {
    RequestContext wctx;
    for (int64_t n = 1; !done.load(); ++n) {
      // New rows sort before everything: k larger than any pre-existing k.
      if (!db().Execute(wctx, "INSERT INTO items (id, k, name, grp) VALUES (?, ?, ?, ?)",
                        {int64_t{kRows + n}, int64_t{kRows + n}, "new", int64_t{0}})
               .ok()) {
        absl::MutexLock lock(&mu);
        insert_failed = true;
        break;
      }
      absl::MutexLock lock(&mu);
      inserted = n;
    }
  });

  absl::flat_hash_map<int64_t, int> seen;
  PageRequest req{.limit = 100};
  int pages = 0;
  for (; pages < 1000; ++pages) {
    {
      // Before each page, wait until the writer has inserted at least one more row than before.
      absl::MutexLock lock(&mu);
      const int64_t want = pages + 1;
      auto ready = [&]() { return inserted >= want || insert_failed.load(); };
      mu.Await(absl::Condition(&ready));
    }
    auto page = FetchPage(db(), ctx_, ByKDesc(), req, IdOf);
    ASSERT_THAT(page, IsOk());
    for (int64_t id : page->items) ++seen[id];
    if (!page->has_more) break;
    req.cursor = page->next_cursor;
  }
  done = true;
  writer.join();
  ASSERT_FALSE(insert_failed.load());
  for (int i = 1; i <= kRows; ++i) {
    ASSERT_EQ(seen[i], 1) << "pre-existing row " << i;
  }
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  {
    absl::MutexLock lock(&mu);
    EXPECT_GE(inserted, pages);  // rows really were inserted while we paged
  }
}

TEST_P(KeysetTest, RejectsBadLimitsAndForeignOrTamperedCursors) {
  ASSERT_OK(CreateItems(db(), ctx_, 50));
  for (int bad : {0, -1, 101}) {
    auto page = FetchPage(db(), ctx_, ByKDesc(), {.limit = bad}, IdOf);
    EXPECT_THAT(page, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));
    EXPECT_EQ(StatusField(page.status()), "limit");
  }
  EXPECT_THAT(FetchPage(db(), ctx_, ByKDesc(), {.limit = 200}, IdOf, {.max_limit = 200}), IsOk());

  ASSERT_OK_AND_ASSIGN(auto first, FetchPage(db(), ctx_, ByKDesc(), {.limit = 10}, IdOf));
  ASSERT_NE(first.next_cursor, "");
  KeysetQuery other = ByKDesc();
  other.scope = "items:other";
  auto foreign = FetchPage(db(), ctx_, other, {.limit = 10, .cursor = first.next_cursor}, IdOf);
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("another list")));
  EXPECT_EQ(StatusField(foreign.status()), "cursor");

  std::string tampered = first.next_cursor;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_THAT(FetchPage(db(), ctx_, ByKDesc(), {.limit = 10, .cursor = tampered}, IdOf),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor")));

  KeysetQuery missing_key = ByKDesc();
  missing_key.select = "SELECT id FROM items";
  EXPECT_THAT(FetchPage(db(), ctx_, missing_key, {.limit = 10}, IdOf),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"k\"")));
}

TEST_P(KeysetTest, MapperErrorsPropagate) {
  ASSERT_OK(CreateItems(db(), ctx_, 5));
  auto failing = [](const store::Row& r) -> absl::StatusOr<int64_t> {
    if (r.Int64("id") == 3) return absl::DataLossError("row 3 is bad");
    return r.Int64("id");
  };
  EXPECT_THAT(FetchPage(db(), ctx_, ByKDesc(), {.limit = 10}, failing),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("row 3")));
}

// Late hydration: the page is ranked over the narrow `items` rows, and only its rows are joined to
// the wide table; the walk is the same list as without hydration, forward and backward.
TEST_P(KeysetTest, HydratedPagesJoinOnlyThePageAndKeepTheOrder) {
  ASSERT_OK(CreateItems(db(), ctx_, 1000));
  ASSERT_OK(db().Execute(ctx_, "CREATE TABLE details (item_id BIGINT PRIMARY KEY, label TEXT NOT NULL)").status());
  ASSERT_OK(db().Execute(ctx_, "INSERT INTO details (item_id, label) SELECT id, 'label-' || name FROM items").status());
  KeysetQuery q = ByKDesc();
  q.hydrate = "SELECT p.id, p.k, d.label FROM {page} p JOIN details d ON d.item_id = p.id";

  Cursor c{.scope = q.scope, .direction = Direction::kForward, .keys = {int64_t{5}, int64_t{17}}};
  ASSERT_OK_AND_ASSIGN(KeysetStatement st, BuildKeysetStatement(q, &c, 21));
  EXPECT_EQ(st.sql,
            "SELECT * FROM (SELECT p.id, p.k, d.label FROM (SELECT id, k, name FROM items WHERE (k, id) < (?, ?) "
            "ORDER BY k DESC, id DESC LIMIT ?) p JOIN details d ON d.item_id = p.id) hydrated ORDER BY k DESC, id DESC");

  const std::vector<int64_t> expected = ExpectedKDesc(1000);
  std::string prev;
  EXPECT_EQ(WalkForward(q, 37, {}, &prev), expected);
  ASSERT_OK_AND_ASSIGN(auto back, FetchPage(db(), ctx_, q, {.limit = 37, .cursor = prev}, IdOf));
  const size_t last_page = 1000 % 37;
  ASSERT_EQ(back.items.size(), 37u);
  EXPECT_TRUE(std::equal(back.items.begin(), back.items.end(), expected.end() - last_page - 37));

  auto label = [](const store::Row& r) { return r.Text("label"); };
  ASSERT_OK_AND_ASSIGN(auto first, FetchPage(db(), ctx_, q, {.limit = 2}, label));
  EXPECT_THAT(first.items, ElementsAre("label-" + NameOf(static_cast<int>(expected[0])),
                                       "label-" + NameOf(static_cast<int>(expected[1]))));
}

// Marks let the select see the page it serves: the bound, the fetch size and the direction.
TEST_P(KeysetTest, SelectMarksCarryTheBoundFetchAndDirection) {
  KeysetQuery q = ByKDesc();
  q.select = "SELECT id, k, name FROM items WHERE grp = ? AND {forward} = 1 AND "
             "(SELECT count(*) FROM (SELECT 1 FROM items WHERE {after} LIMIT {fetch}) x) > ?";
  q.where = "name <> ?";
  q.params = {int64_t{1}, int64_t{0}, std::string("zzz")};
  ASSERT_OK_AND_ASSIGN(KeysetStatement first, BuildKeysetStatement(q, nullptr, 11));
  EXPECT_EQ(first.sql,
            "SELECT id, k, name FROM items WHERE grp = ? AND 1 = 1 AND (SELECT count(*) FROM (SELECT 1 FROM items "
            "WHERE 1 = 1 LIMIT 11) x) > ? WHERE (name <> ?) ORDER BY k DESC, id DESC LIMIT ?");
  EXPECT_THAT(first.params, ElementsAre(store::Value(int64_t{1}), store::Value(int64_t{0}),
                                        store::Value(std::string("zzz")), store::Value(int64_t{11})));
  Cursor c{.scope = q.scope, .direction = Direction::kBackward, .keys = {int64_t{5}, int64_t{17}}};
  ASSERT_OK_AND_ASSIGN(KeysetStatement back, BuildKeysetStatement(q, &c, 21));
  EXPECT_EQ(back.sql,
            "SELECT id, k, name FROM items WHERE grp = ? AND 0 = 1 AND (SELECT count(*) FROM (SELECT 1 FROM items "
            "WHERE (k, id) > (?, ?) LIMIT 21) x) > ? WHERE (name <> ?) AND (k, id) > (?, ?) ORDER BY k ASC, id ASC LIMIT ?");
  EXPECT_THAT(back.params,
              ElementsAre(store::Value(int64_t{1}), store::Value(int64_t{5}), store::Value(int64_t{17}),
                          store::Value(int64_t{0}), store::Value(std::string("zzz")), store::Value(int64_t{5}),
                          store::Value(int64_t{17}), store::Value(int64_t{21})));
}

// A select that uses {after} walks the same list as one that does not, on the real backend.
TEST_P(KeysetTest, WalksTheSameListWithMarksInTheSelect) {
  ASSERT_OK(CreateItems(db(), ctx_, 500));
  KeysetQuery q = ByKDesc();
  q.select = "SELECT id, k, name FROM items WHERE {forward} + 0 >= 0 AND "
             "(SELECT count(*) FROM (SELECT 1 FROM items WHERE {after} LIMIT {fetch}) x) >= 0";
  q.select = "SELECT * FROM (" + q.select + ") s";
  std::string prev;
  EXPECT_EQ(WalkForward(q, 23, {}, &prev), ExpectedKDesc(500));
  ASSERT_OK_AND_ASSIGN(auto back, FetchPage(db(), ctx_, q, {.limit = 23, .cursor = prev}, IdOf));
  const std::vector<int64_t> expected = ExpectedKDesc(500);
  ASSERT_EQ(back.items.size(), 23u);
  EXPECT_TRUE(std::equal(back.items.begin(), back.items.end(), expected.end() - 500 % 23 - 23));
}

TEST_P(KeysetTest, RejectsMalformedHydration) {
  KeysetQuery q = ByKDesc();
  q.hydrate = "SELECT * FROM items";
  EXPECT_THAT(BuildKeysetStatement(q, nullptr, 5), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hydrate")));
  q.hydrate = "SELECT * FROM {page} a JOIN {page} b ON a.id = b.id";
  EXPECT_THAT(BuildKeysetStatement(q, nullptr, 5), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly once")));
  q.hydrate = "SELECT * FROM {page} p WHERE p.id > ?";
  EXPECT_THAT(BuildKeysetStatement(q, nullptr, 5), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("`?`")));
}

TEST_P(KeysetTest, EmptyListHasNoCursors) {
  ASSERT_OK(CreateItems(db(), ctx_, 0));
  ASSERT_OK_AND_ASSIGN(auto page, FetchPage(db(), ctx_, ByKDesc(), {.limit = 10}, IdOf));
  EXPECT_TRUE(page.items.empty());
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.next_cursor, "");
  EXPECT_EQ(page.prev_cursor, "");
}

DAIRA_INSTANTIATE_SQL_BACKENDS(KeysetTest);

}  // namespace
}  // namespace daira::query
