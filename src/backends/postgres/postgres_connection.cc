#include "backends/postgres/postgres_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "backends/postgres/postgres_status.h"
#include "backends/postgres/postgres_values.h"
#include "daira/core/status.h"
#include "daira/store/dialect.h"

namespace daira::inline v0::backends {

namespace {

using store::ResultSet;
using store::Value;
using store::ValueType;

// Type OIDs (pg_type.dat). Parameters of type 0 are inferred by the server.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kJsonOid = 114;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNameArrayOid = 1003;
constexpr Oid kInt2ArrayOid = 1005;
constexpr Oid kInt4ArrayOid = 1007;
constexpr Oid kTextArrayOid = 1009;
constexpr Oid kBpcharArrayOid = 1014;
constexpr Oid kVarcharArrayOid = 1015;
constexpr Oid kInt8ArrayOid = 1016;
constexpr Oid kNumericOid = 1700;
constexpr Oid kJsonbOid = 3802;

// The parameter type a Value binds as. Text, JSON and NULL are left to the server so they can fill
// varchar/jsonb/enum/boolean columns; numbers get explicit types so `? - 1` stays int8 (not int4).
Oid ParamOid(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt64: return kInt8Oid;
    case ValueType::kDouble: return kFloat8Oid;
    case ValueType::kBlob: return kByteaOid;
    case ValueType::kInt64Array: return kInt8ArrayOid;
    case ValueType::kTextArray: return kTextArrayOid;
    case ValueType::kNull:
    case ValueType::kText:
    case ValueType::kJson: return 0;
  }
  return 0;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

int64_t ParseInt64(const char* s, int len) {
  int64_t v = 0;
  std::from_chars(s, s + len, v);
  return v;
}

Value DecodeValue(Oid type, const char* s, int len) {
  switch (type) {
    case kBoolOid: return Value(int64_t{s[0] == 't' ? 1 : 0});
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid:
    case kOidOid: return Value(ParseInt64(s, len));
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: return Value(std::strtod(s, nullptr));
    case kByteaOid: {
      std::string bytes;
      if (!PgDecodeHexBytea(std::string_view(s, len), &bytes)) {  // bytea_output=escape
        size_t n = 0;
        unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(s), &n);
        if (raw != nullptr) {
          bytes.assign(reinterpret_cast<const char*>(raw), n);
          PQfreemem(raw);
        }
      }
      return Value::Blob(std::move(bytes));
    }
    case kInt2ArrayOid:
    case kInt4ArrayOid:
    case kInt8ArrayOid: {
      std::vector<std::optional<std::string>> items;
      if (!PgParseArrayLiteral(std::string_view(s, len), &items)) return Value(std::string(s, len));
      std::vector<int64_t> out;
      out.reserve(items.size());
      for (const auto& item : items) {
        out.push_back(item ? ParseInt64(item->data(), static_cast<int>(item->size())) : 0);
      }
      return Value(std::move(out));
    }
    case kTextArrayOid:
    case kVarcharArrayOid:
    case kBpcharArrayOid:
    case kNameArrayOid: {
      std::vector<std::optional<std::string>> items;
      if (!PgParseArrayLiteral(std::string_view(s, len), &items)) return Value(std::string(s, len));
      std::vector<std::string> out;
      out.reserve(items.size());
      for (auto& item : items) out.push_back(item ? std::move(*item) : std::string());
      return Value(std::move(out));
    }
    case kJsonOid:
    case kJsonbOid: return Value::Json(std::string(s, len));
    default: return Value(std::string(s, len));
  }
}

const char* IsolationSql(store::IsolationLevel level) {
  switch (level) {
    case store::IsolationLevel::kReadCommitted: return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case store::IsolationLevel::kRepeatableRead: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case store::IsolationLevel::kSerializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case store::IsolationLevel::kDefault: break;
  }
  return "BEGIN";
}

}  // namespace

// Parameter arrays for one execution. Pointers refer into `storage` (sized once, never reallocated)
// or into the caller's Values, which outlive the call.
struct PostgresConnection::Bound {
  std::vector<Oid> types;
  std::vector<std::string> storage;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  // InvalidArgument for text containing NUL, which PostgreSQL text cannot hold (refused, never truncated).
  absl::Status Bind(store::Params params) {
    const size_t n = params.size();
    types.resize(n);
    storage.resize(n);
    values.resize(n);
    lengths.assign(n, 0);
    formats.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const Value& v = params[i];
      types[i] = ParamOid(v);
      switch (v.type()) {
        case ValueType::kNull: values[i] = nullptr; break;
        case ValueType::kInt64: {
          char buf[24];
          auto r = std::to_chars(buf, buf + sizeof(buf), v.int64());
          storage[i].assign(buf, r.ptr);
          values[i] = storage[i].c_str();
          break;
        }
        case ValueType::kDouble:
          storage[i] = PgDoubleText(v.dbl());
          values[i] = storage[i].c_str();
          break;
        case ValueType::kText:
        case ValueType::kJson: {
          const std::string& t = v.type() == ValueType::kText ? v.text() : v.json();
          if (t.find('\0') != std::string::npos) {
            return absl::InvalidArgumentError(absl::StrCat(
                "execute: parameter ", i + 1, " text contains a NUL byte (PostgreSQL text cannot hold it; use a blob)"));
          }
          values[i] = t.c_str();
          break;
        }
        case ValueType::kBlob:
          values[i] = v.blob().data();
          lengths[i] = static_cast<int>(v.blob().size());
          formats[i] = 1;  // binary: no escaping, any byte value
          break;
        case ValueType::kInt64Array:
          storage[i] = PgInt64ArrayLiteral(v.int64_array());
          values[i] = storage[i].c_str();
          break;
        case ValueType::kTextArray:
          storage[i] = PgTextArrayLiteral(v.text_array());
          values[i] = storage[i].c_str();
          break;
      }
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<ResultSet> PostgresStatement::Execute(store::Params params) {
  return conn_->ExecuteStatement(this, params);
}

PostgresConnection::PostgresConnection(pg_conn* conn) : conn_(conn) {}

PostgresConnection::~PostgresConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

int PostgresConnection::backend_pid() const { return PQbackendPID(conn_); }

absl::StatusOr<store::Statement*> PostgresConnection::Prepare(std::string_view sql) {
  auto it = cache_.find(ToAbsl(sql));
  if (it != cache_.end()) return it->second.get();
  static const store::Dialect kDialect(store::Backend::kPostgres);
  auto st = std::make_unique<PostgresStatement>(this, std::string(sql), kDialect.RewritePlaceholders(sql),
                                                store::Dialect::CountPlaceholders(sql));
  PostgresStatement* raw = st.get();
  cache_.emplace(std::string(sql), std::move(st));
  return raw;
}

PostgresStatement::Variant* PostgresConnection::VariantFor(PostgresStatement* st, const std::vector<Oid>& types,
                                                          store::Params params) {
  // Prefer a prepared variant; a NULL parameter fits any type.
  PostgresStatement::Variant* unprepared = nullptr;
  for (PostgresStatement::Variant& v : st->variants_) {
    bool match = true;
    for (size_t i = 0; i < types.size() && match; ++i) {
      match = params[i].is_null() || v.types[i] == types[i];
    }
    if (!match) continue;
    if (v.prepared) return &v;
    if (unprepared == nullptr) unprepared = &v;
  }
  if (unprepared != nullptr) return unprepared;
  PostgresStatement::Variant& v = st->variants_.emplace_back();
  v.types = types;
  v.prepare_types = types;
  v.name = absl::StrCat("d", next_statement_id_++);
  return &v;
}

absl::Status PostgresConnection::ErrorFrom(const pg_result* result, std::string_view sql) {
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) sqlstate = s;
    if (const char* m = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) {
      message = m;
    } else {
      message = PQresultErrorMessage(result);
    }
  }
  if (message.empty()) message = PQerrorMessage(conn_);
  absl::StatusCode code = absl::StatusCode::kOk;  // from the SQLSTATE
  if (PQstatus(conn_) != CONNECTION_OK || PgSqlStateMeansLostConnection(sqlstate)) {
    broken_ = true;
    code = absl::StatusCode::kUnavailable;
  }
  return PgError(sqlstate, message, sql, code);
}

absl::StatusOr<ResultSet> PostgresConnection::ToResultSet(const pg_result* result, std::string_view sql,
                                                          PostgresStatement::Variant* variant) {
  switch (PQresultStatus(result)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY: break;
    default: return ErrorFrom(result, sql);
  }
  const int ncols = PQnfields(result);
  const int nrows = PQntuples(result);
  std::vector<Oid> types(ncols);
  for (int c = 0; c < ncols; ++c) types[c] = PQftype(result, c);
  std::shared_ptr<const std::vector<std::string>> columns;
  if (variant != nullptr && variant->columns != nullptr && static_cast<int>(variant->columns->size()) == ncols) {
    columns = variant->columns;
    for (int c = 0; c < ncols && columns != nullptr; ++c) {
      if ((*columns)[c] != PQfname(result, c)) columns = nullptr;
    }
  }
  if (columns == nullptr) {
    std::vector<std::string> names;
    names.reserve(ncols);
    for (int c = 0; c < ncols; ++c) names.emplace_back(PQfname(result, c));
    columns = std::make_shared<const std::vector<std::string>>(std::move(names));
    if (variant != nullptr) variant->columns = columns;
  }
  ResultSet rs(std::move(columns));
  rs.Reserve(nrows);
  for (int r = 0; r < nrows; ++r) {
    for (int c = 0; c < ncols; ++c) {
      rs.AppendValue(PQgetisnull(result, r, c)
                         ? Value(nullptr)
                         : DecodeValue(types[c], PQgetvalue(result, r, c), PQgetlength(result, r, c)));
    }
  }
  // Rows changed by INSERT/UPDATE/DELETE/MERGE (RETURNING included); queries report 0 (PQcmdTuples
  // would give SELECT's row count).
  pg_result* mutable_result = const_cast<pg_result*>(result);
  const std::string_view tag = PQcmdStatus(mutable_result);
  if (tag.starts_with("INSERT") || tag.starts_with("UPDATE") || tag.starts_with("DELETE") ||
      tag.starts_with("MERGE")) {
    const char* affected = PQcmdTuples(mutable_result);
    if (affected != nullptr && *affected != '\0') rs.set_rows_affected(std::strtoll(affected, nullptr, 10));
  }
  return rs;
}

absl::StatusOr<ResultSet> PostgresConnection::ExecuteStatement(PostgresStatement* st, store::Params params) {
  if (static_cast<int>(params.size()) != st->param_count_) {
    return absl::InvalidArgumentError(absl::StrCat("execute: parameter count is wrong (got ", params.size(),
                                                   ", want ", st->param_count_, ") in: ",
                                                   ToAbsl(st->sql_.substr(0, 200))));
  }
  Bound bound;
  DAIRA_RETURN_IF_ERROR(bound.Bind(params));
  PostgresStatement::Variant* v = VariantFor(st, bound.types, params);
  if (!v->prepared) {
    // Parse + Bind/Execute in one pipeline: a new statement still costs one round trip.
    PostgresStatement* one[] = {st};
    store::Params p[] = {params};
    DAIRA_ASSIGN_OR_RETURN(std::vector<ResultSet> results, RunPipeline(one, p));
    return std::move(results[0]);
  }
  ++round_trips_;
  ++statements_executed_;
  ResultPtr result(PQexecPrepared(conn_, v->name.c_str(), static_cast<int>(params.size()), bound.values.data(),
                                  bound.lengths.data(), bound.formats.data(), /*resultFormat=*/0));
  if (result == nullptr) return ErrorFrom(nullptr, st->sql_);
  absl::StatusOr<ResultSet> rs = ToResultSet(result.get(), st->sql_, v);
  if (!rs.ok() && store::StatusSqlState(rs.status()) == "0A000" && !broken_ && !InTransaction()) {
    Invalidate(st);
    PostgresStatement* one[] = {st};
    store::Params p[] = {params};
    DAIRA_ASSIGN_OR_RETURN(std::vector<ResultSet> results, RunPipeline(one, p, /*retry=*/false));
    return std::move(results[0]);
  }
  return rs;
}

void PostgresConnection::Invalidate(PostgresStatement* st) {
  std::string deallocate;
  for (PostgresStatement::Variant& v : st->variants_) {
    if (v.prepared) absl::StrAppend(&deallocate, "DEALLOCATE ", v.name, ";");
    v.prepared = false;
    v.name = absl::StrCat("d", next_statement_id_++);
    v.columns.reset();
  }
  if (!deallocate.empty()) {
    ++round_trips_;
    ResultPtr r(PQexec(conn_, deallocate.c_str()));  // best effort: a leftover only costs server memory
  }
}

absl::StatusOr<std::vector<ResultSet>> PostgresConnection::ExecuteBatch(
    std::span<const store::BatchStatement> batch) {
  std::vector<PostgresStatement*> statements;
  std::vector<store::Params> params;
  statements.reserve(batch.size());
  params.reserve(batch.size());
  for (const store::BatchStatement& b : batch) {
    DAIRA_ASSIGN_OR_RETURN(store::Statement * st, Prepare(b.sql));
    statements.push_back(static_cast<PostgresStatement*>(st));
    params.emplace_back(b.params.data(), b.params.size());
  }
  if (statements.empty()) return std::vector<ResultSet>();
  return RunPipeline(statements, params);
}

absl::StatusOr<std::vector<ResultSet>> PostgresConnection::RunPipeline(std::span<PostgresStatement* const> statements,
                                                                       std::span<const store::Params> params,
                                                                       bool retry) {
  const size_t n = statements.size();
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<int>(params[i].size()) != statements[i]->param_count_) {
      return absl::InvalidArgumentError(
          absl::StrCat("execute batch: statement ", i, " parameter count is wrong (got ", params[i].size(),
                       ", want ", statements[i]->param_count_, ") in: ",
                       ToAbsl(statements[i]->sql_.substr(0, 200))));
    }
  }
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return absl::UnavailableError("execute: postgres connection is broken");
  }
  std::vector<Bound> bound(n);
  for (size_t i = 0; i < n; ++i) DAIRA_RETURN_IF_ERROR(bound[i].Bind(params[i]));
  // Outside an explicit transaction the whole pipeline (one Sync) is one implicit transaction.
  const bool in_transaction = InTransaction();

  struct Command {
    bool prepare;  // Parse of `variant`, else Bind/Execute of statement `index`
    size_t index;
    PostgresStatement::Variant* variant;
  };
  std::vector<Command> commands;
  commands.reserve(2 * n);
  absl::flat_hash_set<PostgresStatement::Variant*> parsing;  // Parse sent in this pipeline

  if (PQenterPipelineMode(conn_) != 1) return ErrorFrom(nullptr, "");
  absl::Status send_error;
  for (size_t i = 0; i < n && send_error.ok(); ++i) {
    PostgresStatement* st = statements[i];
    PostgresStatement::Variant* v = VariantFor(st, bound[i].types, params[i]);
    const int nparams = static_cast<int>(params[i].size());
    if (!v->prepared && !parsing.contains(v)) {
      ++prepares_;
      if (PQsendPrepare(conn_, v->name.c_str(), st->pg_sql_.c_str(), nparams, v->prepare_types.data()) != 1) {
        send_error = ErrorFrom(nullptr, st->sql_);
        break;
      }
      parsing.insert(v);
      commands.push_back({true, i, v});
    }
    if (PQsendQueryPrepared(conn_, v->name.c_str(), nparams, bound[i].values.data(), bound[i].lengths.data(),
                            bound[i].formats.data(), /*resultFormat=*/0) != 1) {
      send_error = ErrorFrom(nullptr, st->sql_);
      break;
    }
    ++statements_executed_;
    commands.push_back({false, i, v});
  }
  if (send_error.ok() && PQpipelineSync(conn_) != 1) send_error = ErrorFrom(nullptr, "");
  if (!send_error.ok()) {
    // A failed send means the socket is gone; nothing more can be read.
    broken_ = true;
    return send_error;
  }
  ++round_trips_;

  std::vector<ResultSet> results(n);
  absl::Status first_error;
  size_t failed_index = n;
  PostgresStatement::Variant* failed_parse = nullptr;  // set when the first error is a Parse
  bool failed_cached = false;  // the first error came from a statement prepared before this pipeline
  size_t cmd = 0;
  bool got_result = false;  // a result arrived for commands[cmd]
  int idle_nulls = 0;
  while (true) {
    ResultPtr r(PQgetResult(conn_));
    if (r == nullptr) {
      if (got_result) {
        ++cmd;
        got_result = false;
        idle_nulls = 0;
        continue;
      }
      if (PQstatus(conn_) != CONNECTION_OK || ++idle_nulls > 2) {
        broken_ = true;
        if (first_error.ok()) first_error = ErrorFrom(nullptr, "");
        if (failed_index == n) failed_index = 0;
        break;
      }
      continue;
    }
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    got_result = true;
    idle_nulls = 0;
    if (cmd >= commands.size() || status == PGRES_PIPELINE_ABORTED) continue;
    const Command& c = commands[cmd];
    const std::string& sql = statements[c.index]->sql_;
    if (c.prepare) {
      if (status == PGRES_COMMAND_OK) {
        c.variant->prepared = true;
      } else if (first_error.ok()) {
        first_error = ErrorFrom(r.get(), sql);
        failed_index = c.index;
        failed_parse = c.variant;
      }
      continue;
    }
    absl::StatusOr<ResultSet> rs = ToResultSet(r.get(), sql, c.variant);
    if (rs.ok()) {
      results[c.index] = *std::move(rs);
    } else if (first_error.ok()) {
      first_error = rs.status();
      failed_index = c.index;
      failed_cached = !parsing.contains(c.variant);
    }
  }
  if (PQexitPipelineMode(conn_) != 1) {
    broken_ = true;
    if (first_error.ok()) first_error = ErrorFrom(nullptr, "");
  }
  if (first_error.ok()) return results;
  if (retry && failed_cached && !in_transaction && !broken_ && store::StatusSqlState(first_error) == "0A000") {
    // A schema change altered a cached statement's result columns; everything before it was rolled back.
    Invalidate(statements[failed_index]);
    return RunPipeline(statements, params, /*retry=*/false);
  }
  if (failed_parse != nullptr && !failed_parse->inferred && !in_transaction && !broken_) {
    const std::string state = store::StatusSqlState(first_error);
    if (state == "42804" || state == "42883" || state == "42725") {
      // The explicit parameter types did not fit (e.g. int8 into a BOOLEAN column): let the server infer
      // them (blobs stay bytea: they are sent in binary) and run the whole pipeline again — its implicit
      // transaction rolled back everything.
      failed_parse->inferred = true;
      for (Oid& t : failed_parse->prepare_types) {
        if (t != kByteaOid) t = 0;
      }
      return RunPipeline(statements, params, retry);
    }
  }
  // The failed implicit transaction rolled back the statements before the failure; the contract
  // says they have run, so run them again (an explicit transaction is simply left aborted).
  if (!in_transaction && !broken_ && failed_index > 0 && failed_index < n) {
    DAIRA_RETURN_IF_ERROR(
        RunPipeline(statements.first(failed_index), params.first(failed_index), /*retry=*/false).status());
  }
  return first_error;
}

absl::Status PostgresConnection::ExecSimple(std::string_view sql, pg_result** out) {
  ++round_trips_;
  ++statements_executed_;
  std::string text(sql);
  ResultPtr r(PQexec(conn_, text.c_str()));
  if (r == nullptr) return ErrorFrom(nullptr, sql);
  ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    return ErrorFrom(r.get(), sql);
  }
  if (out != nullptr) *out = r.release();
  return absl::OkStatus();
}

absl::Status PostgresConnection::ExecuteScript(std::string_view sql) { return ExecSimple(sql); }

absl::Status PostgresConnection::Begin(store::IsolationLevel isolation, bool /*immediate*/) {
  return ExecSimple(IsolationSql(isolation));
}

absl::Status PostgresConnection::Commit() {
  pg_result* raw = nullptr;
  DAIRA_RETURN_IF_ERROR(ExecSimple("COMMIT", &raw));
  ResultPtr r(raw);
  // COMMIT of a transaction that already failed succeeds with the tag ROLLBACK.
  if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0) {
    return absl::FailedPreconditionError(
        "commit: transaction was rolled back because an earlier statement in it failed");
  }
  return absl::OkStatus();
}

absl::Status PostgresConnection::Rollback() { return ExecSimple("ROLLBACK"); }

bool PostgresConnection::InTransaction() const {
  PGTransactionStatusType s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

absl::Status PostgresConnection::Ping() { return ExecSimple("SELECT 1"); }

bool PostgresConnection::IsBroken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

absl::StatusOr<std::string> PostgresConnection::WritePosition() {
  DAIRA_ASSIGN_OR_RETURN(store::Statement * st, Prepare("SELECT pg_current_wal_lsn()::text"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, st->Execute(store::Params()));
  if (rs.empty() || rs.at(0, 0).is_null()) return absl::InternalError("write position: no WAL position returned");
  return rs.at(0, 0).text();
}

absl::StatusOr<bool> PostgresConnection::HasReplayed(std::string_view position) {
  if (position.empty()) return true;
  DAIRA_ASSIGN_OR_RETURN(store::Statement * st,
                         Prepare("SELECT CASE WHEN pg_is_in_recovery() "
                                 "THEN coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false) ELSE true END"));
  Value p[] = {Value(position)};
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, st->Execute(store::Params(p)));
  return !rs.empty() && !rs.at(0, 0).is_null() && rs.at(0, 0).int64() != 0;
}

absl::StatusOr<int64_t> PostgresConnection::ReplicaLagMillis() {
  DAIRA_ASSIGN_OR_RETURN(
      store::Statement * st,
      Prepare("SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
              "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
              "ELSE coalesce((extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) "
              "END::bigint"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, st->Execute(store::Params()));
  if (rs.empty() || rs.at(0, 0).is_null()) return int64_t{0};
  return std::max<int64_t>(0, rs.at(0, 0).int64());
}

}  // namespace daira::inline v0::backends
