#include "daira/services/user_repository.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "daira/core/utf8.h"
#include "daira/core/validation.h"
#include "daira/query/batch_loader.h"
#include "daira/store/sql_text.h"
#include "services/profile_cache.h"
#include "services/user_repository_internal.h"

namespace daira::inline v0::services {

using model::User;
using model::UserField;

namespace internal {

absl::Status FieldAlreadyExists(std::string_view op, std::string_view field, std::string_view what) {
  absl::Status s = absl::AlreadyExistsError(absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " ", ToAbsl(what)));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

absl::Status MapUserUniqueViolation(const absl::Status& status, std::string_view op) {
  if (status.code() != absl::StatusCode::kAlreadyExists) return status;
  for (std::string_view field : {"username", "email", "phone"}) {
    const std::string pg_index = absl::StrCat("users_", ToAbsl(field), "_uidx");
    const std::string sqlite_column = absl::StrCat("users.", ToAbsl(field));
    if (absl::StrContains(status.message(), pg_index) || absl::StrContains(status.message(), sqlite_column)) {
      return FieldAlreadyExists(op, field, "is already taken");
    }
  }
  return status;
}

}  // namespace internal

namespace {

std::string NotFoundMessage(UserId id) { return absl::StrCat("users: user ", id.value, " not found"); }

// What every lookup of one mask shares, built once per mask (an application asks for a handful of
// masks; building the list cost ~5k instructions per lookup, a sixth of a Postgres user lookup's client
// work): "SELECT <the mask's columns> FROM users", the by-id statement as an SqlText (found by its id
// on a connection, not by hashing the text), and where each field sits in that select list (so a
// reader of its results needs no column names). The shapes live as long as the process.
struct UserShape {
  UserShape(UserFieldMask mask, std::string text)
      : select(std::move(text)), by_id(absl::StrCat(select, " WHERE id = ?")) {
    const UserFieldMask m = mask | UserColumns().PrimaryKey();
    const std::vector<std::string> selected = UserColumns().Columns(m);
    for (size_t f = 0; f < index.size(); ++f) {
      const auto field = static_cast<UserField>(f);
      if (!m.Has(field)) continue;
      auto at = std::find(selected.begin(), selected.end(), UserColumns().Name(field));
      if (at == selected.end()) return;  // no positions: readers resolve by name
      index[f] = static_cast<int>(at - selected.begin());
    }
    columns = static_cast<int>(selected.size());
  }
  std::string select;
  store::SqlText by_id;
  std::array<int, 64> index{};  // by field: its column in `select`'s results
  int columns = -1;             // how many `select` selects; -1: no positions known
};

const UserShape& ShapeOf(UserFieldMask mask) {
  // Most lookups ask for every field: that shape is found without the lock and the map.
  static const UserShape& kAll = *new UserShape(
      AllUserFields(), absl::StrCat("SELECT ", UserColumns().SelectList(AllUserFields()), " FROM users"));
  if (mask == AllUserFields()) return kAll;
  static absl::Mutex mu(absl::kConstInit);
  static auto* shapes = new absl::flat_hash_map<uint64_t, std::unique_ptr<const UserShape>>();
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = shapes->find(mask.bits());
    if (it != shapes->end()) return *it->second;
  }
  auto shape = std::make_unique<const UserShape>(
      mask, absl::StrCat("SELECT ", UserColumns().SelectList(mask), " FROM users"));
  absl::MutexLock lock(&mu);
  return *shapes->try_emplace(mask.bits(), std::move(shape)).first->second;
}

const std::string& UserSelect(UserFieldMask mask) { return ShapeOf(mask).select; }

}  // namespace

const query::FieldTable<UserField>& UserColumns() {
  static const auto* kTable = new query::FieldTable<UserField>({
      {UserField::kId, "id", query::kPrimaryKey},
      {UserField::kUsername, "username"},
      {UserField::kEmail, "email"},
      {UserField::kPhone, "phone"},
      {UserField::kAvatarUrl, "avatar_url"},
      {UserField::kIsVerified, "is_verified"},
      {UserField::kIsPrivate, "is_private"},
      {UserField::kStatus, "status"},
      {UserField::kRole, "role"},
      {UserField::kLastLoginAt, "last_login_at"},
      {UserField::kCreatedAt, "created_at"},
      {UserField::kUpdatedAt, "updated_at"},
      {UserField::kDeletedAt, "deleted_at"},
      {UserField::kPasswordHash, "password_hash", query::kSensitive},
  });
  return *kTable;
}

UserFieldMask AllUserFields() { return UserColumns().All(); }

namespace {

// Reads users from rows holding the columns of a mask (any order, other columns allowed) by index,
// the indexes resolved once per result shape: by name, a batch of 100 users compared ~20 column names
// per row. One reader per call (thread-compatible).
class UserReader {
 public:
  explicit UserReader(UserFieldMask mask) : mask_(mask | UserColumns().PrimaryKey()) {}
  // For results of `shape`'s statements (its select list, in its order): the indexes are the shape's,
  // trusted while a result has as many columns as the select list (any other result is resolved by name).
  UserReader(UserFieldMask mask, const UserShape& shape)
      : mask_(mask | UserColumns().PrimaryKey()), index_(shape.index), positional_columns_(shape.columns) {}

  absl::StatusOr<User> operator()(const store::Row& row) {
    if (row.result().shared_columns() != bound_ &&
        (positional_columns_ < 0 || row.result().column_count() != positional_columns_)) {
      DAIRA_RETURN_IF_ERROR(Resolve(row.result()));
    }
    User u;
    u.id = UserId{row.Int64(At(UserField::kId))};
    if (mask_.Has(UserField::kUsername)) u.username = row.Text(At(UserField::kUsername));
    if (mask_.Has(UserField::kEmail)) u.email = Optional(row, UserField::kEmail);
    if (mask_.Has(UserField::kPhone)) u.phone = Optional(row, UserField::kPhone);
    if (mask_.Has(UserField::kAvatarUrl)) u.avatar_url = Optional(row, UserField::kAvatarUrl);
    if (mask_.Has(UserField::kIsVerified)) u.is_verified = row.Int64(At(UserField::kIsVerified)) != 0;
    if (mask_.Has(UserField::kIsPrivate)) u.is_private = row.Int64(At(UserField::kIsPrivate)) != 0;
    if (mask_.Has(UserField::kStatus)) {
      auto s = model::ParseUserStatus(row.Text(At(UserField::kStatus)));
      if (!s.ok())
        return absl::DataLossError(absl::StrCat("users: user ", u.id.value, " has an unknown status"));
      u.status = *s;
    }
    if (mask_.Has(UserField::kRole)) {
      auto r = model::ParseUserRole(row.Text(At(UserField::kRole)));
      if (!r.ok())
        return absl::DataLossError(absl::StrCat("users: user ", u.id.value, " has an unknown role"));
      u.role = *r;
    }
    if (mask_.Has(UserField::kLastLoginAt)) u.last_login_at = OptionalTime(row, UserField::kLastLoginAt);
    if (mask_.Has(UserField::kCreatedAt)) u.created_at = OptionalTime(row, UserField::kCreatedAt);
    if (mask_.Has(UserField::kUpdatedAt)) u.updated_at = OptionalTime(row, UserField::kUpdatedAt);
    if (mask_.Has(UserField::kDeletedAt)) u.deleted_at = OptionalTime(row, UserField::kDeletedAt);
    if (mask_.Has(UserField::kPasswordHash)) u.password_hash = Optional(row, UserField::kPasswordHash);
    return u;
  }

 private:
  absl::Status Resolve(const store::ResultSet& rs) {
    for (size_t f = 0; f < index_.size(); ++f) {
      const auto field = static_cast<UserField>(f);
      if (!mask_.Has(field)) continue;
      const std::string_view name = UserColumns().Name(field);
      const std::optional<int> at = rs.ColumnIndex(name);
      if (!at.has_value()) {
        return absl::InternalError(absl::StrCat("users: no column ", ToAbsl(name), " in this result"));
      }
      index_[f] = *at;
    }
    bound_ = rs.shared_columns();
    positional_columns_ = -1;
    return absl::OkStatus();
  }
  int At(UserField f) const { return index_[static_cast<size_t>(f)]; }
  std::optional<std::string> Optional(const store::Row& row, UserField f) const {
    if (row.IsNull(At(f))) return std::nullopt;
    return row.Text(At(f));
  }
  std::optional<Clock::TimePoint> OptionalTime(const store::Row& row, UserField f) const {
    if (row.IsNull(At(f))) return std::nullopt;
    return FromUnixMicros(row.Int64(At(f)));
  }

  UserFieldMask mask_;
  std::array<int, 64> index_{};  // FieldMask holds fields 0..63
  std::shared_ptr<const std::vector<std::string>> bound_;
  int positional_columns_ = -1;  // >= 0: index_ holds the shape's positions for results this wide
};

}  // namespace

absl::StatusOr<User> UserFromRow(const store::Row& row, UserFieldMask mask) { return UserReader(mask)(row); }

absl::StatusOr<User> UserRepository::Get(const RequestContext& ctx, UserId id, UserFieldMask mask) const {
  const UserShape& shape = ShapeOf(mask);
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<User> {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(shape.by_id, {id.value}));
    if (rs.empty()) return absl::NotFoundError(NotFoundMessage(id));
    return UserReader(mask, shape)(rs.front());
  });
}

absl::StatusOr<UserBatch> UserRepository::GetMany(const RequestContext& ctx, std::span<const UserId> ids,
                                                  UserFieldMask mask) const {
  UserBatch out;
  if (ids.empty()) return out;
  std::vector<int64_t> raw;
  raw.reserve(ids.size());
  for (UserId id : ids) raw.push_back(id.value);
  const UserShape& shape = ShapeOf(mask);
  const std::string prefix = absl::StrCat(shape.select, " WHERE");
  UserReader map(mask, shape);
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<UserBatch> {
    DAIRA_ASSIGN_OR_RETURN(auto loaded, query::LoadMany(c, prefix, raw, map));
    out.users = std::move(loaded.items);
    out.missing.reserve(loaded.missing.size());
    for (int64_t m : loaded.missing) out.missing.push_back(UserId{m});
    return std::move(out);
  });
}

absl::StatusOr<User> UserRepository::FindBy(const RequestContext& ctx, std::string_view column,
                                            std::string_view value, UserFieldMask mask) const {
  // Check the value before SQL: invalid UTF-8 or a NUL is no one's name (SQLite would answer NotFound,
  // Postgres refuse it with the statement in its message); say so the same way on both.
  if (FindInvalidUtf8(value).has_value() || value.find('\0') != std::string_view::npos) {
    return InvalidField("users", column, "must be valid UTF-8 without NUL bytes");
  }
  const std::string sql = absl::StrCat(UserSelect(mask), " WHERE ", ToAbsl(column), " = ?");
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<User> {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, {value}));
    if (rs.empty()) {
      return absl::NotFoundError(absl::StrCat("users: no user with ", ToAbsl(column), " ",
                                              QuoteForMessage(value)));
    }
    return UserFromRow(rs.front(), mask);
  });
}

absl::StatusOr<User> UserRepository::FindByEmail(const RequestContext& ctx, std::string_view email,
                                                 UserFieldMask mask) const {
  return FindBy(ctx, "email", absl::AsciiStrToLower(ToAbsl(email)), mask);
}

absl::StatusOr<User> UserRepository::FindByUsername(const RequestContext& ctx, std::string_view username,
                                                    UserFieldMask mask) const {
  return FindBy(ctx, "username", NormalizeUsername(username), mask);
}

absl::StatusOr<User> UserRepository::FindByPhone(const RequestContext& ctx, std::string_view phone,
                                                 UserFieldMask mask) const {
  return FindBy(ctx, "phone", phone, mask);
}

absl::StatusOr<bool> UserRepository::Exists(const RequestContext& ctx, UserId id) const {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<bool> {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute("SELECT 1 FROM users WHERE id = ?", {id.value}));
    return !rs.empty();
  });
}

absl::StatusOr<int64_t> UserRepository::Count(const RequestContext& ctx,
                                              std::optional<model::UserStatus> status) const {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<int64_t> {
    absl::StatusOr<store::ResultSet> rs =
        status.has_value() ? c.Execute("SELECT count(*) FROM users WHERE status = ?", {model::ToString(*status)})
                           : c.Execute("SELECT count(*) FROM users");
    if (!rs.ok()) return rs.status();
    return rs->front().Int64(0);
  });
}

absl::StatusOr<User> UserRepository::Create(const RequestContext& ctx, const NewUser& nu) const {
  DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps_.NextId());
  const int64_t now = deps_.NowMicros();
  auto opt = [](const std::optional<std::string>& s) { return s.has_value() ? store::Value(*s) : store::Value(); };
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    absl::StatusOr<store::ResultSet> ins = c.Execute(
        "INSERT INTO users (id, username, email, phone, password_hash, avatar_url, role, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {id, nu.username, opt(nu.email), opt(nu.phone), opt(nu.password_hash), opt(nu.avatar_url),
         model::ToString(nu.role), now, now});
    if (!ins.ok()) return internal::MapUserUniqueViolation(ins.status(), "create user");
    return c
        .Execute("INSERT INTO user_profiles (user_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                 {id, opt(nu.display_name), now, now})
        .status();
  }));
  User u;
  u.id = UserId{id};
  u.username = nu.username;
  u.email = nu.email;
  u.phone = nu.phone;
  u.avatar_url = nu.avatar_url;
  u.is_verified = false;
  u.is_private = false;
  u.status = model::UserStatus::kActive;
  u.role = nu.role;
  u.created_at = FromUnixMicros(now);
  u.updated_at = FromUnixMicros(now);
  return u;
}

absl::Status UserRepository::Update(const RequestContext& ctx, UserId id, const UserPatch& patch) const {
  std::vector<std::string> sets;
  std::vector<store::Value> params;
  auto set = [&](std::string_view column, store::Value v) {
    sets.push_back(absl::StrCat(ToAbsl(column), " = ?"));
    params.push_back(std::move(v));
  };
  auto text_or_null = [](const std::string& s) { return s.empty() ? store::Value() : store::Value(s); };
  if (patch.username) set("username", *patch.username);
  if (patch.email) set("email", text_or_null(*patch.email));
  if (patch.phone) set("phone", text_or_null(*patch.phone));
  if (patch.avatar_url) set("avatar_url", text_or_null(*patch.avatar_url));
  if (patch.password_hash) set("password_hash", *patch.password_hash);
  if (patch.is_verified) set("is_verified", *patch.is_verified);
  if (patch.is_private) set("is_private", *patch.is_private);
  if (patch.status) set("status", model::ToString(*patch.status));
  if (patch.role) set("role", model::ToString(*patch.role));
  if (patch.last_login_at) set("last_login_at", ToUnixMicros(*patch.last_login_at));
  set("updated_at", deps_.NowMicros());
  params.push_back(id.value);
  const std::string sql = absl::StrCat("UPDATE users SET ", absl::StrJoin(sets, ", "), " WHERE id = ?");
  return store::WithConnection(*deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
    absl::StatusOr<store::ResultSet> rs = c.Execute(sql, params);
    if (!rs.ok()) return internal::MapUserUniqueViolation(rs.status(), "update user");
    if (rs->rows_affected() == 0) return absl::NotFoundError(NotFoundMessage(id));
    internal::InvalidateProfilesAfterCommit(deps_, ctx, {id.value});  // a cached profile holds the user record
    return absl::OkStatus();
  });
}

absl::Status UserRepository::Delete(const RequestContext& ctx, UserId id) const {
  const int64_t now = deps_.NowMicros();
  return store::WithConnection(*deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        c.Execute("UPDATE users SET status = 'DELETED', deleted_at = coalesce(deleted_at, ?), updated_at = ? "
                  "WHERE id = ?",
                  {now, now, id.value}));
    if (rs.rows_affected() == 0) return absl::NotFoundError(NotFoundMessage(id));
    internal::InvalidateProfilesAfterCommit(deps_, ctx, {id.value});  // a deleted user's profile must go
    return absl::OkStatus();
  });
}

UserLoader::UserLoader(const UserRepository& repo, const RequestContext& ctx, UserFieldMask mask)
    : batcher_([&repo, &ctx, mask](std::span<const int64_t> keys)
                   -> absl::StatusOr<std::vector<std::optional<User>>> {
        std::vector<UserId> ids;
        ids.reserve(keys.size());
        for (int64_t k : keys) ids.push_back(UserId{k});
        DAIRA_ASSIGN_OR_RETURN(UserBatch batch, repo.GetMany(ctx, ids, mask));
        absl::flat_hash_map<int64_t, size_t> where;
        for (size_t i = 0; i < batch.users.size(); ++i) where[batch.users[i].id.value] = i;
        std::vector<std::optional<User>> out(keys.size());
        for (size_t i = 0; i < keys.size(); ++i) {
          auto it = where.find(keys[i]);
          if (it != where.end()) out[i] = batch.users[it->second];
        }
        return out;
      }) {}

absl::StatusOr<User> UserLoader::Load(UserId id) {
  absl::StatusOr<User> u = batcher_.Enqueue(id.value).Get();
  if (u.status().code() == absl::StatusCode::kNotFound) return absl::NotFoundError(NotFoundMessage(id));
  return u;
}

}  // namespace daira::inline v0::services
