// MuteRepository: field-masked reads of `mutes` — get, batch get, the mute of a (muter, muted) pair,
// exists, count, and a user's mutes newest first.
//
//   services::MuteRepository mutes(deps);
//   auto mask = services::MuteFieldMask{model::MuteField::kMuteType, model::MuteField::kExpiresAt};
//   DAIRA_ASSIGN_OR_RETURN(model::MuteRecord m, mutes.FindByPair(ctx, UserId{1}, UserId{2}, mask));
//   DAIRA_ASSIGN_OR_RETURN(int64_t n, mutes.Count(ctx, {.muter_id = UserId{1},
//                                                      .mute_type = model::MuteKind::kHidePosts}));
//
// Read-only: mutes are written through services::Social::Mute / Unmute (services/social.h), which
// check that both users exist and upsert the mute_type — one place for the rule. Expired mutes are rows
// like any other here (expires_at tells); Social::HiddenAuthorsFor applies the expiry.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica). Bad input is InvalidArgument naming the field; nothing runs.
//
// Thread-safety: MuteRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/mute.h"
#include "daira/model/social_records.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using MuteFieldMask = query::FieldMask<model::MuteField>;

// The column table of `mutes` (id is the primary key).
const query::FieldTable<model::MuteField>& MuteColumns();
// Every column of `mutes`.
MuteFieldMask AllMuteFields();

struct MuteBatch {
  std::vector<model::MuteRecord> mutes;  // found, in the caller's order (duplicates once)
  std::vector<MuteId> missing;           // ids with no row
};

// Count filters (all given ones must match; ids must be > 0).
struct MuteFilter {
  std::optional<UserId> muter_id{};
  std::optional<UserId> muted_id{};
  std::optional<model::MuteKind> mute_type{};
};

class MuteRepository {
 public:
  explicit MuteRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The mute with `id` (columns of `mask` plus id). NotFound "mutes: mute 42 not found".
  absl::StatusOr<model::MuteRecord> Get(const RequestContext& ctx, MuteId id,
                                        MuteFieldMask mask = AllMuteFields()) const;
  // The mutes with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order given;
  // ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<MuteBatch> GetMany(const RequestContext& ctx, std::span<const MuteId> ids,
                                    MuteFieldMask mask = AllMuteFields()) const;
  // `muter`'s mute of `muted` (unique). InvalidArgument naming muter_id / muted_id (≤ 0); NotFound
  // "mutes: user 1 does not mute user 2".
  absl::StatusOr<model::MuteRecord> FindByPair(const RequestContext& ctx, UserId muter, UserId muted,
                                               MuteFieldMask mask = AllMuteFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, MuteId id) const;
  // Number of mutes matching `filter` (every mute when empty). InvalidArgument naming an id ≤ 0.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const MuteFilter& filter = {}) const;
  // A page of the mutes `muter` made, newest first (keyset over id; one statement, served by the
  // mutes_pair_uidx range of the muter). InvalidArgument naming muter_id, "limit" or "cursor".
  absl::StatusOr<query::Page<model::MuteRecord>> ListByMuter(const RequestContext& ctx, UserId muter,
                                                             const query::PageRequest& page = {},
                                                             MuteFieldMask mask = AllMuteFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
