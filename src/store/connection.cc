#include "daira/store/connection.h"

#include <string>

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

const Dialect& Connection::dialect() const { return DialectFor(backend()); }

absl::StatusOr<ResultSet> Connection::Execute(std::string_view sql, Params params) {
  absl::StatusOr<Statement*> st = Prepare(sql);
  if (!st.ok()) return st.status();
  return (*st)->Execute(params);
}

}  // namespace daira::inline v0::store
