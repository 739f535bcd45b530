#include "daira/services/accounts.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/validation.h"
#include "daira/ratelimit/enforce.h"
#include "daira/services/profiles.h"
#include "daira/store/open_transaction.h"
#include "services/password_hasher.h"
#include "services/profile_cache.h"
#include "services/token.h"
#include "services/user_repository_internal.h"

namespace daira::inline v0::services {

using model::User;
using model::UserField;
using model::UserStatus;

namespace {

using internal::OptionalText;
using internal::OptionalTime;

// Session columns, aliased so they never clash with the user's columns in a join.
constexpr std::string_view kSessionSelect =
    "s.id AS s_id, s.user_id AS s_user_id, s.family_id AS s_family_id, s.device_type AS s_device_type, "
    "s.device_name AS s_device_name, s.ip_address AS s_ip_address, s.user_agent AS s_user_agent, "
    "s.created_at AS s_created_at, s.last_used_at AS s_last_used_at, s.expires_at AS s_expires_at, "
    "s.access_expires_at AS s_access_expires_at, s.revoked_at AS s_revoked_at, s.replaced_by AS s_replaced_by, "
    "s.access_token_hash AS s_access_token_hash, s.successor_sealed AS s_successor_sealed";

// "u.id, u.username, ..." for every non-secret user column.
const std::string& UserSelect() {
  static const std::string* kList = [] {
    auto* s = new std::string;
    for (const std::string& c : UserColumns().Columns(AllUserFields())) absl::StrAppend(s, s->empty() ? "" : ", ", "u.", c);
    return s;
  }();
  return *kList;
}

const std::string& SessionJoinSql(std::string_view where) {
  // Only two shapes are used; build each once.
  static const std::string* kById = new std::string(absl::StrCat(
      "SELECT ", ToAbsl(kSessionSelect), ", ", UserSelect(), " FROM user_sessions s JOIN users u ON u.id = s.user_id ",
      "WHERE s.id = ?"));
  static const std::string* kByRefresh = new std::string(absl::StrCat(
      "SELECT ", ToAbsl(kSessionSelect), ", ", UserSelect(), " FROM user_sessions s JOIN users u ON u.id = s.user_id ",
      "WHERE s.refresh_token_hash = ?"));
  return where == "id" ? *kById : *kByRefresh;
}

std::vector<int64_t> Ids(const store::ResultSet& rs) {
  std::vector<int64_t> ids;
  for (const store::Row& r : rs) ids.push_back(r.Int64(0));
  return ids;
}

model::UserSession SessionFromRow(const store::Row& r) {
  model::UserSession s;
  s.id = SessionId{r.Int64("s_id")};
  s.user_id = UserId{r.Int64("s_user_id")};
  s.family_id = r.Int64("s_family_id");
  s.device_type = OptionalText(r, "s_device_type");
  s.device_name = OptionalText(r, "s_device_name");
  s.ip_address = OptionalText(r, "s_ip_address");
  s.user_agent = OptionalText(r, "s_user_agent");
  s.created_at = FromUnixMicros(r.Int64("s_created_at"));
  s.last_used_at = OptionalTime(r, "s_last_used_at");
  s.expires_at = FromUnixMicros(r.Int64("s_expires_at"));
  s.access_expires_at = FromUnixMicros(r.Int64("s_access_expires_at"));
  s.revoked_at = OptionalTime(r, "s_revoked_at");
  if (!r.IsNull("s_replaced_by")) s.replaced_by = SessionId{r.Int64("s_replaced_by")};
  return s;
}

std::string_view StatusWord(UserStatus s) {
  switch (s) {
    case UserStatus::kSuspended: return "suspended";
    case UserStatus::kBanned: return "banned";
    case UserStatus::kDeleted: return "deleted";
    case UserStatus::kActive: break;
  }
  return "active";
}

store::Value TextOrNull(const std::string& s) { return s.empty() ? store::Value() : store::Value(s); }

// Fresh tokens for a new session row.
struct NewTokens {
  int64_t id = 0;
  std::string access;
  std::string refresh;
};

absl::StatusOr<NewTokens> MakeTokens(IdGenerator& ids) {
  NewTokens t;
  DAIRA_ASSIGN_OR_RETURN(t.id, ids.TryNext());
  DAIRA_ASSIGN_OR_RETURN(std::string secret, internal::NewTokenSecret());
  t.access = absl::StrCat(t.id, ".", secret);
  DAIRA_ASSIGN_OR_RETURN(t.refresh, internal::NewTokenSecret());
  return t;
}

const absl::Status& InvalidCredentials() {
  static const auto* kStatus = new absl::Status(absl::UnauthenticatedError("login: invalid credentials"));
  return *kStatus;
}

// One user_sessions row for freshly minted tokens (login starts a family, refresh continues one).
absl::Status InsertSession(store::Connection& c, const NewTokens& tokens, UserId user, int64_t family_id,
                           const DeviceInfo& device, int64_t now_us, Clock::TimePoint refresh_exp,
                           Clock::TimePoint access_exp) {
  return c
      .Execute("INSERT INTO user_sessions (id, user_id, family_id, refresh_token_hash, access_token_hash, "
               "device_type, device_name, ip_address, user_agent, created_at, updated_at, last_used_at, "
               "expires_at, access_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {tokens.id, user.value, family_id, internal::HashToken(tokens.refresh),
                internal::HashToken(tokens.access), TextOrNull(device.device_type), TextOrNull(device.device_name),
                TextOrNull(device.ip_address), TextOrNull(device.user_agent), now_us, now_us, now_us,
                ToUnixMicros(refresh_exp), ToUnixMicros(access_exp)})
      .status();
}

Session SessionFrom(NewTokens tokens, Clock::TimePoint access_exp, Clock::TimePoint refresh_exp, model::User user) {
  return Session{.access_token = std::move(tokens.access),
                 .refresh_token = std::move(tokens.refresh),
                 .access_expires_at = access_exp,
                 .refresh_expires_at = refresh_exp,
                 .session_id = SessionId{tokens.id},
                 .user = std::move(user)};
}

}  // namespace

absl::Status AccountsOptions::Validate() const {
  static constexpr std::string_view kOp = "accounts options";
  constexpr int64_t kMaxTtl = int64_t{10} * 366 * 24 * 3600;  // ten years: far from overflowing a time_point
  auto ttl = [&](std::string_view name, std::chrono::seconds v) -> absl::Status {
    if (v.count() < 1 || v.count() > kMaxTtl) {
      return InvalidField(kOp, name, absl::StrCat("must be between 1 and ", kMaxTtl, " seconds (got ", v.count(), ")"));
    }
    return absl::OkStatus();
  };
  DAIRA_RETURN_IF_ERROR(ttl("access_token_ttl_s", access_token_ttl));
  DAIRA_RETURN_IF_ERROR(ttl("refresh_token_ttl_s", refresh_token_ttl));
  if (password_opslimit < kPasswordOpsLimitMin || password_opslimit > 64) {
    return InvalidField(kOp, "password_opslimit",
                        absl::StrCat("must be between ", kPasswordOpsLimitMin, " and 64 (got ", password_opslimit, ")"));
  }
  if (password_memlimit < kPasswordMemLimitMin || password_memlimit > (size_t{4} << 30)) {
    return InvalidField(kOp, "password_memlimit",
                        absl::StrCat("must be between ", kPasswordMemLimitMin, " and 4 GiB in bytes (got ",
                                     password_memlimit, ")"));
  }
  if (max_concurrent_password_hashes < 0 || max_concurrent_password_hashes > 4096) {
    return InvalidField(kOp, "max_concurrent_password_hashes",
                        absl::StrCat("must be between 0 (the number of hardware threads) and 4096 (got ",
                                     max_concurrent_password_hashes, ")"));
  }
  if (password_hash_wait.count() < 0 || password_hash_wait > std::chrono::minutes(1)) {
    return InvalidField(kOp, "password_hash_wait_ms",
                        absl::StrCat("must be between 0 and 60000 ms (got ", password_hash_wait.count(), ")"));
  }
  if (refresh_reuse_grace.count() < 0 || refresh_reuse_grace > std::chrono::minutes(5)) {
    return InvalidField(kOp, "refresh_reuse_grace_s",
                        absl::StrCat("must be between 0 and 300 seconds (got ", refresh_reuse_grace.count(), ")"));
  }
  return absl::OkStatus();
}

struct Accounts::Impl {
  explicit Impl(const AccountsOptions& o)
      : hasher(o.password_opslimit, o.password_memlimit, o.max_concurrent_password_hashes, o.password_hash_wait) {}
  internal::PasswordHasher hasher;
};

Accounts::Accounts(const ServiceDeps& deps, const AccountsOptions& options)
    : deps_(deps),
      options_(options),
      options_status_(options.Validate()),
      users_(deps),
      impl_(std::make_unique<Impl>(options)) {}
Accounts::~Accounts() = default;

// ---------------------------------------------------------------------------------------------------
// Register

absl::StatusOr<User> Accounts::Register(const RequestContext& ctx, const RegisterRequest& request) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const std::string username = NormalizeUsername(request.username);
  const std::optional<std::string> email =
      request.email.has_value() ? std::optional(absl::AsciiStrToLower(*request.email)) : std::nullopt;
  const std::optional<std::string>& phone = request.phone;
  // Hash before the transaction: it is the slow part and the transaction may be retried.
  DAIRA_ASSIGN_OR_RETURN(std::string password_hash, impl_->hasher.Hash(request.password));
  auto opt = [](const std::optional<std::string>& s) { return s.has_value() ? store::Value(*s) : store::Value(); };
  absl::StatusOr<User> created = absl::UnknownError("register: did not run");
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    // Name the taken field precisely (the unique indexes still guard against races).
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet taken,
        c.Execute("SELECT username, email, phone FROM users WHERE username = ? OR email = ? OR phone = ?",
                  {username, opt(email), opt(phone)}));
    bool username_taken = false, email_taken = false, phone_taken = false;
    for (const store::Row& r : taken) {
      username_taken |= r.Text("username") == username;
      email_taken |= email.has_value() && !r.IsNull("email") && r.Text("email") == *email;
      phone_taken |= phone.has_value() && !r.IsNull("phone") && r.Text("phone") == *phone;
    }
    if (username_taken) return internal::FieldAlreadyExists("register", "username", "is already taken");
    if (email_taken) return internal::FieldAlreadyExists("register", "email", "is already registered");
    if (phone_taken) return internal::FieldAlreadyExists("register", "phone", "is already registered");
    created = users_.Create(ctx, {.username = username, .email = email, .phone = phone,
                                  .password_hash = password_hash, .display_name = request.display_name});
    if (!created.ok() && created.status().code() == absl::StatusCode::kAlreadyExists) {
      // A concurrent registration won the race: report it as this operation's error.
      const std::string field = StatusField(created.status());
      if (!field.empty()) return internal::FieldAlreadyExists("register", field, "is already taken");
    }
    return created.status();
  }));
  return created;
}

// ---------------------------------------------------------------------------------------------------
// Login

absl::StatusOr<Session> Accounts::Login(const RequestContext& ctx, const LoginRequest& request,
                                        const DeviceInfo& device) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  // The device fields with the rest, before any hashing or SQL (they are stored on the session).
  DAIRA_RETURN_IF_ERROR(request.Validate(device));
  DAIRA_RETURN_IF_ERROR(ratelimit::Enforce(deps_.rate_limiter, "login",
                                           absl::StrCat(request.identifier, "|", device.ip_address)));
  const UserFieldMask mask = AllUserFields().With(UserField::kPasswordHash);
  absl::StatusOr<User> found = absl::NotFoundError("login: no user");
  switch (*ClassifyIdentifier(request.identifier)) {  // Validate() guarantees a kind
    case IdentifierKind::kEmail: found = users_.FindByEmail(ctx, request.identifier, mask); break;
    case IdentifierKind::kPhone: found = users_.FindByPhone(ctx, request.identifier, mask); break;
    case IdentifierKind::kUsername: found = users_.FindByUsername(ctx, request.identifier, mask); break;
  }
  if (!found.ok() && found.status().code() != absl::StatusCode::kNotFound) return found.status();
  if (!found.ok() || !found->password_hash.has_value()) {
    // Same work as a real check, same answer; if that work cannot be done, fail rather than answer
    // at once (an instant "invalid credentials" would tell unknown users apart).
    DAIRA_RETURN_IF_ERROR(impl_->hasher.VerifyDummy(request.password));
    return InvalidCredentials();
  }
  User user = *std::move(found);
  // A hash made with older, cheaper settings is checked at the current cost too (no timing oracle);
  // a right password then rehashes it below.
  DAIRA_ASSIGN_OR_RETURN(bool right, impl_->hasher.VerifyAtFullCost(*user.password_hash, request.password));
  if (!right) return InvalidCredentials();
  if (user.status != UserStatus::kActive) {
    return absl::PermissionDeniedError(absl::StrCat("login: account is ", ToAbsl(StatusWord(*user.status))));
  }
  std::optional<std::string> rehash;
  if (impl_->hasher.NeedsRehash(*user.password_hash)) {
    DAIRA_ASSIGN_OR_RETURN(rehash, impl_->hasher.Hash(request.password));
  }
  user.password_hash.reset();

  DAIRA_ASSIGN_OR_RETURN(NewTokens tokens, MakeTokens(deps_.ids_or_default()));
  const Clock::TimePoint now = deps_.clock_or_default().Now();
  const int64_t now_us = ToUnixMicros(now);
  const Clock::TimePoint access_exp = now + options_.access_token_ttl;
  const Clock::TimePoint refresh_exp = now + options_.refresh_token_ttl;
  DAIRA_RETURN_IF_ERROR(deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(InsertSession(c, tokens, user.id, tokens.id, device, now_us, refresh_exp, access_exp));
    UserPatch patch{.password_hash = rehash, .last_login_at = now};
    return users_.Update(ctx, user.id, patch);
  }));
  user.last_login_at = now;
  user.updated_at = now;
  Log(LogLevel::kInfo, ctx, "accounts", absl::StrCat("login: user ", user.id.value, " session ", tokens.id));
  return SessionFrom(std::move(tokens), access_exp, refresh_exp, std::move(user));
}

// ---------------------------------------------------------------------------------------------------
// Access tokens

namespace {

// CheckAccessToken through the cache (docs/cache.md): the session row and its access-token hash from
// "session:<id>" (read-through, single-flight, filled from the primary), the user through the profile
// cache; the same checks as the database path. nullopt when cached bytes do not decode.
absl::StatusOr<std::optional<Authenticated>> CheckAccessTokenCached(const ServiceDeps& deps, const RequestContext& ctx,
                                                                    std::string_view access_token, int64_t session_id) {
  auto invalid = [] { return absl::UnauthenticatedError("check_access_token: access token is invalid"); };
  const store::Access access =
      deps.db->backend() == store::Backend::kPostgres ? store::Access::kWrite : store::Access::kRead;
  absl::StatusOr<std::string> bytes = deps.cache->ReadThrough(
      internal::SessionKey(session_id),
      [&]() -> absl::StatusOr<std::string> {
        return store::WithConnection(*deps.db, ctx, access, [&](store::Connection& c) -> absl::StatusOr<std::string> {
          DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(SessionJoinSql("id"), {session_id}));
          if (rs.empty()) return absl::NotFoundError("check_access_token: no such session");  // not cached
          const store::Row row = rs.front();
          return internal::EncodeSessionAuth(
              {.session = SessionFromRow(row),
               .access_token_hash = row.IsNull("s_access_token_hash") ? "" : row.Text("s_access_token_hash")});
        });
      },
      cache::kPolicyTtl, internal::IsSessionAuth);
  if (bytes.status().code() == absl::StatusCode::kNotFound) return invalid();
  if (!bytes.ok()) return bytes.status();
  std::optional<internal::SessionAuth> auth = internal::DecodeSessionAuth(*bytes);
  if (!auth.has_value()) return std::optional<Authenticated>();
  if (auth->access_token_hash.empty() ||
      !internal::ConstantTimeEquals(internal::HashToken(access_token), auth->access_token_hash)) {
    return invalid();
  }
  if (auth->session.revoked_at.has_value()) return absl::UnauthenticatedError("check_access_token: session was revoked");
  if (deps.clock_or_default().Now() >= auth->session.access_expires_at) {
    return absl::UnauthenticatedError("check_access_token: access token is expired");
  }
  absl::StatusOr<ProfileView> view = Profiles(deps).Get(ctx, auth->session.user_id);
  if (view.status().code() == absl::StatusCode::kNotFound) {
    return absl::UnauthenticatedError(
        absl::StrCat("check_access_token: account is ", ToAbsl(StatusWord(UserStatus::kDeleted))));
  }
  if (!view.ok()) return view.status();
  if (view->user.status != UserStatus::kActive) {
    return absl::UnauthenticatedError(
        absl::StrCat("check_access_token: account is ", ToAbsl(StatusWord(*view->user.status))));
  }
  return std::optional<Authenticated>(Authenticated{.user = std::move(view->user), .session = std::move(auth->session)});
}

}  // namespace

absl::StatusOr<Authenticated> Accounts::CheckAccessToken(const RequestContext& ctx,
                                                         std::string_view access_token) const {
  static constexpr std::string_view kOp = "check_access_token";
  const size_t dot = access_token.find('.');
  int64_t session_id = 0;
  if (dot == std::string_view::npos || access_token.size() > kMaxRefreshTokenLength ||
      !absl::SimpleAtoi(ToAbsl(access_token.substr(0, dot)), &session_id) || session_id <= 0) {
    return absl::UnauthenticatedError(absl::StrCat(ToAbsl(kOp), ": access token is malformed"));
  }
  auto invalid = [] { return absl::UnauthenticatedError("check_access_token: access token is invalid"); };
  if (deps_.cache != nullptr) {
    absl::StatusOr<store::Connection*> bound = store::BoundConnection(ctx, kOp);
    if (bound.ok() && *bound == nullptr) {
      absl::StatusOr<std::optional<Authenticated>> cached = CheckAccessTokenCached(deps_, ctx, access_token, session_id);
      if (!cached.ok()) return cached.status();
      if (cached->has_value()) return **std::move(cached);
      // Bytes that did not decode (never expected): the database answers.
    }
  }
  return store::WithConnection(
      *deps_.db, ctx, store::Access::kRead, [&](store::Connection& c) -> absl::StatusOr<Authenticated> {
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(SessionJoinSql("id"), {session_id}));
        if (rs.empty()) return invalid();
        const store::Row row = rs.front();
        if (row.IsNull("s_access_token_hash") ||
            !internal::ConstantTimeEquals(internal::HashToken(access_token), row.Text("s_access_token_hash"))) {
          return invalid();
        }
        Authenticated out;
        out.session = SessionFromRow(row);
        DAIRA_ASSIGN_OR_RETURN(out.user, UserFromRow(row, AllUserFields()));
        if (out.session.revoked_at.has_value()) {
          return absl::UnauthenticatedError("check_access_token: session was revoked");
        }
        if (deps_.clock_or_default().Now() >= out.session.access_expires_at) {
          return absl::UnauthenticatedError("check_access_token: access token is expired");
        }
        if (out.user.status != UserStatus::kActive) {
          return absl::UnauthenticatedError(
              absl::StrCat("check_access_token: account is ", ToAbsl(StatusWord(*out.user.status))));
        }
        return out;
      });
}

// ---------------------------------------------------------------------------------------------------
// Refresh

absl::StatusOr<Session> Accounts::Refresh(const RequestContext& ctx, const RefreshRequest& request) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const std::string refresh_hash = internal::HashToken(request.refresh_token);
  DAIRA_ASSIGN_OR_RETURN(NewTokens tokens, MakeTokens(deps_.ids_or_default()));
  const Clock::TimePoint now = deps_.clock_or_default().Now();
  const int64_t now_us = ToUnixMicros(now);
  const Clock::TimePoint access_exp = now + options_.access_token_ttl;
  const Clock::TimePoint refresh_exp = now + options_.refresh_token_ttl;
  // Sealed for the grace window before the transaction: only the presented token opens it.
  DAIRA_ASSIGN_OR_RETURN(std::string sealed,
                         internal::SealWithToken(request.refresh_token, absl::StrCat(tokens.access, "\n", tokens.refresh)));

  // Outcomes that must commit (the family revocation) yet fail the call are carried out of the
  // transaction in `failure`; a retry answered within the grace window in `replayed`.
  absl::Status failure;
  std::optional<Session> replayed;
  User user;
  absl::Status st = deps_.db->RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    failure = absl::OkStatus();
    replayed.reset();
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(SessionJoinSql("refresh"), {refresh_hash}));
    if (rs.empty()) {
      failure = absl::UnauthenticatedError("refresh: refresh token is invalid");
      return absl::OkStatus();
    }
    model::UserSession old = SessionFromRow(rs.front());
    DAIRA_ASSIGN_OR_RETURN(user, UserFromRow(rs.front(), AllUserFields()));
    auto revoke_family = [&]() -> absl::Status {
      failure = absl::UnauthenticatedError(
          "refresh: token reuse detected; all sessions in this family were revoked");
      Log(LogLevel::kWarning, ctx, "accounts",
          absl::StrCat("refresh: token reuse for user ", user.id.value, " family ", old.family_id));
      DAIRA_ASSIGN_OR_RETURN(
          store::ResultSet revoked,
          c.Execute("UPDATE user_sessions SET revoked_at = ?, updated_at = ? WHERE family_id = ? AND revoked_at IS NULL "
                    "RETURNING id",
                    {now_us, now_us, old.family_id}));
      internal::InvalidateSessionsAfterCommit(deps_, ctx, Ids(revoked));
      return absl::OkStatus();
    };
    // A rotated token presented again: within the grace window, and while its successor is live and
    // not rotated itself, it is the client retrying a refresh whose answer was lost: hand back the
    // same successor. Otherwise the token leaked: revoke the family.
    auto reuse = [&](const store::Row& row) -> absl::Status {
      if (options_.refresh_reuse_grace.count() > 0 && old.revoked_at.has_value() && old.replaced_by.has_value() &&
          now - *old.revoked_at <= options_.refresh_reuse_grace && now >= *old.revoked_at &&
          !row.IsNull("s_successor_sealed") && user.status == UserStatus::kActive) {
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet next, c.Execute(SessionJoinSql("id"), {old.replaced_by->value}));
        absl::StatusOr<std::string> opened =
            internal::OpenWithToken(request.refresh_token, row.Text("s_successor_sealed"));
        if (!next.empty() && opened.ok()) {
          const model::UserSession succ = SessionFromRow(next.front());
          const size_t nl = opened->find('\n');
          if (!succ.revoked_at.has_value() && !succ.replaced_by.has_value() && now < succ.expires_at &&
              nl != std::string::npos) {
            Log(LogLevel::kInfo, ctx, "accounts",
                absl::StrCat("refresh: retry within the grace window for user ", user.id.value, " session ",
                             succ.id.value));
            DAIRA_ASSIGN_OR_RETURN(User u, UserFromRow(next.front(), AllUserFields()));
            replayed = Session{.access_token = opened->substr(0, nl),
                               .refresh_token = opened->substr(nl + 1),
                               .access_expires_at = succ.access_expires_at,
                               .refresh_expires_at = succ.expires_at,
                               .session_id = succ.id,
                               .user = std::move(u)};
            return absl::OkStatus();
          }
        }
      }
      return revoke_family();
    };
    if (old.revoked_at.has_value()) {
      if (old.replaced_by.has_value()) return reuse(rs.front());
      failure = absl::UnauthenticatedError("refresh: session was revoked");
      return absl::OkStatus();
    }
    if (now >= old.expires_at) {
      failure = absl::UnauthenticatedError("refresh: refresh token is expired");
      return absl::OkStatus();
    }
    if (user.status != UserStatus::kActive) {
      failure = absl::PermissionDeniedError(absl::StrCat("refresh: account is ", ToAbsl(StatusWord(*user.status))));
      return absl::OkStatus();
    }
    // Claim the old session; a concurrent refresh that claimed it first makes this a reuse (of a
    // token rotated a moment ago: re-read it, the grace window applies).
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet claim,
        c.Execute("UPDATE user_sessions SET revoked_at = ?, updated_at = ?, last_used_at = ? "
                  "WHERE id = ? AND revoked_at IS NULL",
                  {now_us, now_us, now_us, old.id.value}));
    if (claim.rows_affected() == 0) {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet again, c.Execute(SessionJoinSql("refresh"), {refresh_hash}));
      if (again.empty()) return revoke_family();
      old = SessionFromRow(again.front());
      if (!old.replaced_by.has_value()) return revoke_family();
      return reuse(again.front());
    }
    DAIRA_RETURN_IF_ERROR(InsertSession(c, tokens, user.id, old.family_id,
                                        DeviceInfo{.device_type = old.device_type.value_or(""),
                                                   .device_name = old.device_name.value_or(""),
                                                   .ip_address = old.ip_address.value_or(""),
                                                   .user_agent = old.user_agent.value_or("")},
                                        now_us, refresh_exp, access_exp));
    DAIRA_RETURN_IF_ERROR(
        c.Execute("UPDATE user_sessions SET replaced_by = ?, successor_sealed = ? WHERE id = ?",
                  {tokens.id, options_.refresh_reuse_grace.count() > 0 ? store::Value(sealed) : store::Value(),
                   old.id.value})
            .status());
    internal::InvalidateSessionsAfterCommit(deps_, ctx, {old.id.value});  // rotated: revoked
    return absl::OkStatus();
  });
  DAIRA_RETURN_IF_ERROR(st);
  DAIRA_RETURN_IF_ERROR(failure);
  if (replayed.has_value()) return *std::move(replayed);
  return SessionFrom(std::move(tokens), access_exp, refresh_exp, std::move(user));
}

// ---------------------------------------------------------------------------------------------------
// Logout

absl::Status Accounts::Logout(const RequestContext& ctx, std::string_view token) const {
  if (token.empty() || token.size() > kMaxRefreshTokenLength) {
    return absl::UnauthenticatedError("logout: token is malformed");
  }
  // Access tokens are "<id>.<secret>"; refresh tokens are bare base64url (no '.').
  const bool access = token.find('.') != std::string_view::npos;
  const std::string sql = absl::StrCat("UPDATE user_sessions SET revoked_at = coalesce(revoked_at, ?), updated_at = ? WHERE ",
                                       access ? "access_token_hash" : "refresh_token_hash", " = ? RETURNING id");
  const int64_t now = deps_.NowMicros();
  return store::WithConnection(*deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, {now, now, internal::HashToken(token)}));
    if (rs.empty()) return absl::UnauthenticatedError("logout: token matches no session");
    internal::InvalidateSessionsAfterCommit(deps_, ctx, Ids(rs));
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> Accounts::LogoutEverywhere(const RequestContext& ctx, UserId user) const {
  const int64_t now = deps_.NowMicros();
  return store::WithConnection(*deps_.db, ctx, store::Access::kWrite, [&](store::Connection& c) -> absl::StatusOr<int64_t> {
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        c.Execute("UPDATE user_sessions SET revoked_at = ?, updated_at = ? WHERE user_id = ? AND revoked_at IS NULL "
                  "RETURNING id",
                  {now, now, user.value}));
    internal::InvalidateSessionsAfterCommit(deps_, ctx, Ids(rs));
    return static_cast<int64_t>(rs.size());
  });
}

// ---------------------------------------------------------------------------------------------------
// Passwords

absl::Status Accounts::ChangePassword(const RequestContext& ctx, const ChangePasswordRequest& request) const {
  DAIRA_RETURN_IF_ERROR(options_status_);
  DAIRA_RETURN_IF_ERROR(request.Validate());
  const UserId id{request.user_id};
  DAIRA_ASSIGN_OR_RETURN(User user, users_.Get(ctx, id, UserFieldMask{UserField::kStatus, UserField::kPasswordHash}));
  bool right = false;
  if (user.password_hash.has_value()) {
    DAIRA_ASSIGN_OR_RETURN(right, impl_->hasher.VerifyAtFullCost(*user.password_hash, request.current_password));
  }
  if (!right) return absl::UnauthenticatedError("change_password: current password is wrong");
  if (user.status != UserStatus::kActive) {
    return absl::PermissionDeniedError(
        absl::StrCat("change_password: account is ", ToAbsl(StatusWord(*user.status))));
  }
  DAIRA_ASSIGN_OR_RETURN(std::string hash, impl_->hasher.Hash(request.new_password));
  return deps_.db->RunInTransaction(ctx, [&](store::Connection&) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(users_.Update(ctx, id, UserPatch{.password_hash = hash}));
    return LogoutEverywhere(ctx, id).status();
  });
}

}  // namespace daira::inline v0::services
