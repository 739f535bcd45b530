// Raw sqlite3 baseline for bench/services_bench.cc: the services' statements, prepared once on one
// read-only connection, bind/step/reset per call, rows copied into the plain structs of services_raw.h.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "baselines/services_raw.h"

namespace daira_bench {

class SqliteServicesBaseline final : public RawServices {
 public:
  // Opens the seeded file `path` read-only and prepares `sql`; null on failure (printed).
  static std::unique_ptr<SqliteServicesBaseline> Open(const std::string& path, const ServicesSql& sql) {
    auto b = std::unique_ptr<SqliteServicesBaseline>(new SqliteServicesBaseline());
    if (sqlite3_open_v2(path.c_str(), &b->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite services baseline: open %s: %s\n", path.c_str(), sqlite3_errmsg(b->db_));
      return nullptr;
    }
    sqlite3_busy_timeout(b->db_, 5000);
    const bool ok = b->Prepare(sql.user_get, &b->user_get_) && b->Prepare(sql.user_batch, &b->user_batch_) &&
                    b->Prepare(sql.search, &b->search_) && b->Prepare(sql.home, &b->home_) &&
                    b->Prepare(sql.authors, &b->authors_) && b->Prepare(sql.stats, &b->stats_) &&
                    b->Prepare(sql.trending, &b->trending_);
    if (!ok) return nullptr;
    // The search statement's shape belongs to the service: find its columns by name.
    b->search_params_ = sql.search_params;
    const char* names[6] = {"bucket", "id", "username", "display_name", "avatar_url", "is_verified"};
    for (int k = 0; k < 6; ++k) {
      b->hit_cols_[k] = -1;
      for (int c = 0; c < sqlite3_column_count(b->search_); ++c) {
        if (std::string_view(sqlite3_column_name(b->search_, c)) == names[k]) b->hit_cols_[k] = c;
      }
      if (b->hit_cols_[k] < 0) {
        std::fprintf(stderr, "sqlite services baseline: the search statement has no column %s\n", names[k]);
        return nullptr;
      }
    }
    return b;
  }
  ~SqliteServicesBaseline() override {
    for (sqlite3_stmt* st : {user_get_, user_batch_, search_, home_, authors_, stats_, trending_}) sqlite3_finalize(st);
    sqlite3_close(db_);
  }

  bool GetUser(int64_t id, RawUserRow* out) override {
    ++statements_;
    sqlite3_bind_int64(user_get_, 1, id);
    const bool found = sqlite3_step(user_get_) == SQLITE_ROW;
    if (found) ReadUser(user_get_, out);
    sqlite3_reset(user_get_);
    return found;
  }

  int64_t GetUsers(std::span<const int64_t> ids, std::vector<RawUserRow>* out) override {
    ++statements_;
    const std::string json = IdArrayText(ids, '[', ']');
    sqlite3_bind_text(user_batch_, 1, json.data(), static_cast<int>(json.size()), SQLITE_STATIC);
    rows_.clear();
    int rc;
    while ((rc = sqlite3_step(user_batch_)) == SQLITE_ROW) ReadUser(user_batch_, &rows_.emplace_back());
    sqlite3_reset(user_batch_);
    if (rc != SQLITE_DONE) return Failed("user batch");
    // The caller's order.
    where_.clear();
    for (size_t i = 0; i < rows_.size(); ++i) where_.emplace(rows_[i].id, i);
    out->clear();
    for (int64_t id : ids) {
      auto it = where_.find(id);
      if (it != where_.end()) out->push_back(std::move(rows_[it->second]));
    }
    return static_cast<int64_t>(out->size());
  }

  int64_t SearchUsers(const std::string& q, int limit, std::vector<RawHit>* out) override {
    ++statements_;
    const SearchTerms t = MakeSearchTerms(q, limit);
    for (size_t i = 0; i < search_params_.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      switch (search_params_[i]) {
        case SearchParam::kLength: sqlite3_bind_int64(search_, at, t.length); break;
        case SearchParam::kFetch: sqlite3_bind_int64(search_, at, t.fetch); break;
        default: {
          const std::string& text = SearchText(t, search_params_[i]);
          sqlite3_bind_text(search_, at, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
        }
      }
    }
    out->clear();
    int rc;
    while ((rc = sqlite3_step(search_)) == SQLITE_ROW) {
      if (out->size() == static_cast<size_t>(limit)) continue;  // the extra row only says "more"
      RawHit& h = out->emplace_back();
      h.bucket = sqlite3_column_int(search_, hit_cols_[0]);
      h.id = sqlite3_column_int64(search_, hit_cols_[1]);
      Text(search_, hit_cols_[2], &h.username);
      Text(search_, hit_cols_[3], &h.display_name);
      h.avatar_url = OptText(search_, hit_cols_[4]);
      h.is_verified = sqlite3_column_int64(search_, hit_cols_[5]) != 0;
    }
    sqlite3_reset(search_);
    return rc == SQLITE_DONE ? static_cast<int64_t>(out->size()) : Failed("search");
  }

  int64_t HomeFeed(int64_t viewer, int64_t now, int limit, std::vector<RawPost>* out) override {
    ++statements_;
    const int64_t params[8] = {viewer, viewer, viewer, viewer, now, viewer, viewer,
                               std::numeric_limits<int64_t>::max()};
    for (int i = 0; i < 8; ++i) sqlite3_bind_int64(home_, i + 1, params[i]);
    out->clear();
    int rc;
    while ((rc = sqlite3_step(home_)) == SQLITE_ROW) {
      if (out->size() == static_cast<size_t>(limit)) continue;
      ReadPost(home_, &out->emplace_back());
    }
    sqlite3_reset(home_);
    if (rc != SQLITE_DONE) return Failed("home");
    if (out->empty()) return 0;
    // Authors: one statement for the distinct ids.
    ++statements_;
    DistinctAuthors(*out, &ids_);
    const std::string json = IdArrayText(ids_, '[', ']');
    sqlite3_bind_text(authors_, 1, json.data(), static_cast<int>(json.size()), SQLITE_STATIC);
    authors_rows_.clear();
    while ((rc = sqlite3_step(authors_)) == SQLITE_ROW) {
      RawAuthor& a = authors_rows_.emplace_back();
      a.id = sqlite3_column_int64(authors_, 0);
      Text(authors_, 1, &a.username);
      Text(authors_, 2, &a.avatar_url);
      a.is_verified = sqlite3_column_int64(authors_, 3) != 0;
      Text(authors_, 4, &a.display_name);
    }
    sqlite3_reset(authors_);
    if (rc != SQLITE_DONE) return Failed("authors");
    AttachAuthors(authors_rows_, out);
    return static_cast<int64_t>(out->size());
  }

  bool Stats(int64_t user, RawStats* out) override {
    ++statements_;
    sqlite3_bind_int64(stats_, 1, user);
    const bool found = sqlite3_step(stats_) == SQLITE_ROW;
    if (found) {
      out->followers = sqlite3_column_int64(stats_, 0);
      out->following = sqlite3_column_int64(stats_, 1);
      out->posts = sqlite3_column_int64(stats_, 2);
      out->videos = sqlite3_column_int64(stats_, 3);
      out->likes_received = sqlite3_column_int64(stats_, 4);
    }
    sqlite3_reset(stats_);
    return found;
  }

  int64_t TrendingVideos(int64_t now, int64_t window_us, int limit, std::vector<RawVideo>* out) override {
    ++statements_;
    sqlite3_bind_int64(trending_, 1, now - window_us);
    sqlite3_bind_int64(trending_, 2, now);
    out->clear();
    int rc;
    while ((rc = sqlite3_step(trending_)) == SQLITE_ROW) ReadVideo(trending_, &out->emplace_back());
    sqlite3_reset(trending_);
    if (rc != SQLITE_DONE) return Failed("trending");
    RankTrending(now, limit, out);
    return static_cast<int64_t>(out->size());
  }

 private:
  SqliteServicesBaseline() = default;

  bool Prepare(const std::string& sql, sqlite3_stmt** st) {
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, st, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite services baseline: prepare: %s\n  %s\n", sqlite3_errmsg(db_), sql.c_str());
      return false;
    }
    return true;
  }
  int64_t Failed(const char* what) {
    std::fprintf(stderr, "sqlite services baseline: %s: %s\n", what, sqlite3_errmsg(db_));
    return -1;
  }

  static void Text(sqlite3_stmt* st, int col, std::string* out) {
    const unsigned char* p = sqlite3_column_text(st, col);
    if (p == nullptr) {
      out->clear();
    } else {
      out->assign(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, col)));
    }
  }
  static std::optional<std::string> OptText(sqlite3_stmt* st, int col) {
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return std::nullopt;
    std::string s;
    Text(st, col, &s);
    return s;
  }
  static std::optional<int64_t> OptInt(sqlite3_stmt* st, int col) {
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(st, col);
  }
  static std::string_view View(sqlite3_stmt* st, int col) {
    const unsigned char* p = sqlite3_column_text(st, col);
    if (p == nullptr) return {};
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, col))};
  }

  // id, username, email, phone, avatar_url, is_verified, is_private, status, role, last_login_at,
  // created_at, updated_at, deleted_at
  static void ReadUser(sqlite3_stmt* st, RawUserRow* u) {
    u->id = sqlite3_column_int64(st, 0);
    Text(st, 1, &u->username);
    u->email = OptText(st, 2);
    u->phone = OptText(st, 3);
    u->avatar_url = OptText(st, 4);
    u->is_verified = sqlite3_column_int64(st, 5) != 0;
    u->is_private = sqlite3_column_int64(st, 6) != 0;
    Text(st, 7, &u->status);
    Text(st, 8, &u->role);
    u->last_login_at = OptInt(st, 9);
    u->created_at = sqlite3_column_int64(st, 10);
    u->updated_at = sqlite3_column_int64(st, 11);
    u->deleted_at = OptInt(st, 12);
  }

  // id, author_id, content, media_urls, hashtags, mentions, likes_count, comments_count, status,
  // visibility, created_at, updated_at, deleted_at
  static void ReadPost(sqlite3_stmt* st, RawPost* p) {
    p->id = sqlite3_column_int64(st, 0);
    p->author_id = sqlite3_column_int64(st, 1);
    Text(st, 2, &p->content);
    ParseJsonStrings(View(st, 3), &p->media_urls);
    ParseJsonStrings(View(st, 4), &p->hashtags);
    ParseInts(View(st, 5), &p->mentions);
    p->likes_count = sqlite3_column_int64(st, 6);
    p->comments_count = sqlite3_column_int64(st, 7);
    Text(st, 8, &p->status);
    Text(st, 9, &p->visibility);
    p->created_at = sqlite3_column_int64(st, 10);
    p->updated_at = sqlite3_column_int64(st, 11);
    p->deleted_at = OptInt(st, 12);
  }

  // id, author_id, title, description, hashtags, thumbnail_url, hls_url, duration_ms, resolution,
  // views_count, likes_count, comments_count, status, visibility, error, created_at, updated_at,
  // published_at
  static void ReadVideo(sqlite3_stmt* st, RawVideo* v) {
    v->id = sqlite3_column_int64(st, 0);
    v->author_id = sqlite3_column_int64(st, 1);
    Text(st, 2, &v->title);
    Text(st, 3, &v->description);
    ParseJsonStrings(View(st, 4), &v->hashtags);
    v->thumbnail_url = OptText(st, 5);
    v->hls_url = OptText(st, 6);
    v->duration_ms = sqlite3_column_int64(st, 7);
    Text(st, 8, &v->resolution);
    v->views_count = sqlite3_column_int64(st, 9);
    v->likes_count = sqlite3_column_int64(st, 10);
    v->comments_count = sqlite3_column_int64(st, 11);
    Text(st, 12, &v->status);
    Text(st, 13, &v->visibility);
    v->error = OptText(st, 14);
    v->created_at = sqlite3_column_int64(st, 15);
    v->updated_at = sqlite3_column_int64(st, 16);
    v->published_at = OptInt(st, 17);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* user_get_ = nullptr;
  sqlite3_stmt* user_batch_ = nullptr;
  sqlite3_stmt* search_ = nullptr;
  sqlite3_stmt* home_ = nullptr;
  sqlite3_stmt* authors_ = nullptr;
  sqlite3_stmt* stats_ = nullptr;
  sqlite3_stmt* trending_ = nullptr;
  std::vector<SearchParam> search_params_;
  int hit_cols_[6] = {};  // bucket, id, username, display_name, avatar_url, is_verified
  // Scratch reused across calls.
  std::vector<RawUserRow> rows_;
  std::unordered_map<int64_t, size_t> where_;
  std::vector<int64_t> ids_;
  std::vector<RawAuthor> authors_rows_;
};

}  // namespace daira_bench
