// Raw libpq baseline: the same queries as daira's, PQprepare once, PQexecPrepared per call
// (text parameters and results, as a hand-written client would).
#pragma once

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "baselines/raw_users.h"

namespace daira_bench {

class PgBaseline final : public RawUsers {
 public:
  // Connects with a libpq conninfo/URL; null on failure (printed).
  static std::unique_ptr<PgBaseline> Open(const std::string& conninfo, const std::string& table) {
    auto b = std::unique_ptr<PgBaseline>(new PgBaseline());
    b->conn_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(b->conn_) != CONNECTION_OK) {
      std::fprintf(stderr, "pg baseline: connect: %s", PQerrorMessage(b->conn_));
      return nullptr;
    }
    std::string point = "SELECT id, username, email, created_at FROM " + table + " WHERE id = $1";
    std::string batch = "SELECT id, username, email, created_at FROM " + table + " WHERE id = ANY($1)";
    if (!b->Prepare("point", point) || !b->Prepare("batch", batch)) return nullptr;
    return b;
  }
  ~PgBaseline() override { PQfinish(conn_); }

  bool PointSelect(int64_t id, RawUser* out) override {
    std::string text = std::to_string(id);
    const char* values[1] = {text.c_str()};
    PGresult* r = PQexecPrepared(conn_, "point", 1, values, nullptr, nullptr, 0);
    bool found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (found) Read(r, 0, out);
    PQclear(r);
    return found;
  }

  size_t BatchSelect(std::span<const int64_t> ids, std::vector<RawUser>* out) override {
    out->clear();
    std::string array = JoinIds(ids, '{', '}');
    const char* values[1] = {array.c_str()};
    PGresult* r = PQexecPrepared(conn_, "batch", 1, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      const int n = PQntuples(r);
      out->resize(n);
      for (int i = 0; i < n; ++i) Read(r, i, &(*out)[i]);
    }
    PQclear(r);
    return out->size();
  }

 private:
  PgBaseline() = default;
  bool Prepare(const char* name, const std::string& sql) {
    PGresult* r = PQprepare(conn_, name, sql.c_str(), 0, nullptr);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) std::fprintf(stderr, "pg baseline: prepare %s: %s", name, PQerrorMessage(conn_));
    PQclear(r);
    return ok;
  }
  static void Read(PGresult* r, int row, RawUser* u) {
    u->id = std::strtoll(PQgetvalue(r, row, 0), nullptr, 10);
    u->username.assign(PQgetvalue(r, row, 1), PQgetlength(r, row, 1));
    u->email.assign(PQgetvalue(r, row, 2), PQgetlength(r, row, 2));
    u->created_at = std::strtoll(PQgetvalue(r, row, 3), nullptr, 10);
  }
  PGconn* conn_ = nullptr;
};

}  // namespace daira_bench
