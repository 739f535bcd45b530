// Raw libpq baseline for bench/services_bench.cc: the services' statements, PQprepare'd once (with the
// parameter types daira declares: int8 for integers, int8[] for id arrays, unspecified for text),
// PQexecPrepared per call with text parameters and text results, rows copied into the plain structs
// of services_raw.h.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "baselines/services_raw.h"

namespace daira_bench {

class PgServicesBaseline final : public RawServices {
 public:
  // Connects with a libpq conninfo/URI (its search_path must hold the seeded schema) and prepares
  // `sql`; null on failure (printed).
  static std::unique_ptr<PgServicesBaseline> Open(const std::string& conninfo, const ServicesSql& sql) {
    auto b = std::unique_ptr<PgServicesBaseline>(new PgServicesBaseline());
    b->conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(b->conn_) != CONNECTION_OK) {
      std::fprintf(stderr, "pg services baseline: connect: %s", PQerrorMessage(b->conn_));
      return nullptr;
    }
    constexpr Oid kInt8 = 20, kText = 0, kInt8Array = 1016;
    std::vector<Oid> search_types;
    for (SearchParam p : sql.search_params) {
      search_types.push_back(p == SearchParam::kLength || p == SearchParam::kFetch ? kInt8 : kText);
    }
    b->search_params_ = sql.search_params;
    const bool ok = b->Prepare("user_get", sql.user_get, {kInt8}) &&
                    b->Prepare("user_batch", sql.user_batch, {kInt8Array}) &&
                    b->Prepare("search", sql.search, search_types) &&
                    b->Prepare("home", sql.home, {kInt8, kInt8, kInt8, kInt8, kInt8, kInt8, kInt8, kInt8}) &&
                    b->Prepare("authors", sql.authors, {kInt8Array}) && b->Prepare("stats", sql.stats, {kInt8}) &&
                    b->Prepare("trending", sql.trending, {kInt8, kInt8});
    if (!ok) return nullptr;
    // The search statement's shape belongs to the service: find its columns by name.
    PGresult* d = PQdescribePrepared(b->conn_, "search");
    const char* names[6] = {"bucket", "id", "username", "display_name", "avatar_url", "is_verified"};
    for (int k = 0; k < 6; ++k) {
      b->hit_cols_[k] = PQfnumber(d, names[k]);
      if (b->hit_cols_[k] < 0) {
        std::fprintf(stderr, "pg services baseline: the search statement has no column %s\n", names[k]);
        PQclear(d);
        return nullptr;
      }
    }
    PQclear(d);
    return b;
  }
  ~PgServicesBaseline() override { PQfinish(conn_); }

  bool GetUser(int64_t id, RawUserRow* out) override {
    const std::string text = std::to_string(id);
    const char* values[1] = {text.c_str()};
    PGresult* r = Exec("user_get", 1, values);
    const bool found = r != nullptr && PQntuples(r) == 1;
    if (found) ReadUser(r, 0, out);
    PQclear(r);
    return found;
  }

  int64_t GetUsers(std::span<const int64_t> ids, std::vector<RawUserRow>* out) override {
    const std::string array = IdArrayText(ids, '{', '}');
    const char* values[1] = {array.c_str()};
    PGresult* r = Exec("user_batch", 1, values);
    if (r == nullptr) return -1;
    const int n = PQntuples(r);
    // The caller's order.
    where_.clear();
    for (int i = 0; i < n; ++i) where_.emplace(ParseInt(Value(r, i, 0)), i);
    out->clear();
    for (int64_t id : ids) {
      auto it = where_.find(id);
      if (it != where_.end()) ReadUser(r, it->second, &out->emplace_back());
    }
    PQclear(r);
    return static_cast<int64_t>(out->size());
  }

  int64_t SearchUsers(const std::string& q, int limit, std::vector<RawHit>* out) override {
    const SearchTerms t = MakeSearchTerms(q, limit);
    const std::string len = std::to_string(t.length);
    const std::string fetch = std::to_string(t.fetch);
    values_.clear();
    for (SearchParam p : search_params_) {
      values_.push_back(p == SearchParam::kLength  ? len.c_str()
                        : p == SearchParam::kFetch ? fetch.c_str()
                                                   : SearchText(t, p).c_str());
    }
    PGresult* r = Exec("search", static_cast<int>(values_.size()), values_.data());
    if (r == nullptr) return -1;
    const int n = std::min(PQntuples(r), limit);
    out->resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      RawHit& h = (*out)[i];
      h.bucket = static_cast<int>(ParseInt(Value(r, i, hit_cols_[0])));
      h.id = ParseInt(Value(r, i, hit_cols_[1]));
      Text(r, i, hit_cols_[2], &h.username);
      Text(r, i, hit_cols_[3], &h.display_name);
      h.avatar_url = OptText(r, i, hit_cols_[4]);
      h.is_verified = ParseInt(Value(r, i, hit_cols_[5])) != 0;
    }
    PQclear(r);
    return n;
  }

  int64_t HomeFeed(int64_t viewer, int64_t now, int limit, std::vector<RawPost>* out) override {
    const std::string v = std::to_string(viewer);
    const std::string t = std::to_string(now);
    const std::string bound = std::to_string(std::numeric_limits<int64_t>::max());
    const char* values[8] = {v.c_str(), v.c_str(), v.c_str(), v.c_str(), t.c_str(), v.c_str(), v.c_str(),
                             bound.c_str()};
    PGresult* r = Exec("home", 8, values);
    if (r == nullptr) return -1;
    const int n = std::min(PQntuples(r), limit);
    out->resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) ReadPost(r, i, &(*out)[i]);
    PQclear(r);
    if (n == 0) return 0;
    // Authors: one statement for the distinct ids.
    DistinctAuthors(*out, &ids_);
    const std::string array = IdArrayText(ids_, '{', '}');
    const char* avalues[1] = {array.c_str()};
    PGresult* a = Exec("authors", 1, avalues);
    if (a == nullptr) return -1;
    const int m = PQntuples(a);
    authors_rows_.resize(static_cast<size_t>(m));
    for (int i = 0; i < m; ++i) {
      RawAuthor& au = authors_rows_[i];
      au.id = ParseInt(Value(a, i, 0));
      Text(a, i, 1, &au.username);
      Text(a, i, 2, &au.avatar_url);
      au.is_verified = ParseInt(Value(a, i, 3)) != 0;
      Text(a, i, 4, &au.display_name);
    }
    PQclear(a);
    AttachAuthors(authors_rows_, out);
    return n;
  }

  bool Stats(int64_t user, RawStats* out) override {
    const std::string text = std::to_string(user);
    const char* values[1] = {text.c_str()};
    PGresult* r = Exec("stats", 1, values);
    const bool found = r != nullptr && PQntuples(r) == 1;
    if (found) {
      out->followers = ParseInt(Value(r, 0, 0));
      out->following = ParseInt(Value(r, 0, 1));
      out->posts = ParseInt(Value(r, 0, 2));
      out->videos = ParseInt(Value(r, 0, 3));
      out->likes_received = ParseInt(Value(r, 0, 4));
    }
    PQclear(r);
    return found;
  }

  int64_t TrendingVideos(int64_t now, int64_t window_us, int limit, std::vector<RawVideo>* out) override {
    const std::string since = std::to_string(now - window_us);
    const std::string t = std::to_string(now);
    const char* values[2] = {since.c_str(), t.c_str()};
    PGresult* r = Exec("trending", 2, values);
    if (r == nullptr) return -1;
    const int n = PQntuples(r);
    out->resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) ReadVideo(r, i, &(*out)[i]);
    PQclear(r);
    RankTrending(now, limit, out);
    return static_cast<int64_t>(out->size());
  }

 private:
  PgServicesBaseline() = default;

  // `?` → `$n` outside single-quoted literals.
  static std::string Numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    bool quoted = false;
    for (char c : sql) {
      if (c == '\'') quoted = !quoted;
      if (c == '?' && !quoted) {
        out += "$" + std::to_string(++n);
      } else {
        out.push_back(c);
      }
    }
    return out;
  }
  bool Prepare(const char* name, const std::string& sql, std::vector<Oid> types) {
    const std::string numbered = Numbered(sql);
    PGresult* r = PQprepare(conn_, name, numbered.c_str(), static_cast<int>(types.size()), types.data());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) std::fprintf(stderr, "pg services baseline: prepare %s: %s  %s\n", name, PQerrorMessage(conn_), numbered.c_str());
    PQclear(r);
    return ok;
  }
  // One statement; the result, or null on failure (printed).
  PGresult* Exec(const char* name, int n, const char* const* values) {
    ++statements_;
    PGresult* r = PQexecPrepared(conn_, name, n, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "pg services baseline: %s: %s", name, PQerrorMessage(conn_));
      PQclear(r);
      return nullptr;
    }
    return r;
  }

  static std::string_view Value(PGresult* r, int row, int col) {
    return {PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))};
  }
  static void Text(PGresult* r, int row, int col, std::string* out) {
    out->assign(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
  }
  static std::optional<std::string> OptText(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return std::nullopt;
    return std::string(Value(r, row, col));
  }
  static std::optional<int64_t> OptInt(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return std::nullopt;
    return ParseInt(Value(r, row, col));
  }

  static void ReadUser(PGresult* r, int i, RawUserRow* u) {
    u->id = ParseInt(Value(r, i, 0));
    Text(r, i, 1, &u->username);
    u->email = OptText(r, i, 2);
    u->phone = OptText(r, i, 3);
    u->avatar_url = OptText(r, i, 4);
    u->is_verified = ParseInt(Value(r, i, 5)) != 0;
    u->is_private = ParseInt(Value(r, i, 6)) != 0;
    Text(r, i, 7, &u->status);
    Text(r, i, 8, &u->role);
    u->last_login_at = OptInt(r, i, 9);
    u->created_at = ParseInt(Value(r, i, 10));
    u->updated_at = ParseInt(Value(r, i, 11));
    u->deleted_at = OptInt(r, i, 12);
  }
  static void ReadPost(PGresult* r, int i, RawPost* p) {
    p->id = ParseInt(Value(r, i, 0));
    p->author_id = ParseInt(Value(r, i, 1));
    Text(r, i, 2, &p->content);
    ParsePgTextArray(Value(r, i, 3), &p->media_urls);
    ParsePgTextArray(Value(r, i, 4), &p->hashtags);
    ParseInts(Value(r, i, 5), &p->mentions);
    p->likes_count = ParseInt(Value(r, i, 6));
    p->comments_count = ParseInt(Value(r, i, 7));
    Text(r, i, 8, &p->status);
    Text(r, i, 9, &p->visibility);
    p->created_at = ParseInt(Value(r, i, 10));
    p->updated_at = ParseInt(Value(r, i, 11));
    p->deleted_at = OptInt(r, i, 12);
  }
  static void ReadVideo(PGresult* r, int i, RawVideo* v) {
    v->id = ParseInt(Value(r, i, 0));
    v->author_id = ParseInt(Value(r, i, 1));
    Text(r, i, 2, &v->title);
    Text(r, i, 3, &v->description);
    ParsePgTextArray(Value(r, i, 4), &v->hashtags);
    v->thumbnail_url = OptText(r, i, 5);
    v->hls_url = OptText(r, i, 6);
    v->duration_ms = ParseInt(Value(r, i, 7));
    Text(r, i, 8, &v->resolution);
    v->views_count = ParseInt(Value(r, i, 9));
    v->likes_count = ParseInt(Value(r, i, 10));
    v->comments_count = ParseInt(Value(r, i, 11));
    Text(r, i, 12, &v->status);
    Text(r, i, 13, &v->visibility);
    v->error = OptText(r, i, 14);
    v->created_at = ParseInt(Value(r, i, 15));
    v->updated_at = ParseInt(Value(r, i, 16));
    v->published_at = OptInt(r, i, 17);
  }

  PGconn* conn_ = nullptr;
  std::vector<SearchParam> search_params_;
  int hit_cols_[6] = {};  // bucket, id, username, display_name, avatar_url, is_verified
  std::vector<const char*> values_;
  std::unordered_map<int64_t, int> where_;
  std::vector<int64_t> ids_;
  std::vector<RawAuthor> authors_rows_;
};

}  // namespace daira_bench
