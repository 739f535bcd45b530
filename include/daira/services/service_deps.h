// What every domain service is built from: the database, a clock, an id generator and a cursor codec.
//
//   services::ServiceDeps deps{.db = db.get()};              // clock/ids default to the process ones
//   auto accounts = services::Accounts(deps);
//   auto alice = accounts.Register(ctx, {.email = "a@x.io", .username = "alice", .password = pw});
//
// Services hold no per-request state; every operation takes a RequestContext. A service composes
// others inside one transaction by calling Database::RunInTransaction with the same context: the
// nested call joins the outer transaction (see store/database.h).
//
// Thread-safety: ServiceDeps is a plain struct of non-owning pointers; the pointees must outlive
// every service built from it and are themselves thread-safe.
#pragma once

#include "daira/blob/store.h"
#include "daira/cache/cache.h"
#include "daira/core/clock.h"
#include "daira/core/id.h"
#include "daira/query/cursor.h"
#include "daira/ratelimit/rate_limiter.h"
#include "daira/services/feed_options.h"
#include "daira/store/database.h"

namespace daira::inline v0::services {

struct ServiceDeps {
  store::Database* db = nullptr;      // required; not owned
  const Clock* clock = nullptr;       // null: Clock::System()
  IdGenerator* ids = nullptr;         // null: IdGenerator::Default()
  // Signs and checks every page cursor the services hand out; null: query::CursorCodec::Default()
  // (a per-process random key). daira::Platform sets its own, keyed from the database.
  const query::CursorCodec* cursors = nullptr;
  // The cache profile and session reads go through (read-through, invalidated after commit;
  // docs/cache.md); null: no cache, every read goes to the database. Not owned.
  cache::Cache* cache = nullptr;
  // Media storage for uploads (Content::UploadVideo/UploadImage); null: uploads are refused with
  // FailedPrecondition. daira::Platform sets it from Config::blobs. Not owned.
  blob::Store* blobs = nullptr;
  // Rate limits (docs/ratelimit.md): Accounts::Login checks endpoint "login" with key
  // "<identifier>|<ip>", Content::CreatePost "post.create" with the author id — each only when the
  // limiter has a limit for it; refused → ResourceExhausted with a retry-after payload. null: none.
  ratelimit::RateLimiter* rate_limiter = nullptr;
  // The home feed's use of `cache` (fan-out on write, rebuild depth, the large-account threshold).
  FeedCacheOptions feed_cache{};

  const Clock& clock_or_default() const { return clock != nullptr ? *clock : *Clock::System(); }
  IdGenerator& ids_or_default() const { return ids != nullptr ? *ids : *IdGenerator::Default(); }
  // A new id, or why none may be issued now (IdGenerator::TryNext: Unavailable while the node lease
  // is being renewed or re-taken, FailedPrecondition in a fork()ed child or after Close).
  absl::StatusOr<int64_t> NextId() const { return ids_or_default().TryNext(); }
  // A handle on the cursor codec (copies share its keys).
  query::CursorCodec cursor_codec() const { return cursors != nullptr ? *cursors : query::CursorCodec::Default(); }
  int64_t NowMicros() const { return ToUnixMicros(clock_or_default().Now()); }
};

}  // namespace daira::inline v0::services
