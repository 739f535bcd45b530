// UserRepository: typed access to the `users` table — get, batch get, find by unique key, exists,
// count, partial update, soft delete — with field masks; and UserLoader, a per-request DataLoader.
//
//   services::UserRepository users(deps);
//   RequestContext ctx;
//   auto mask = services::UserFieldMask{model::UserField::kUsername, model::UserField::kAvatarUrl};
//   DAIRA_ASSIGN_OR_RETURN(model::User u, users.Get(ctx, UserId{42}, mask));   // SELECT id, username, avatar_url
//   DAIRA_ASSIGN_OR_RETURN(auto batch, users.GetMany(ctx, author_ids));        // ONE statement, caller's order
//   DAIRA_RETURN_IF_ERROR(users.Update(ctx, u.id, {.avatar_url = "https://cdn.x/a.png"}));
//   services::UserLoader loader(users, ctx);                                    // one per request
//   auto a = loader.Enqueue(UserId{1}); auto b = loader.Enqueue(UserId{2});
//   loader.Dispatch();                                                          // ONE statement for both
//
// Every method runs inside the request's open transaction when `ctx` has one (a service composing
// several writes in Database::RunInTransaction), else on a connection of its own (reads on a read
// connection, which may be a replica). The repository does no validation of formats: the services
// validate requests first. Rows of every status are returned (a DELETED user too); services decide
// what a status means.
//
// Thread-safety: UserRepository is stateless apart from its dependencies and safe from any thread.
// UserLoader is safe from any thread but is meant to live for one request.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/user.h"
#include "daira/query/batcher.h"
#include "daira/query/field_mask.h"
#include "daira/services/service_deps.h"
#include "daira/store/connection.h"

namespace daira::inline v0::services {

using UserFieldMask = query::FieldMask<model::UserField>;

// The column table of `users`: id is the primary key, password_hash is sensitive (selected only when a
// mask names it). UserColumns().All() is every other column; Parse("username,email") reads a request's
// ?fields= list.
const query::FieldTable<model::UserField>& UserColumns();

// The fields of a user without secrets (UserColumns().All()).
UserFieldMask AllUserFields();

// Maps a row holding the columns UserColumns().Columns(mask) selects; fields not in `mask` stay
// nullopt. DataLoss when a status/role value is not one the schema allows.
absl::StatusOr<model::User> UserFromRow(const store::Row& row, UserFieldMask mask);

// The result of GetMany: the users found in the caller's order (duplicates once), and the ids missing.
struct UserBatch {
  std::vector<model::User> users;
  std::vector<UserId> missing;
};

// A partial update: only the fields given are written (and updated_at, always).
struct UserPatch {
  std::optional<std::string> username{};       // stored as given: normalize first
  std::optional<std::string> email{};          // "" clears it (NULL)
  std::optional<std::string> phone{};          // "" clears it (NULL)
  std::optional<std::string> avatar_url{};     // "" clears it (NULL)
  std::optional<std::string> password_hash{};  // an encoded argon2id string
  std::optional<bool> is_verified{};
  std::optional<bool> is_private{};
  std::optional<model::UserStatus> status{};
  std::optional<model::UserRole> role{};
  std::optional<Clock::TimePoint> last_login_at{};
};

// A new user row (and its profile). Values are stored as given: normalize and validate first.
struct NewUser {
  std::string username;                        // normalized
  std::optional<std::string> email{};          // lower-cased
  std::optional<std::string> phone{};          // E.164
  std::optional<std::string> password_hash{};  // encoded argon2id string
  std::optional<std::string> display_name{};   // goes to user_profiles
  std::optional<std::string> avatar_url{};
  model::UserRole role = model::UserRole::kUser;
};

class UserRepository {
 public:
  explicit UserRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The user with `id`, selecting the columns of `mask` (plus id). NotFound "users: user 42 not found".
  absl::StatusOr<model::User> Get(const RequestContext& ctx, UserId id, UserFieldMask mask = AllUserFields()) const;
  // The users with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order given;
  // ids with no row are listed in `missing`. No ids: no statement.
  absl::StatusOr<UserBatch> GetMany(const RequestContext& ctx, std::span<const UserId> ids,
                                    UserFieldMask mask = AllUserFields()) const;
  // Lookups by unique key; NotFound naming the key. FindByEmail lower-cases, FindByUsername
  // normalizes (NormalizeUsername) before looking up.
  absl::StatusOr<model::User> FindByEmail(const RequestContext& ctx, std::string_view email,
                                          UserFieldMask mask = AllUserFields()) const;
  absl::StatusOr<model::User> FindByUsername(const RequestContext& ctx, std::string_view username,
                                             UserFieldMask mask = AllUserFields()) const;
  absl::StatusOr<model::User> FindByPhone(const RequestContext& ctx, std::string_view phone,
                                          UserFieldMask mask = AllUserFields()) const;
  // Whether a row with `id` exists (any status).
  absl::StatusOr<bool> Exists(const RequestContext& ctx, UserId id) const;
  // Number of users, or of users with `status` when given.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, std::optional<model::UserStatus> status = {}) const;
  // Inserts the user (id from ServiceDeps::ids, status ACTIVE, created_at = updated_at = now) and an
  // empty profile, in one transaction (joining the request's if open). AlreadyExists naming
  // username/email/phone when a unique key is taken; nothing is written then.
  absl::StatusOr<model::User> Create(const RequestContext& ctx, const NewUser& user) const;
  // Writes the given fields and bumps updated_at (one UPDATE). NotFound when no such user;
  // AlreadyExists naming the field when a unique key is taken; InvalidArgument for values the schema
  // rejects.
  absl::Status Update(const RequestContext& ctx, UserId id, const UserPatch& patch) const;
  // Soft delete: status DELETED, deleted_at = now. NotFound when no such user (deleting twice is OK).
  absl::Status Delete(const RequestContext& ctx, UserId id) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  absl::StatusOr<model::User> FindBy(const RequestContext& ctx, std::string_view column, std::string_view value,
                                     UserFieldMask mask) const;
  ServiceDeps deps_;
};

// Per-request DataLoader over UserRepository::GetMany: Get()s issued separately (by independent
// resolvers of one request) coalesce into one statement per Dispatch, and a user loaded once is
// answered from the loader's cache afterwards. A Handle of an unknown id fails with NotFound.
class UserLoader {
 public:
  // `repo` and `ctx` must outlive the loader. Every load selects `mask`.
  UserLoader(const UserRepository& repo, const RequestContext& ctx, UserFieldMask mask = AllUserFields());
  UserLoader(const UserLoader&) = delete;
  UserLoader& operator=(const UserLoader&) = delete;

  using Handle = query::Batcher<int64_t, model::User>::Handle;
  // Adds `id` to the pending batch; nothing runs yet.
  Handle Enqueue(UserId id) { return batcher_.Enqueue(id.value); }
  // Loads every pending id with one statement.
  void Dispatch() { batcher_.Dispatch(); }
  // Enqueue + Get: dispatches the pending batch (with this id in it) if it has not run yet.
  // Unknown ids: NotFound "users: user N not found".
  absl::StatusOr<model::User> Load(UserId id);
  // Batches (statements) run so far.
  int64_t batches() const { return batcher_.batches(); }

 private:
  query::Batcher<int64_t, model::User> batcher_;
};

}  // namespace daira::inline v0::services
