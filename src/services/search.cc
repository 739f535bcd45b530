// Search service: ranked user search over the FTS5 table (SQLite) / GIN tsvector indexes (Postgres).
#include "daira/services/search.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daira/core/status.h"
#include "daira/store/dialect.h"
#include "services/search_internal.h"

namespace daira::inline v0::services {
namespace {

// Words of `q` for full-text matching: maximal runs of ASCII letters/digits or non-ASCII bytes
// (UTF-8 sequences), ASCII lower-cased. Everything else (quotes, '*', '-', operators' punctuation)
// separates words, so it can never act as FTS5 / tsquery syntax.
std::vector<std::string> Words(std::string_view q) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : q) {
    if (c >= 0x80 || absl::ascii_isalnum(c)) {
      cur.push_back(static_cast<char>(absl::ascii_tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  if (out.size() > 8) out.resize(8);
  return out;
}

// FTS5: every word as a quoted string (double quotes doubled) with a prefix '*', implicitly ANDed.
std::string Fts5Query(const std::vector<std::string>& words) {
  std::vector<std::string> parts;
  for (const std::string& w : words) {
    std::string quoted = "\"";
    for (char c : w) {
      if (c == '"') quoted.push_back('"');
      quoted.push_back(c);
    }
    parts.push_back(quoted + "\"*");
  }
  return absl::StrJoin(parts, " ");
}

// tsquery: every word as a quoted lexeme (single quotes doubled, backslashes escaped) with :*, ANDed.
std::string TsQuery(const std::vector<std::string>& words) {
  std::vector<std::string> parts;
  for (const std::string& w : words) {
    std::string quoted = "'";
    for (char c : w) {
      if (c == '\'' || c == '\\') quoted.push_back(c == '\'' ? '\'' : '\\');
      quoted.push_back(c);
    }
    parts.push_back(quoted + "':*");
  }
  return absl::StrJoin(parts, " & ");
}

int64_t Utf8Length(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

UserHit HitFromRow(const store::Row& r) {
  UserHit h;
  h.rank_bucket = static_cast<int>(r.Int64("bucket"));
  h.id = r.Int64("id");
  h.username = r.Text("username");
  if (!r.IsNull("display_name")) h.display_name = r.Text("display_name");
  if (!r.IsNull("avatar_url")) h.avatar_url = r.Text("avatar_url");
  h.is_verified = r.Int64("is_verified") != 0;
  return h;
}

// Cursor scopes hold at most CursorCodec::kMaxScopeBytes (the query is at most 100 characters).
std::string Scope(const std::string& q) { return "search:users:" + q; }

}  // namespace

namespace internal {

query::KeysetQuery UserSearchQuery(store::Backend backend, const std::string& q) {
  const std::vector<std::string> words = Words(q);
  const bool postgres = backend == store::Backend::kPostgres;

  std::vector<store::Value> params;
  const int64_t qlen = Utf8Length(q);
  // Candidates: a UNION of index-served branches (an OR across them would defeat the indexes).
  std::vector<std::string> branches;
  if (!q.empty()) {
    if (postgres) {
      // LIKE with escaped wildcards; served by users_username_uidx under the C collation, a filter
      // otherwise (the bucket below is decided by substr either way).
      std::string pattern;
      for (char c : q) {
        if (c == '%' || c == '_' || c == '!') pattern.push_back('!');
        pattern.push_back(c);
      }
      branches.push_back("SELECT id FROM users WHERE username LIKE ? ESCAPE '!'");
      params.emplace_back(pattern + "%");
    } else {
      // BINARY collation: [q, q + 0xFF) is exactly the strings starting with q (0xFF never occurs in
      // UTF-8); a range scan of users_username_uidx.
      branches.push_back("SELECT id FROM users WHERE username >= ? AND username < ?");
      params.insert(params.end(), {q, q + "\xFF"});
    }
  }
  if (!words.empty()) {
    if (postgres) {
      // The expressions are exactly those of users_search_idx and user_profiles_search_idx (GIN).
      const std::string tsq = TsQuery(words);
      branches.push_back("SELECT id FROM users WHERE to_tsvector('simple', username) @@ to_tsquery('simple', ?)");
      branches.push_back(
          "SELECT user_id FROM user_profiles WHERE to_tsvector('simple', coalesce(display_name, '')) @@ "
          "to_tsquery('simple', ?)");
      params.insert(params.end(), {tsq, tsq});
    } else {
      branches.push_back("SELECT rowid FROM users_fts WHERE users_fts MATCH ?");
      params.emplace_back(Fts5Query(words));
    }
  }
  if (branches.empty()) branches.push_back("SELECT id FROM users WHERE 1 = 0");
  // bucket: 0 exact, 1 prefix, 2 full text, decided per candidate (substr: no wildcards).
  std::vector<store::Value> all_params = {q, qlen, q};
  all_params.insert(all_params.end(), params.begin(), params.end());
  params = std::move(all_params);
  const std::string inner = absl::StrCat(
      "SELECT CAST(CASE WHEN u.username = ? THEN 0 WHEN substr(u.username, 1, CAST(? AS INTEGER)) = ? THEN 1 "
      "ELSE 2 END AS BIGINT) AS bucket, u.id, u.username, p.display_name, u.avatar_url, u.is_verified "
      "FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id "
      "WHERE u.status = 'ACTIVE' AND u.id IN (",
      absl::StrJoin(branches, " UNION "), ")");

  return query::KeysetQuery{
      .scope = Scope(q),
      .select = absl::StrCat("SELECT bucket, id, username, display_name, avatar_url, is_verified FROM (", inner, ") s"),
      .params = std::move(params),
      .keys = {{"bucket"}, {"id"}},
      .order = query::SortOrder::kAscending};
}

}  // namespace internal

absl::StatusOr<query::Page<UserHit>> Search::Users(const RequestContext& ctx, const SearchRequest& request) {
  DAIRA_RETURN_IF_ERROR(request.Validate());
  if (request.scope != "ALL" && request.scope != "USERS") {
    return InvalidField("search", "scope", absl::StrCat("must be ALL or USERS for a user search (got ", request.scope, ")"));
  }
  std::string q = std::string(absl::StripAsciiWhitespace(request.query));
  if (!q.empty() && q.front() == '@') q.erase(0, 1);
  // Usernames are stored lower-cased (ASCII); non-ASCII bytes are left as they are.
  absl::AsciiStrToLower(&q);
  const query::KeysetQuery kq = internal::UserSearchQuery(deps_.db->backend(), q);
  return query::FetchPage(*deps_.db, ctx, kq,
                          query::PageRequest{.limit = static_cast<int>(request.limit), .cursor = request.cursor},
                          HitFromRow);
}

}  // namespace daira::inline v0::services
