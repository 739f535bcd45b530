// Batch loading without N+1: many ids in one statement, and a DataLoader-style coalescer.
//
// LoadMany turns "load these ids" into one `... WHERE id IN <array>` statement (Dialect::InArray:
// `id = ANY(?)` on Postgres, `id IN (SELECT value FROM json_each(?))` on SQLite, one bound array
// either way), however many ids — up to LoadManyOptions::max_ids_per_statement per statement, so
// 25,000 ids at the default 10,000 are ceil(25000/10000) = 3 statements. Ids are deduplicated; the
// items come back in the caller's order, and the ids with no row are listed in `missing`.
//
//   auto to_user = [](const store::Row& r) { return User{r.Int64("id"), r.Text("username")}; };
//   DAIRA_ASSIGN_OR_RETURN(auto users, query::LoadMany(db, ctx,
//       "SELECT id, username FROM users WHERE", author_ids, to_user));
//   // users.items: one User per distinct found id, in author_ids order; users.missing: the rest.
//
// query::Batcher (daira/query/batcher.h) coalesces loads issued separately into one batch call.
//
// Thread-safety: LoadMany is reentrant (the Connection overload needs the usual one-thread-per-
// connection).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/query/row_mapper.h"
#include "daira/store/connection.h"
#include "daira/store/database.h"
#include "daira/store/value.h"

namespace daira::inline v0::query {

struct LoadManyOptions {
  // Column matched against the ids (in the appended InArray predicate) and read back from each row
  // (by its name after the last '.', so "u.id" reads column "id"). Default "id".
  std::string id_column = "id";
  // Most ids bound in one statement; more ids run as ceil(n / max) statements on one connection.
  // Default 10,000 (well inside SQLite's JSON and Postgres's array limits). Values < 1 act as 1.
  size_t max_ids_per_statement = 10000;
  // Values for `?` placeholders inside the SQL prefix, bound before the id array.
  std::vector<store::Value> params{};
};

template <typename T>
struct Loaded {
  std::vector<T> items;          // one per distinct id found, in the order ids were first given
  std::vector<int64_t> ids;      // items[i] is the row of ids[i]
  std::vector<int64_t> missing;  // distinct ids with no row, in the order given
};

// The raw rows of LoadMany: every chunk's result set, and for each distinct id (in caller order)
// where its row is, or nullopt when missing.
struct LoadedRows {
  std::vector<store::ResultSet> chunks;
  std::vector<int64_t> ids;  // distinct, caller order
  std::vector<std::optional<std::pair<size_t, size_t>>> where;  // (chunk, row) per ids[i]
};

// Runs `sql_prefix + " " + InArray(id_column)` over the distinct `ids`, chunked. `sql_prefix` must end
// where a predicate may follow ("SELECT ... FROM users WHERE" or "... WHERE deleted_at IS NULL AND").
// InvalidArgument naming "id_column" when the result has no such column; statement errors pass
// through. No ids: no statement at all.
absl::StatusOr<LoadedRows> LoadRows(store::Connection& conn, std::string_view sql_prefix,
                                    std::span<const int64_t> ids, const LoadManyOptions& options = {});

// LoadRows, then `map` (`T(const Row&)` or `StatusOr<T>(const Row&)`) on each found row.
template <typename F>
absl::StatusOr<Loaded<MappedType<F>>> LoadMany(store::Connection& conn, std::string_view sql_prefix,
                                               std::span<const int64_t> ids, F&& map,
                                               const LoadManyOptions& options = {}) {
  DAIRA_ASSIGN_OR_RETURN(LoadedRows rows, LoadRows(conn, sql_prefix, ids, options));
  Loaded<MappedType<F>> out;
  out.items.reserve(rows.ids.size());
  out.ids.reserve(rows.ids.size());
  for (size_t i = 0; i < rows.ids.size(); ++i) {
    if (!rows.where[i].has_value()) {
      out.missing.push_back(rows.ids[i]);
      continue;
    }
    const auto [chunk, row] = *rows.where[i];
    DAIRA_ASSIGN_OR_RETURN(auto item, ApplyMapper(map, rows.chunks[chunk].row(row)));
    out.items.push_back(std::move(item));
    out.ids.push_back(rows.ids[i]);
  }
  return out;
}

// The same for `ctx`: inside its open transaction when it has one (seeing its uncommitted writes), else
// on a read connection leased from `db` (every chunk on that one connection).
template <typename F>
absl::StatusOr<Loaded<MappedType<F>>> LoadMany(store::Database& db, const RequestContext& ctx,
                                               std::string_view sql_prefix, std::span<const int64_t> ids, F&& map,
                                               const LoadManyOptions& options = {}) {
  if (ids.empty()) return Loaded<MappedType<F>>{};
  return store::WithConnection(db, ctx, store::Access::kRead, [&](store::Connection& c) {
    return LoadMany(c, sql_prefix, ids, std::forward<F>(map), options);
  });
}

}  // namespace daira::inline v0::query
