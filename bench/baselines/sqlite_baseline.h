// Raw sqlite3 baseline: the same queries as daira's, prepared once, bind/step/reset per call.
#pragma once

#include <sqlite3.h>

#include <cstdio>
#include <memory>
#include <string>

#include "baselines/raw_users.h"

namespace daira_bench {

class SqliteBaseline final : public RawUsers {
 public:
  // Opens `path` (an existing fixture file) read-only in WAL mode; null on failure (printed).
  static std::unique_ptr<SqliteBaseline> Open(const std::string& path, const std::string& table) {
    auto b = std::unique_ptr<SqliteBaseline>(new SqliteBaseline());
    if (sqlite3_open_v2(path.c_str(), &b->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite baseline: open %s: %s\n", path.c_str(), sqlite3_errmsg(b->db_));
      return nullptr;
    }
    std::string point = "SELECT id, username, email, created_at FROM " + table + " WHERE id = ?";
    std::string batch = "SELECT id, username, email, created_at FROM " + table +
                        " WHERE id IN (SELECT value FROM json_each(?))";
    if (sqlite3_prepare_v3(b->db_, point.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &b->point_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v3(b->db_, batch.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &b->batch_, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite baseline: prepare: %s\n", sqlite3_errmsg(b->db_));
      return nullptr;
    }
    return b;
  }
  ~SqliteBaseline() override {
    sqlite3_finalize(point_);
    sqlite3_finalize(batch_);
    sqlite3_close(db_);
  }

  bool PointSelect(int64_t id, RawUser* out) override {
    sqlite3_bind_int64(point_, 1, id);
    bool found = false;
    if (sqlite3_step(point_) == SQLITE_ROW) {
      Read(point_, out);
      found = true;
    }
    sqlite3_reset(point_);
    return found;
  }

  size_t BatchSelect(std::span<const int64_t> ids, std::vector<RawUser>* out) override {
    out->clear();
    std::string json = JoinIds(ids, '[', ']');
    sqlite3_bind_text(batch_, 1, json.data(), static_cast<int>(json.size()), SQLITE_STATIC);
    while (sqlite3_step(batch_) == SQLITE_ROW) Read(batch_, &out->emplace_back());
    sqlite3_reset(batch_);
    return out->size();
  }

 private:
  SqliteBaseline() = default;
  static void Read(sqlite3_stmt* st, RawUser* u) {
    u->id = sqlite3_column_int64(st, 0);
    u->username.assign(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), sqlite3_column_bytes(st, 1));
    u->email.assign(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)), sqlite3_column_bytes(st, 2));
    u->created_at = sqlite3_column_int64(st, 3);
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* point_ = nullptr;
  sqlite3_stmt* batch_ = nullptr;
};

}  // namespace daira_bench
