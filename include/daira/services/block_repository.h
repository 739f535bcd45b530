// BlockRepository: field-masked reads of `blocks` — get, batch get, the block of a (blocker, blocked)
// pair, exists, count, and a user's blocks newest first.
//
//   services::BlockRepository blocks(deps);
//   auto mask = services::BlockFieldMask{model::BlockField::kReason};
//   DAIRA_ASSIGN_OR_RETURN(model::BlockRecord b, blocks.FindByPair(ctx, UserId{1}, UserId{2}, mask));
//   DAIRA_ASSIGN_OR_RETURN(auto page, blocks.ListByBlocker(ctx, UserId{1}, {.limit = 50}));
//
// Read-only on purpose: a block removes the follows between the two users in both directions (and
// their counters) in the same transaction, so blocks are written through services::Social
// (services/social.h); Social::IsBlocked answers "either way" in one statement.
//
// Every method runs inside the request's open transaction when `ctx` has one, else on a read
// connection (which may be a replica). Bad input is InvalidArgument naming the field; nothing runs.
//
// Thread-safety: BlockRepository is stateless apart from its dependencies and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/model/social_records.h"
#include "daira/query/field_mask.h"
#include "daira/query/keyset.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

using BlockFieldMask = query::FieldMask<model::BlockField>;

// The column table of `blocks` (id is the primary key).
const query::FieldTable<model::BlockField>& BlockColumns();
// Every column of `blocks`.
BlockFieldMask AllBlockFields();

struct BlockBatch {
  std::vector<model::BlockRecord> blocks;  // found, in the caller's order (duplicates once)
  std::vector<BlockId> missing;            // ids with no row
};

// Count filters (all given ones must match; ids must be > 0).
struct BlockFilter {
  std::optional<UserId> blocker_id{};
  std::optional<UserId> blocked_id{};
};

class BlockRepository {
 public:
  explicit BlockRepository(const ServiceDeps& deps) : deps_(deps) {}

  // The block with `id` (columns of `mask` plus id). NotFound "blocks: block 42 not found".
  absl::StatusOr<model::BlockRecord> Get(const RequestContext& ctx, BlockId id,
                                         BlockFieldMask mask = AllBlockFields()) const;
  // The blocks with `ids` in ONE statement (chunked past 10,000 ids), deduplicated, in the order
  // given; ids with no row in `missing`. No ids: no statement.
  absl::StatusOr<BlockBatch> GetMany(const RequestContext& ctx, std::span<const BlockId> ids,
                                     BlockFieldMask mask = AllBlockFields()) const;
  // `blocker`'s block of `blocked` (unique; not the reverse one). InvalidArgument naming blocker_id /
  // blocked_id (≤ 0); NotFound "blocks: user 1 does not block user 2".
  absl::StatusOr<model::BlockRecord> FindByPair(const RequestContext& ctx, UserId blocker, UserId blocked,
                                                BlockFieldMask mask = AllBlockFields()) const;
  absl::StatusOr<bool> Exists(const RequestContext& ctx, BlockId id) const;
  // Number of blocks matching `filter` (every block when empty). InvalidArgument naming an id ≤ 0.
  absl::StatusOr<int64_t> Count(const RequestContext& ctx, const BlockFilter& filter = {}) const;
  // A page of the blocks `blocker` made, newest first (keyset over id; one statement, served by the
  // blocks_pair_uidx range of the blocker). InvalidArgument naming blocker_id, "limit" or "cursor".
  absl::StatusOr<query::Page<model::BlockRecord>> ListByBlocker(const RequestContext& ctx, UserId blocker,
                                                                const query::PageRequest& page = {},
                                                                BlockFieldMask mask = AllBlockFields()) const;

  const ServiceDeps& deps() const { return deps_; }

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
