#include "daira/store/connection.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace daira::inline v0::store {

namespace {
constexpr Dialect kSqliteDialect(Backend::kSqlite);
constexpr Dialect kPostgresDialect(Backend::kPostgres);
}  // namespace

const Dialect& DialectFor(Backend backend) {
  return backend == Backend::kSqlite ? kSqliteDialect : kPostgresDialect;
}

std::string StatusSqlState(const absl::Status& status) {
  auto p = status.GetPayload(absl::string_view(kSqlStatePayloadUrl.data(), kSqlStatePayloadUrl.size()));
  return p.has_value() ? std::string(*p) : std::string();
}

bool IsCommitOutcomeUnknown(const absl::Status& status) {
  return status.GetPayload(absl::string_view(kCommitUnknownPayloadUrl.data(), kCommitUnknownPayloadUrl.size()))
      .has_value();
}

absl::Status CommitOutcomeUnknown(const absl::Status& cause) {
  absl::Status out(absl::StatusCode::kUnavailable,
                   absl::StrCat("commit: outcome unknown (the connection was lost after COMMIT was sent; the "
                                "transaction may have committed: check before doing the work again): ",
                                cause.message()));
  cause.ForEachPayload([&](absl::string_view url, const absl::Cord& p) { out.SetPayload(url, p); });
  out.SetPayload(absl::string_view(kCommitUnknownPayloadUrl.data(), kCommitUnknownPayloadUrl.size()),
                 absl::Cord("1"));
  return out;
}

const Dialect& Connection::dialect() const { return DialectFor(backend()); }

absl::StatusOr<ResultSet> Connection::Execute(std::string_view sql, Params params) {
  absl::StatusOr<Statement*> st = Prepare(sql);
  if (!st.ok()) return st.status();
  return (*st)->Execute(params);
}

absl::StatusOr<ResultSet> Connection::Execute(const SqlText& sql, Params params) {
  absl::StatusOr<Statement*> st = Prepare(sql);
  if (!st.ok()) return st.status();
  return (*st)->Execute(params);
}

}  // namespace daira::inline v0::store
