// Vectors: a user's recommendation embedding — a vector of float32 — stored in the database
// (`user_embeddings`, packed little-endian float32 as videos.embedding) and read through the cache as
// `vector:{user}` (policy: 30 days), with single-flight; a write invalidates it after commit.
//
//   services::Vectors& vectors = platform->vectors();
//   std::vector<float> e = model_output(alice);                          // 1..4096 finite values
//   DAIRA_RETURN_IF_ERROR(vectors.Put(ctx, alice, e));                  // upsert; vector:{alice} invalidated
//   DAIRA_ASSIGN_OR_RETURN(std::optional<std::vector<float>> got, vectors.Get(ctx, alice));
//   if (!got) { /* not computed yet */ }
//   DAIRA_ASSIGN_OR_RETURN(bool removed, vectors.Delete(ctx, alice));
//
// Reads go through the cache the Platform gives the services (docs/cache.md, "Which caches the services
// use"), from the primary on Postgres; inside a transaction (RunInTransaction) the cache is bypassed so
// a read after a write in the same transaction sees it. "No embedding yet" is cached too (the write
// that adds one invalidates it). Unknown or deleted users are NotFound and never cached.
//
// Thread-safety: a Vectors object is safe to use from any number of threads.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"
#include "daira/model/ids.h"
#include "daira/services/service_deps.h"

namespace daira::inline v0::services {

inline constexpr size_t kMaxEmbeddingDims = 4096;  // values per embedding: 1..4096

class Vectors {
 public:
  explicit Vectors(const ServiceDeps& deps) : deps_(deps) {}

  // The user's embedding, or nullopt when none was stored. NotFound for unknown or deleted users.
  absl::StatusOr<std::optional<std::vector<float>>> Get(const RequestContext& ctx, UserId user) const;
  // Stores (replaces) the user's embedding; `vector:{user}` is invalidated after commit (never for a
  // rolled-back transaction). InvalidArgument naming "embedding" when it is empty, longer than
  // kMaxEmbeddingDims or holds a NaN or an infinity (nothing written); NotFound for unknown or deleted
  // users.
  absl::Status Put(const RequestContext& ctx, UserId user, std::span<const float> embedding) const;
  // Removes the user's embedding; returns whether there was one. Invalidated after commit like Put.
  absl::StatusOr<bool> Delete(const RequestContext& ctx, UserId user) const;

 private:
  ServiceDeps deps_;
};

}  // namespace daira::inline v0::services
