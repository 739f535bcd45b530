// Database: pools per endpoint, replica routing with read-your-writes, transactions with retries.

#include "daira/store/database.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/registry.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "store/driver.h"
#include "store/group_commit.h"
#include "store/pool.h"
#include "store/transaction_internal.h"

namespace daira::inline v0::store {
namespace {

using internal::Pool;
using internal::PoolConfig;

// How long a replica's lag measurement is trusted, and how long an unreachable replica is left alone.
constexpr std::chrono::milliseconds kLagCheckInterval{250};
constexpr std::chrono::milliseconds kReplicaRetryAfter{2000};

struct Replica {
  std::unique_ptr<Pool> pool;
  std::mutex mu;
  std::chrono::steady_clock::time_point down_until{};  // skip until then (connect failed)
  std::chrono::steady_clock::time_point checked_at{};  // when `lag_ms` was measured
  bool checked = false;
  int64_t lag_ms = 0;
};

class SqlDatabase final : public Database {
 public:
  SqlDatabase(DatabaseOptions options, Url url, std::unique_ptr<internal::Driver> driver)
      : options_(std::move(options)), url_(std::move(url)), driver_(std::move(driver)) {
    if (options_.clock == nullptr) options_.clock = Clock::System();
  }

  ~SqlDatabase() override {
    // Pools hold connections of the driver: close them first.
    replicas_.clear();
    readers_.reset();
    primary_.reset();
  }

  absl::Status Init() {
    const bool sqlite = driver_->backend() == Backend::kSqlite;
    PoolConfig base;
    base.options = options_.pool;
    base.database_options = &options_;
    base.driver = driver_.get();
    base.clock = options_.clock;
    if (sqlite) {
      // One writer (opened first: it creates the file and switches it to WAL), then the readers.
      PoolConfig w = base;
      w.endpoint = url_.Redacted();
      w.url = url_;
      w.min = w.max = 1;
      primary_ = std::make_unique<Pool>(std::move(w));
      DAIRA_RETURN_IF_ERROR(primary_->Fill(1));
      group_ = std::make_unique<internal::GroupCommitter>(*this);
      if (options_.readers > 0 && url_.path != ":memory:") {
        PoolConfig r = base;
        r.endpoint = absl::StrCat(url_.Redacted(), " (readers)");
        r.url = url_;
        r.read_only = true;
        r.min = r.max = options_.readers;
        readers_ = std::make_unique<Pool>(std::move(r));
        DAIRA_RETURN_IF_ERROR(readers_->Fill(options_.readers));
      }
      return absl::OkStatus();
    }

    std::vector<std::string> replica_urls = options_.replicas;
    if (replica_urls.empty()) replica_urls = url_.Params("replica");
    PoolConfig p = base;
    p.endpoint = url_.Redacted();
    p.url = url_;
    p.min = options_.pool.pool_min;
    p.max = options_.pool.pool_max;
    p.note_write_positions = !replica_urls.empty();
    primary_ = std::make_unique<Pool>(std::move(p));
    // At least one connection, even with pool_min 0: Open proves the primary is reachable.
    absl::Status filled = primary_->Fill(std::max(1, options_.pool.pool_min));
    if (!filled.ok()) {
      return absl::Status(filled.code() == absl::StatusCode::kInvalidArgument ? filled.code()
                                                                              : absl::StatusCode::kUnavailable,
                          absl::StrCat("database: cannot connect to ", url_.Redacted(), ": ", filled.message()));
    }
    for (const std::string& text : replica_urls) {
      absl::StatusOr<Url> ru = ParseUrl(text);
      if (!ru.ok()) return Annotate(ru.status(), "database url: replica");
      auto r = std::make_unique<Replica>();
      PoolConfig rc = base;
      rc.endpoint = ru->Redacted();
      rc.url = *ru;
      rc.min = options_.pool.pool_min;
      rc.max = options_.pool.pool_max;
      r->pool = std::make_unique<Pool>(std::move(rc));
      absl::Status st = r->pool->Fill(options_.pool.pool_min);
      if (!st.ok()) {
        // A replica that is down is skipped (reads go to the primary) and retried later.
        Log(LogLevel::kWarning, "store",
            absl::StrCat("database: replica ", ru->Redacted(), " unavailable, reading from the primary: ",
                         st.message()));
        r->down_until = std::chrono::steady_clock::now() + kReplicaRetryAfter;
      }
      replicas_.push_back(std::move(r));
    }
    return absl::OkStatus();
  }

  Backend backend() const override { return driver_->backend(); }
  std::string endpoint() const override { return url_.Redacted(); }

  absl::StatusOr<ConnectionLease> Acquire(const RequestContext& ctx, Access access) override {
    if (closed_.load(std::memory_order_acquire)) {
      return absl::FailedPreconditionError(absl::StrCat("database: ", url_.Redacted(), " is closed"));
    }
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline("database: acquire connection"));
    if (access == Access::kWrite) return primary_->Acquire(ctx, Access::kWrite);
    if (readers_ != nullptr) return readers_->Acquire(ctx, Access::kRead);
    if (!replicas_.empty()) {
      const size_t n = replicas_.size();
      const size_t first = next_replica_.fetch_add(1, std::memory_order_relaxed);
      for (size_t i = 0; i < n; ++i) {
        std::optional<ConnectionLease> lease = TryReplica(*replicas_[(first + i) % n], ctx);
        if (lease.has_value()) return std::move(*lease);
      }
    }
    return primary_->Acquire(ctx, Access::kRead);
  }

  void Close() override {
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
    for (const auto& r : replicas_) r->pool->Close();
    if (readers_ != nullptr) readers_->Close();
    primary_->Close();  // last: SQLite's writer checkpoints the WAL when it closes
  }
  bool closed() const override { return closed_.load(std::memory_order_acquire); }

  // SQLite only: the writer's group commit queue (store/group_commit.h); null on Postgres.
  internal::GroupCommitter* group_committer() const { return group_.get(); }

  std::vector<PoolStats> Stats() const override {
    std::vector<PoolStats> out;
    out.push_back(primary_->Stats());
    if (readers_ != nullptr) out.push_back(readers_->Stats());
    for (const auto& r : replicas_) out.push_back(r->pool->Stats());
    return out;
  }

 private:
  // A lease on `r` if it is reachable, not lagging more than max_replica_lag, has a free connection,
  // and has replayed the context's last write; otherwise nothing (the caller moves on).
  std::optional<ConnectionLease> TryReplica(Replica& r, const RequestContext& ctx) {
    const auto now = std::chrono::steady_clock::now();
    bool need_check = true;
    {
      std::lock_guard<std::mutex> lock(r.mu);
      if (now < r.down_until) return std::nullopt;
      if (r.checked && now - r.checked_at < kLagCheckInterval) {
        if (r.lag_ms > options_.max_replica_lag.count()) return std::nullopt;
        need_check = false;
      }
    }
    absl::StatusOr<ConnectionLease> lease = r.pool->Acquire(ctx, Access::kRead, /*wait=*/false);
    if (!lease.ok()) {
      if (lease.status().code() == absl::StatusCode::kUnavailable) MarkDown(r, lease.status());
      return std::nullopt;
    }
    if (need_check) {
      absl::StatusOr<int64_t> lag = (*lease)->ReplicaLagMillis();
      if (!lag.ok()) {
        MarkDown(r, lag.status());
        return std::nullopt;
      }
      std::lock_guard<std::mutex> lock(r.mu);
      r.checked = true;
      r.checked_at = now;
      r.lag_ms = *lag;
      if (*lag > options_.max_replica_lag.count()) return std::nullopt;
    }
    const std::string position = ctx.last_write_position();
    if (!position.empty()) {
      absl::StatusOr<bool> replayed = (*lease)->HasReplayed(position);
      if (!replayed.ok() || !*replayed) return std::nullopt;
    }
    return std::move(*lease);
  }

  void MarkDown(Replica& r, const absl::Status& why) {
    std::lock_guard<std::mutex> lock(r.mu);
    const auto now = std::chrono::steady_clock::now();
    if (now >= r.down_until) {
      Log(LogLevel::kWarning, "store",
          absl::StrCat("database: replica ", r.pool->endpoint(), " skipped for ", kReplicaRetryAfter.count(),
                       " ms: ", why.message()));
    }
    r.down_until = now + kReplicaRetryAfter;
    r.checked = false;
  }

  DatabaseOptions options_;
  Url url_;
  std::unique_ptr<internal::Driver> driver_;
  std::unique_ptr<Pool> primary_;  // Postgres primary / SQLite writer
  std::unique_ptr<Pool> readers_;  // SQLite readers (null: reads use the writer)
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::atomic<size_t> next_replica_{0};
  std::atomic<bool> closed_{false};
  std::unique_ptr<internal::GroupCommitter> group_;  // SQLite only
};

absl::Status ValidatePoolOptions(const DatabaseOptions& o) {
  auto bad = [](std::string_view field, int64_t got, std::string_view what) {
    return InvalidField("database options", field, absl::StrCat(ToAbsl(what), " (got ", got, ")"));
  };
  if (o.pool.pool_max < 1) return bad("pool_max", o.pool.pool_max, "must be a positive integer");
  if (o.pool.pool_min < 0) return bad("pool_min", o.pool.pool_min, "must be a non-negative integer");
  if (o.pool.pool_min > o.pool.pool_max) return bad("pool_min", o.pool.pool_min, "must not exceed pool_max");
  if (o.pool.acquire_timeout.count() < 0) {
    return bad("acquire_timeout", o.pool.acquire_timeout.count(), "must not be negative");
  }
  if (o.readers < 0) return bad("readers", o.readers, "must be a non-negative integer");
  if (o.statement_timeout.count() < 0) {
    return bad("statement_timeout", o.statement_timeout.count(), "must not be negative (0 = none)");
  }
  if (o.pool.max_lifetime.count() < 0) return bad("max_lifetime", o.pool.max_lifetime.count(), "must not be negative");
  if (o.statement_cache_size < 1) {
    return bad("statement_cache_size", o.statement_cache_size, "must be a positive integer");
  }
  if (o.mmap_size < 0) return bad("mmap_size", o.mmap_size, "must not be negative (0 = no memory map)");
  if (o.cache_size < 0) return bad("cache_size", o.cache_size, "must not be negative (0 = SQLite's default)");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  absl::StatusOr<Url> url = ParseUrl(options.url);
  if (!url.ok()) return Annotate(url.status(), "database url");
  if (url->scheme == "sqlite" && url->path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("database url: sqlite needs a file path (got \"", url->Redacted(), "\")"));
  }
  DAIRA_RETURN_IF_ERROR(ValidatePoolOptions(options));
  DAIRA_ASSIGN_OR_RETURN(std::unique_ptr<internal::Driver> driver, backends::MakeSqlDriver(url->scheme));
  auto db = std::make_unique<SqlDatabase>(options, *std::move(url), std::move(driver));
  DAIRA_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(std::string_view url) {
  DAIRA_ASSIGN_OR_RETURN(DatabaseOptions options, DatabaseOptions::FromUrl(url));
  return Open(options);
}

const Dialect& Database::dialect() const { return DialectFor(backend()); }

// Inside a request's open transaction, one-shot statements run on that transaction's connection: they
// see its writes, roll back with it, and never wait for a second connection (SQLite has one writer).
absl::StatusOr<ResultSet> Database::Execute(const RequestContext& ctx, std::string_view sql, Params params) {
  return WithConnection(*this, ctx, Access::kWrite, [&](Connection& c) { return c.Execute(sql, params); });
}

absl::StatusOr<ResultSet> Database::Read(const RequestContext& ctx, std::string_view sql, Params params) {
  return WithConnection(*this, ctx, Access::kRead, [&](Connection& c) { return c.Execute(sql, params); });
}

namespace {

// One attempt: BEGIN on a leased primary connection, `fn` with `ctx` bound, COMMIT (or ROLLBACK), the
// lease returned, then the after-commit hooks. A BEGIN that fails on a connection found broken (the
// server restarted since it was pooled) is retried once on a fresh one.
absl::Status RunOnce(Database& db, const RequestContext& ctx,
                     const std::function<absl::Status(Connection&)>& fn, IsolationLevel isolation) {
  std::optional<OpenTransaction> open;
  absl::Status st;
  {
    std::optional<ConnectionLease> lease;
    for (int begin_attempt = 0; begin_attempt < 2; ++begin_attempt) {
      DAIRA_ASSIGN_OR_RETURN(ConnectionLease l, db.Acquire(ctx, Access::kWrite));
      st = l->Begin(isolation, /*immediate=*/true);
      if (st.ok()) {
        lease.emplace(std::move(l));
        break;
      }
      if (!l->IsBroken()) return st;
      // `l` goes back broken and is discarded; the next Acquire opens or validates another.
    }
    if (!lease.has_value()) return st;
    open.emplace(**lease);
    {
      RequestContext::TransactionBinding binding(ctx, &*open);
      st = fn(**lease);
    }
    st = internal::EndTransaction(**lease, std::move(st));
    // The lease goes back here (an exception from `fn` returns it too, rolled back, with `ctx` already
    // unbound); after a commit the pool records the write position in ctx.
  }
  if (st.ok()) open->RunAfterCommitHooks();
  return st;
}

}  // namespace

namespace {

// Runs `attempt` until it succeeds, fails with something other than Aborted, or max_attempts ran,
// within the request deadline; exponential backoff with full jitter between attempts.
absl::Status RetryAborted(const RequestContext& ctx, const Database::TransactionOptions& options,
                          const std::function<absl::Status()>& attempt_fn) {
  const int max_attempts = std::max(1, options.max_attempts);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  absl::Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    DAIRA_RETURN_IF_ERROR(ctx.CheckDeadline("database: transaction"));
    absl::Status st = attempt_fn();
    if (st.ok()) return st;
    if (st.code() != absl::StatusCode::kAborted) return st;
    last = st;
    if (attempt == max_attempts) break;
    // Exponential backoff with full jitter, so colliding transactions spread out.
    const int64_t base_us =
        std::chrono::duration_cast<std::chrono::microseconds>(options.initial_backoff).count() << std::min(attempt - 1, 16);
    const int64_t sleep_us =
        base_us <= 0 ? 0 : base_us / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(base_us / 2 + 1));
    auto wake = std::chrono::steady_clock::now() + std::chrono::microseconds(sleep_us);
    if (ctx.deadline().has_value() && *ctx.deadline() < wake) wake = *ctx.deadline();
    std::this_thread::sleep_until(wake);
  }
  return Annotate(last, absl::StrCat("database: transaction aborted after ", max_attempts, " attempts"));
}

}  // namespace

absl::Status Database::RunInTransaction(const RequestContext& ctx,
                                        const std::function<absl::Status(Connection&)>& fn,
                                        const TransactionOptions& options) {
  // A nested call joins the request's open transaction inside a savepoint; an error (including
  // Aborted) propagates to the outermost call, which rolls back and retries the whole unit.
  if (OpenTransaction* open = ctx.open_transaction()) {
    DAIRA_RETURN_IF_ERROR(ctx.CheckTransactionThread("database: transaction"));
    return open->RunNested(fn);
  }
  return RetryAborted(ctx, options, [&] { return RunOnce(*this, ctx, fn, options.isolation); });
}

namespace internal {

absl::Status RunGrouped(Database& db, const RequestContext& ctx,
                        const std::function<absl::Status(Connection&)>& fn,
                        const Database::TransactionOptions& options) {
  auto* sql = dynamic_cast<SqlDatabase*>(&db);
  GroupCommitter* group = sql != nullptr ? sql->group_committer() : nullptr;
  if (group == nullptr || ctx.open_transaction() != nullptr || GroupCommitter::Leading()) {
    return db.RunInTransaction(ctx, fn, options);
  }
  if (db.closed()) {
    return absl::FailedPreconditionError(absl::StrCat("database: ", db.endpoint(), " is closed"));
  }
  return RetryAborted(ctx, options, [&] { return group->RunOnce(ctx, fn, options.isolation); });
}

GroupCommitStats GroupCommitStatsOf(Database& db) {
  auto* sql = dynamic_cast<SqlDatabase*>(&db);
  GroupCommitter* group = sql != nullptr ? sql->group_committer() : nullptr;
  return group != nullptr ? group->Stats() : GroupCommitStats{};
}

}  // namespace internal

}  // namespace daira::inline v0::store
