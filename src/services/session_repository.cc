#include "daira/services/session_repository.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/validation.h"
#include "services/typed_repository.h"

namespace daira::inline v0::services {

using model::UserSessionField;
using model::UserSessionRecord;

namespace {

using Column = query::ColumnSpec<UserSessionRecord, UserSessionField>;
using internal::Conditions;
using query::ReadColumn;
using SessionTableType = internal::TypedTable<UserSessionRecord, UserSessionField, SessionId>;
using F = UserSessionField;
using R = UserSessionRecord;

const SessionTableType& SessionTable() {
  static const auto* kTable = new SessionTableType(
      {.table = "user_sessions", .entity = "session"},
      std::array{
          Column{F::kId, "id", &ReadColumn<&R::id>, query::kPrimaryKey},
          Column{F::kUserId, "user_id", &ReadColumn<&R::user_id>},
          Column{F::kFamilyId, "family_id", &ReadColumn<&R::family_id>},
          Column{F::kRefreshTokenHash, "refresh_token_hash", &ReadColumn<&R::refresh_token_hash>,
                 query::kSensitive},
          Column{F::kAccessTokenHash, "access_token_hash", &ReadColumn<&R::access_token_hash>,
                 query::kSensitive},
          Column{F::kDeviceType, "device_type", &ReadColumn<&R::device_type>},
          Column{F::kDeviceName, "device_name", &ReadColumn<&R::device_name>},
          Column{F::kIpAddress, "ip_address", &ReadColumn<&R::ip_address>},
          Column{F::kUserAgent, "user_agent", &ReadColumn<&R::user_agent>},
          Column{F::kCreatedAt, "created_at", &ReadColumn<&R::created_at>},
          Column{F::kUpdatedAt, "updated_at", &ReadColumn<&R::updated_at>},
          Column{F::kLastUsedAt, "last_used_at", &ReadColumn<&R::last_used_at>},
          Column{F::kExpiresAt, "expires_at", &ReadColumn<&R::expires_at>},
          Column{F::kAccessExpiresAt, "access_expires_at", &ReadColumn<&R::access_expires_at>},
          Column{F::kRevokedAt, "revoked_at", &ReadColumn<&R::revoked_at>},
          Column{F::kReplacedBy, "replaced_by", &ReadColumn<&R::replaced_by>},
      });
  return *kTable;
}

}  // namespace

const query::FieldTable<UserSessionField>& SessionColumns() { return SessionTable().fields(); }

SessionFieldMask AllSessionFields() { return SessionColumns().All(); }

absl::StatusOr<UserSessionRecord> SessionRepository::Get(const RequestContext& ctx, SessionId id,
                                                         SessionFieldMask mask) const {
  return SessionTable().Get(deps_, ctx, id, mask);
}

absl::StatusOr<SessionBatch> SessionRepository::GetMany(const RequestContext& ctx,
                                                        std::span<const SessionId> ids,
                                                        SessionFieldMask mask) const {
  return SessionTable().GetMany<SessionBatch>(deps_, ctx, ids, mask);
}

absl::StatusOr<bool> SessionRepository::Exists(const RequestContext& ctx, SessionId id) const {
  return SessionTable().Exists(deps_, ctx, id);
}

absl::StatusOr<int64_t> SessionRepository::Count(const RequestContext& ctx,
                                                 const SessionFilter& filter) const {
  Violations v;
  if (filter.user_id) v.Id("user_id", filter.user_id->value);
  if (filter.family_id) v.Id("family_id", *filter.family_id);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("count sessions"));
  Conditions c;
  c.IfSet("user_id = ?", filter.user_id);
  c.IfSet("family_id = ?", filter.family_id);
  if (filter.revoked) c.Add(*filter.revoked ? "revoked_at IS NOT NULL" : "revoked_at IS NULL");
  return SessionTable().Count(deps_, ctx, c);
}

absl::StatusOr<query::Page<UserSessionRecord>> SessionRepository::ListByUser(const RequestContext& ctx,
                                                                             UserId user,
                                                                             const query::PageRequest& page,
                                                                             SessionFieldMask mask) const {
  Violations v;
  v.Id("user_id", user.value);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("list sessions"));
  return SessionTable().List(deps_, ctx, absl::StrCat("user:", user.value),
                             Conditions().Add("user_id = ?", user), query::SortOrder::kDescending, page,
                             mask);
}

absl::StatusOr<query::Page<UserSessionRecord>> SessionRepository::ListByFamily(const RequestContext& ctx,
                                                                               int64_t family_id,
                                                                               const query::PageRequest& page,
                                                                               SessionFieldMask mask) const {
  Violations v;
  v.Id("family_id", family_id);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("list sessions"));
  return SessionTable().List(deps_, ctx, absl::StrCat("family:", family_id),
                             Conditions().Add("family_id = ?", family_id), query::SortOrder::kAscending, page,
                             mask);
}

}  // namespace daira::inline v0::services
