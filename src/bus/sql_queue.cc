#include "bus/sql_queue.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "backends/registry.h"
#include "daira/bus/repeatable_schedule.h"
#include "daira/core/json.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"
#include "daira/core/url.h"
#include "daira/store/open_transaction.h"
#include "store/driver.h"
#include "store/result_source.h"

namespace daira::inline v0::bus::internal {

namespace {

using store::Value;

constexpr std::string_view kChannel = "daira_bus";
// pg_advisory_xact_lock's first key for the claims of a queue with a per-group limit (LockGroupClaims):
// "DB" "GR" as two ASCII pairs, unlikely to meet an application's own advisory keys.
constexpr int32_t kGroupClaimLockClass = 0x44424752;
constexpr char kCols[] =
    "id, queue, name, payload, status, priority, run_at, attempts, max_attempts, idempotency_key, group_key, "
    "correlation_id, lease_owner, lease_token, lease_expires_at, progress, result, errors, created_at, "
    "updated_at, finished_at, cancel_requested, started_at";
constexpr size_t kInsertColumns = 12;
constexpr size_t kRowsPerInsert = 500;
// Postgres's one-statement enqueue (DoEnqueue): up to this many rows in one INSERT (a larger batch goes
// through the transaction path, 500 rows per INSERT).
constexpr size_t kPgRowsPerStatement = 5000;
// Postgres: a claim's transaction commits without waiting for its WAL flush. set_config(…, true) is
// local to the claim statement's own transaction (claims never run in a caller's: ClaimWaiting refuses
// a bound context), evaluated once as a one-time filter. A claim lost to a server crash leaves its job
// WAITING: it runs again (at-least-once) and the lost lease's completion is refused (fencing).
// Enqueues and completions still wait for the flush.
constexpr char kPgAsyncCommit[] = "(SELECT set_config('synchronous_commit', 'off', true)) = 'off' AND ";
// kPkOnly — why every statement that names its rows by id tests `status || '' = '…'` (the batch claim
// and batch completion since session 15; the single claim, the fenced single-job transitions —
// complete, fail, retry, release, progress, heartbeat, cancel check —, cancel, stalled-job recovery's
// fenced UPDATE and a replay by ids since session 16): the rows they move are named by id, so the
// primary key finds them; a plain `status = 'ACTIVE'` (or 'WAITING') lets the
// planner pick a partial index instead (jobs_active_idx / jobs_ready_idx, whose predicate it implies)
// whenever its statistics say that state holds ~1 row — a new or never-analyzed jobs table, or one that
// filled since autovacuum's last ANALYZE — and scan all of it, dead entries of every claimed and finished
// job included, per statement: a completion of 64 jobs took up to 7 s in bus_bench's pool (auto_explain,
// 2026-12-07: "Index Scan using jobs_active_idx … Index Cond: (lease_expires_at > $6)" as the outer loop).
// The expression is opaque to partial-index matching, so only jobs_pkey (id = v.id / id = ANY) remains.
// The single-id statements had the same flaw in plain EXPLAIN (session 16, statistics taken when every row
// was COMPLETED): `Index Scan using jobs_ready_idx … Index Cond: (id = $2)` (id is that index's 4th
// column: a scan of all of it) for the single claim and a cancel, `jobs_active_idx … Index Cond:
// (lease_expires_at > …)` or no Index Cond at all for a transition, a running job's cancel and
// recovery. Statements that read a state's range (the pick, counts, listings, recovery's SELECT,
// retention, NextDue) keep the plain test: that partial index is the plan they want. On SQLite (rowid
// lookup whatever the statistics) the expression changes nothing.
// kNoSeqScan — sent ahead of the Postgres batch claim and the batch completion outside a caller's
// transaction, in the same pipeline (one Sync: one implicit transaction, so `set_config(…, true)` ends
// at its commit and changes nothing for any other statement). The driver prepares every statement, and
// after five executions PostgreSQL plans it once, generically, for good (until an ANALYZE or DDL
// invalidates it). Planned while the jobs table was still a few pages (a new deployment, bus_bench's
// fresh schema), that generic plan is `Seq Scan on jobs … Filter: (id = ANY ($3))` for the claim's
// UPDATE and a `Hash Join` over `Seq Scan on jobs j` for the completion (auto_explain, session 16) —
// the cheapest plan for 3 pages, kept while the table grows to 100,000 rows: every claim and
// completion then reads the whole table. With seq scans off while it is planned, the plan is built on
// jobs_pkey, which costs a few pages however large the table is. (kPkOnly already takes the partial
// indexes out of the choice, so the primary key is the only plan left.)
constexpr char kNoSeqScan[] = "SELECT set_config('enable_seqscan', 'off', true)";

// Runs `statements` in one pipeline behind kNoSeqScan on a write connection — one round trip, one
// implicit transaction, so call it outside a caller's transaction only — and returns their results in
// order (kNoSeqScan's left out). `op` names the call in an error.
absl::StatusOr<std::vector<store::ResultSet>> PipelineWithoutSeqScan(
    store::Database& db, const RequestContext& ctx, std::vector<store::BatchStatement> statements,
    std::string_view op) {
  statements.insert(statements.begin(), store::BatchStatement{.sql = kNoSeqScan, .params = {}});
  DAIRA_ASSIGN_OR_RETURN(std::vector<store::ResultSet> rs,
                         store::WithConnection(db, ctx, store::Access::kWrite, [&](store::Connection& c) {
                           return c.ExecuteBatch(statements);
                         }));
  if (rs.size() != statements.size()) {
    return absl::InternalError(std::string(op) + ": the pipeline returned too few results");
  }
  rs.erase(rs.begin());
  return rs;
}
// One statement, behind kNoSeqScan (PipelineWithoutSeqScan) when `without_seq_scan`, else plain: its
// result. The one place that chooses between the two.
absl::StatusOr<store::ResultSet> ExecuteWithoutSeqScan(store::Database& db, const RequestContext& ctx,
                                                       store::BatchStatement statement, std::string_view op,
                                                       bool without_seq_scan = true) {
  if (!without_seq_scan) return db.Execute(ctx, statement.sql, statement.params);
  std::vector<store::BatchStatement> batch;
  batch.push_back(std::move(statement));
  DAIRA_ASSIGN_OR_RETURN(std::vector<store::ResultSet> rs,
                         PipelineWithoutSeqScan(db, ctx, std::move(batch), op));
  return std::move(rs[0]);
}
// The batch claim's pick: the first N due jobs of a queue that is not paused, in claim order.
constexpr char kClaimPick[] =
    "SELECT id FROM jobs WHERE queue = ? AND status = 'WAITING' AND run_at <= ? AND NOT EXISTS (SELECT 1 FROM "
    "bus_queues b WHERE b.queue = ? AND b.paused = 1) ORDER BY priority DESC, run_at, id LIMIT ?";

// Postgres: the pick after a cursor position (PickCursors, src/bus/pick_cursor.h) — the higher
// priorities from their head, the cursor's priority after its (run_at, id), the lower priorities from
// their head: three ordered ranges of jobs_ready_idx, read in turn (an Append runs its branches in
// order and the LIMIT stops it once it has enough, so a branch starts only when those before it ran
// dry, and locks nothing before). FOR UPDATE is not allowed on a UNION's own branches: sub-selects.
// Parameters: CursorPickParams.
constexpr char kPgCursorPick[] =
    "SELECT id FROM (SELECT id FROM (SELECT id FROM jobs WHERE queue = ? AND status = 'WAITING' AND priority > ? "
    "AND run_at <= ? ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE SKIP LOCKED) hi UNION ALL SELECT id "
    "FROM (SELECT id FROM jobs WHERE queue = ? AND status = 'WAITING' AND priority = ? AND (run_at, id) > (?, ?) "
    "AND run_at <= ? ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED) at UNION ALL SELECT id FROM (SELECT id "
    "FROM jobs WHERE queue = ? AND status = 'WAITING' AND priority < ? AND run_at <= ? ORDER BY priority DESC, "
    "run_at, id LIMIT ? FOR UPDATE SKIP LOCKED) lo) u WHERE NOT EXISTS (SELECT 1 FROM bus_queues b WHERE "
    "b.queue = ? AND b.paused = 1) LIMIT ?";

void CursorPickParams(std::vector<Value>& params, const std::string& queue, int64_t now, const PickPosition& c,
                      int64_t limit) {
  params.insert(params.end(), {Value(queue), Value(c.priority), Value(now), Value(limit), Value(queue),
                               Value(c.priority), Value(c.run_at), Value(c.id), Value(now), Value(limit),
                               Value(queue), Value(c.priority), Value(now), Value(limit), Value(queue),
                               Value(limit)});
}

int64_t Us(Clock::TimePoint t) { return ToUnixMicros(t); }

PickPosition PositionOf(const Job& j) { return {.priority = j.priority, .run_at = ToUnixMicros(j.run_at), .id = j.id}; }

uint64_t RandomOrigin() {
  std::random_device rd;
  return ((uint64_t{rd()} << 32) | rd()) | 1;  // never 0 (an unknown origin)
}

Value OrNull(std::string_view s) { return s.empty() ? Value() : Value(s); }

JobState StateFromName(const std::string& s) {
  if (s == "ACTIVE") return JobState::kActive;
  if (s == "COMPLETED") return JobState::kCompleted;
  if (s == "DEAD") return JobState::kDead;
  if (s == "CANCELLED") return JobState::kCancelled;
  return JobState::kWaiting;
}

std::vector<JobError> ParseErrors(const std::string& text) {
  std::vector<JobError> out;
  auto v = ParseJson(text);
  if (!v.ok()) return out;
  for (const JsonValue& e : v->AsArray()) {
    JobError je;
    if (const JsonValue* x = e.Get("attempt")) je.attempt = static_cast<int>(x->AsInt());
    if (const JsonValue* x = e.Get("at")) je.at = FromUnixMicros(x->AsInt());
    if (const JsonValue* x = e.Get("worker")) je.worker = x->AsString();
    if (const JsonValue* x = e.Get("message")) je.message = x->AsString();
    out.push_back(std::move(je));
  }
  return out;
}

std::string SerializeErrors(const std::vector<JobError>& errors) {
  JsonWriter w;
  w.BeginArray();
  for (const JobError& e : errors) {
    w.BeginObject().Key("attempt").Int(e.attempt).Key("at").Int(Us(e.at)).Key("worker").String(e.worker);
    w.Key("message").String(e.message).EndObject();
  }
  w.EndArray();
  return w.Take();
}

// Column positions in kCols (ToJob reads by position: no name lookup per column and row).
enum Col : int {
  kId,
  kQueue,
  kName,
  kPayload,
  kStatus,
  kPriority,
  kRunAt,
  kAttempts,
  kMaxAttempts,
  kIdempotencyKey,
  kGroupKey,
  kCorrelationId,
  kLeaseOwner,
  kLeaseToken,
  kLeaseExpiresAt,
  kProgress,
  kResult,
  kErrors,
  kCreatedAt,
  kUpdatedAt,
  kFinishedAt,
  kCancelRequested,
  kStartedAt,
  kColCount
};

// The lean claim's RETURNING: only what the claim did not set itself. The queue, the state (ACTIVE),
// the lease (owner, token, expiry), updated_at and started_at (the claim's now) and finished_at (NULL
// for a waiting row) are the claimer's own values: ToJob fills them from the Claim (8 of 23 columns
// not carried through SQLite's RETURNING table / the Postgres reply, nor copied into a store::Row).
constexpr char kClaimCols[] =
    "id, name, payload, priority, run_at, attempts, max_attempts, idempotency_key, group_key, correlation_id, "
    "progress, result, errors, created_at, cancel_requested";
// kClaimCols' position of each kCols column (-1: not returned, the Claim has it).
constexpr int kClaimPos[kColCount] = {0, -1, 1, 2, -1, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, 10, 11, 12, 13, -1, -1, 14, -1};

// What a claim statement set on every row it returned.
struct Claim {
  const std::string& queue;
  std::string_view worker_id;
  int64_t token;
  Clock::TimePoint now;
  Clock::TimePoint lease_expires_at;
};

// A text cell read in place from the driver's result when it holds text (no copy), else through
// Row::Text into `scratch` (a number, a value the source does not hold as text). Both SQL drivers hold
// their results in a store::ResultSource; a NULL reads as "", as Row::Text gives it.
std::string_view TextAt(const store::ResultSet& rs, size_t i, int col, std::string& scratch) {
  if (const store::ResultSource* s = rs.source(); s != nullptr) {
    const store::ResultSource::Cell c = s->Read(i, col);
    if (c.kind == store::ResultSource::Cell::Kind::kText) return c.text;
    if (c.kind == store::ResultSource::Cell::Kind::kNull) return {};
  }
  scratch = rs.row(i).Text(col);
  return scratch;
}

// The one function that fills a bus::Job from row `i` of `rs`: selected or returned with kCols
// (claim == null), or by a claim with kClaimCols (the claim's own values from `claim`). The job's texts
// live and die together, so they are one SharedText block (SharedText::Pack): one allocation per job,
// read from the driver's buffer without an intermediate std::string.
Job ToJob(const store::ResultSet& rs, size_t i, const Claim* claim = nullptr) {
  auto at = [claim](Col c) { return claim == nullptr ? static_cast<int>(c) : kClaimPos[c]; };
  const store::Row r = rs.row(i);
  Job j;
  j.id = r.Int64(at(kId));
  j.priority = static_cast<int>(r.Int64(at(kPriority)));
  j.run_at = FromUnixMicros(r.Int64(at(kRunAt)));
  j.attempt = static_cast<int>(r.Int64(at(kAttempts)));
  j.max_attempts = static_cast<int>(r.Int64(at(kMaxAttempts)));
  j.created_at = FromUnixMicros(r.Int64(at(kCreatedAt)));
  j.cancel_requested = r.Int64(at(kCancelRequested)) == 1;
  // Scratch space for a cell that is not held as text (rare: the schema's text columns are text).
  std::array<std::string, 10> scratch;
  auto text = [&](Col c, size_t k) { return TextAt(rs, i, at(c), scratch[k]); };
  // A NULL progress / result reads as "" (as before: they stay empty).
  SharedText::Pack({{claim != nullptr ? std::string_view(claim->queue) : text(kQueue, 0), &j.queue},
                    {text(kName, 1), &j.name},
                    {text(kPayload, 2), &j.payload},
                    {text(kIdempotencyKey, 3), &j.idempotency_key},
                    {text(kGroupKey, 4), &j.group_key},
                    {text(kCorrelationId, 5), &j.correlation_id},
                    {claim != nullptr ? claim->worker_id : text(kLeaseOwner, 6), &j.lease_owner},
                    {text(kProgress, 7), &j.progress},
                    {text(kResult, 8), &j.result}});
  // Most jobs have never failed: the engine's own empty list ("[]") needs no parse.
  if (const std::string_view errors = text(kErrors, 9); errors != "[]") j.errors = ParseErrors(std::string(errors));
  if (claim != nullptr) {
    j.state = JobState::kActive;
    j.lease_token = claim->token;
    j.lease_expires_at = claim->lease_expires_at;
    j.updated_at = claim->now;
    j.started_at = claim->now;
    j.finished_at = FromUnixMicros(0);
    return j;
  }
  j.state = StateFromName(r.Text(kStatus));
  j.lease_token = r.Int64(kLeaseToken);
  j.lease_expires_at = FromUnixMicros(r.Int64(kLeaseExpiresAt));
  j.updated_at = FromUnixMicros(r.Int64(kUpdatedAt));
  j.finished_at = FromUnixMicros(r.Int64(kFinishedAt));
  if (!r.IsNull(kStartedAt)) j.started_at = FromUnixMicros(r.Int64(kStartedAt));
  return j;
}

void AppendInsertRow(std::vector<Value>& params, const EnqueueRequest& r, int max_attempts,
                     std::string_view correlation_id, Clock::TimePoint run_at, int64_t now) {
  params.insert(params.end(), {Value(r.queue), Value(r.name), Value::Json(r.payload), Value(int64_t{r.priority}),
                               Value(Us(run_at)), Value(int64_t{max_attempts}), OrNull(r.idempotency_key),
                               OrNull(r.group_key), OrNull(correlation_id), Value::Json("[]"), Value(now),
                               Value(now)});
}

std::string InsertSql(size_t rows, bool on_conflict_do_nothing) {
  std::string sql =
      "INSERT INTO jobs (queue, name, payload, status, priority, run_at, max_attempts, idempotency_key, group_key, "
      "correlation_id, errors, created_at, updated_at) VALUES ";
  for (size_t i = 0; i < rows; ++i) {
    if (i > 0) sql += ", ";
    sql += "(?, ?, ?, 'WAITING', ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  }
  if (on_conflict_do_nothing) {
    sql += " ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING";
  }
  sql += " RETURNING id";
  return sql;
}

constexpr char kRepeatCols[] =
    "queue, repeat_key, name, payload, schedule, priority, max_attempts, next_run_at, last_run_at, created_at, "
    "updated_at";

absl::StatusOr<Repeatable> ToRepeatable(const store::Row& r) {
  Repeatable d;
  d.queue = r.Text("queue");
  d.key = r.Text("repeat_key");
  d.name = r.Text("name");
  d.payload = r.Json("payload");
  DAIRA_RETURN_IF_ERROR(ParseScheduleText(r.Text("schedule"), d));
  d.priority = static_cast<int>(r.Int64("priority"));
  d.max_attempts = static_cast<int>(r.Int64("max_attempts"));
  d.next_run_at = FromUnixMicros(r.Int64("next_run_at"));
  if (!r.IsNull("last_run_at")) d.last_run_at = FromUnixMicros(r.Int64("last_run_at"));
  d.created_at = FromUnixMicros(r.Int64("created_at"));
  d.updated_at = FromUnixMicros(r.Int64("updated_at"));
  return d;
}

}  // namespace

SqlQueue::SqlQueue(store::Database& db, std::string database_url, BusOptions options)
    : Queue(std::move(options)),
      db_(db),
      pg_(db.backend() == store::Backend::kPostgres),
      database_url_(std::move(database_url)),
      origin_(RandomOrigin()) {}

absl::StatusOr<std::unique_ptr<Queue>> SqlQueue::Open(store::Database& db, std::string database_url,
                                                      BusOptions options) {
  for (const auto& q : options.queues) DAIRA_RETURN_IF_ERROR(ValidateQueueSettings(q));
  std::unique_ptr<SqlQueue> q(new SqlQueue(db, std::move(database_url), std::move(options)));
  if (q->pg_) {
    if (pipe2(q->wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
      return absl::InternalError("bus: open: cannot create the listener's wake pipe");
    }
    q->listener_ = std::thread([raw = q.get()] { raw->Listen(); });
  }
  return std::unique_ptr<Queue>(std::move(q));
}

SqlQueue::~SqlQueue() {
  Close();
  OnClose();  // when Close() already ran: a no-op
  for (int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void SqlQueue::OnClose() {
  std::lock_guard<std::mutex> lock(close_mu_);
  stop_.store(true);
  if (wake_pipe_[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = write(wake_pipe_[1], &c, 1);
  }
  if (listener_.joinable()) listener_.join();
}

void SqlQueue::Listen() {
  std::unique_ptr<store::Connection> conn;
  bool listened = false;
  while (!stop_.load()) {
    if (conn == nullptr) {
      auto opened = [&]() -> absl::StatusOr<std::unique_ptr<store::Connection>> {
        DAIRA_ASSIGN_OR_RETURN(store::DatabaseOptions options, store::DatabaseOptions::FromUrl(database_url_));
        DAIRA_ASSIGN_OR_RETURN(Url url, ParseUrl(options.url));
        DAIRA_ASSIGN_OR_RETURN(auto driver, backends::MakeSqlDriver(url.scheme));
        DAIRA_ASSIGN_OR_RETURN(auto c, driver->Connect(url, options, /*read_only=*/false));
        DAIRA_RETURN_IF_ERROR(c->ExecuteScript("LISTEN " + std::string(kChannel)));
        return c;
      }();
      if (opened.ok() && dynamic_cast<store::internal::NotificationSource*>(opened->get()) != nullptr) {
        conn = *std::move(opened);
        // Notifications may have been missed while not listening: after a lost connection the pick
        // cursors start again at the head. (Before the first LISTEN only another process's entries can
        // have been missed: like its rolled-back claims, they are seen within the per-second reset.)
        if (listened) cursors_.ResetAll();
        listened = true;
        WakeAll();
      } else {
        if (!opened.ok()) {
          Log(LogLevel::kWarning, "bus",
              "listener: cannot LISTEN (retrying in 1 s): " + std::string(opened.status().message()));
        }
        pollfd p{wake_pipe_[0], POLLIN, 0};
        poll(&p, 1, 1000);
        DrainWakePipe();  // pending notices wait for the connection (and must not spin this loop)
        continue;
      }
    }
    // The entry notices this process's commits left for the other processes (PostNotice), sent from
    // here, outside those transactions. A failed send keeps them for the next connection.
    if (!SendNotices(*conn)) {
      conn.reset();
      continue;
    }
    auto* source = dynamic_cast<store::internal::NotificationSource*>(conn.get());
    auto got = source->WaitForNotifications(std::chrono::milliseconds(5000), wake_pipe_[0]);
    DrainWakePipe();
    if (!got.ok()) {
      conn.reset();
      continue;
    }
    // This object's own positioned notices come back too: their jobs were noted and this process's
    // waiters woken at the commit (Entered), so they wake nobody again (a needless claim round trip).
    bool others = false;
    for (const std::string& payload : *got) {
      const EntryNotice n = ParseEntryNotice(payload);
      if (!n.positioned) {
        cursors_.Reset(n.queue);
        others = true;
      } else if (n.origin != origin_) {
        cursors_.Entered(n.queue, n.min_priority, n.max_priority, n.run_at);
        others = true;
      }
    }
    if (others) WakeAll();
  }
  // Closing: what commits announced before Close still goes out (one last try).
  if (conn != nullptr) SendNotices(*conn);
}

void SqlQueue::PostNotice(std::string_view queue, const std::optional<Landing>& landing) {
  if (!pg_) return;
  {
    std::lock_guard<std::mutex> lock(notice_mu_);
    auto [it, added] = notices_.try_emplace(std::string(queue), landing);
    if (!added) {
      // Coalesced: where the jobs of both landed (an unpositioned notice — a reset — absorbs any).
      std::optional<Landing>& into = it->second;
      if (!into.has_value() || !landing.has_value()) {
        into.reset();
      } else {
        into->min_priority = std::min(into->min_priority, landing->min_priority);
        into->max_priority = std::max(into->max_priority, landing->max_priority);
        into->run_at = std::min(into->run_at, landing->run_at);
      }
    }
  }
  if (wake_pipe_[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = write(wake_pipe_[1], &c, 1);  // full pipe: the listener is already due
  }
}

bool SqlQueue::SendNotices(store::Connection& conn) {
  std::map<std::string, std::optional<Landing>> pending;
  {
    std::lock_guard<std::mutex> lock(notice_mu_);
    pending.swap(notices_);
  }
  if (pending.empty()) return true;
  std::vector<std::string> payloads;
  payloads.reserve(pending.size());
  for (const auto& [queue, landing] : pending) payloads.push_back(Notice(queue, landing));
  // One autocommit statement that writes nothing: no WAL flush under PostgreSQL's commit-time NOTIFY
  // lock, so the enqueueing commits it announces group-commit freely.
  absl::Status st = conn.Execute("SELECT pg_notify(?, p) FROM unnest(?::text[]) AS p",
                                 {Value(std::string(kChannel)), Value(std::move(payloads))})
                        .status();
  if (st.ok()) return true;
  Log(LogLevel::kWarning, "bus", "listener: cannot send entry notices (kept for the next connection): " +
                                     std::string(st.message()));
  for (const auto& [queue, landing] : pending) PostNotice(queue, landing);
  return false;
}

void SqlQueue::DrainWakePipe() {
  char buf[64];
  while (read(wake_pipe_[0], buf, sizeof(buf)) > 0) {
  }
}

void SqlQueue::Announce(const RequestContext& ctx, std::string_view queue, std::optional<Landing> landing) {
  // Nothing in the transaction itself (session 18): a NOTIFY there would take PostgreSQL's
  // database-wide commit lock through the commit's WAL flush and serialize every enqueueing commit.
  store::AfterCommit(ctx, [this, q = std::string(queue), landing] { Entered(q, landing); });
}

void SqlQueue::Entered(std::string_view queue, const std::optional<Landing>& landing) {
  NoteEntered(queue, landing);
  WakeAll();
  PostNotice(queue, landing);
}

std::string SqlQueue::Notice(std::string_view queue, const std::optional<Landing>& landing) const {
  if (!landing.has_value()) return std::string(queue);
  return FormatEntryNotice(queue, origin_, landing->min_priority, landing->max_priority, landing->run_at);
}

void SqlQueue::NoteEntered(std::string_view queue, const std::optional<Landing>& landing) {
  if (!pg_) return;
  if (landing.has_value()) {
    cursors_.Entered(queue, landing->min_priority, landing->max_priority, landing->run_at);
  } else {
    cursors_.Reset(queue);
  }
}

std::optional<PickCursors::Start> SqlQueue::PickStart(const QueueSettings& s) {
  if (!pg_ || s.round_robin_groups || s.rate_limit > 0) return std::nullopt;
  return cursors_.Begin(s.name);
}

void SqlQueue::PickEnd(const QueueSettings& s, const std::optional<PickCursors::Start>& start, bool ok,
                       const Job* last) {
  if (!start.has_value()) return;
  if (!ok) {
    // A failed claim's rows are back (a concurrent pick may have passed them): the next pick starts at
    // the head.
    cursors_.Reset(s.name);
    return;
  }
  // A short or empty pick leaves the cursor where its last job is (session 18: resetting it there made
  // most picks under a long transaction walk the dead head again). What re-enters behind the cursor
  // announced resets it exactly (Entered); what re-enters unannounced is found by the per-second reset
  // (recovery), or at once when a claimer that found nothing asks for the next due time and a job is
  // due (DoNextDue resets the cursor then: no claimer keeps skipping a due job).
  if (last == nullptr) return;
  cursors_.Advance(s.name, *start, PositionOf(*last));
}

absl::StatusOr<std::vector<EnqueueResult>> SqlQueue::DoEnqueue(const RequestContext& ctx,
                                                               const std::vector<NewJob>& jobs) {
  const int64_t now = Us(clock().Now());
  bool any_key = false;
  std::set<std::string> queues;
  for (const NewJob& nj : jobs) {
    any_key = any_key || !nj.request->idempotency_key.empty();
    queues.insert(nj.request->queue);
  }
  // Where each queue's new jobs land in claim order (the pick cursor's reset rule).
  auto landing = [&](const std::string& queue) {
    std::optional<Landing> l;
    for (const NewJob& nj : jobs) {
      if (nj.request->queue != queue) continue;
      const int64_t p = nj.request->priority;
      const int64_t r = Us(nj.run_at);
      if (!l.has_value()) {
        l = Landing{.min_priority = p, .max_priority = p, .run_at = r};
        continue;
      }
      l->min_priority = std::min(l->min_priority, p);
      l->max_priority = std::max(l->max_priority, p);
      l->run_at = std::min(l->run_at, r);
    }
    return l;
  };
  std::vector<EnqueueResult> out;
  if (pg_ && !any_key && queues.size() == 1 && jobs.size() <= kPgRowsPerStatement &&
      ctx.open_transaction() == nullptr) {
    // Postgres, no bound transaction, no keys: the INSERT in ONE autocommit statement (one round trip
    // where BEGIN, INSERT, COMMIT were three: the enqueue half of the idle enqueue → start latency); the
    // jobs exist iff the statement committed. The entry notice for other processes is not in it
    // (session 18): it goes after the commit, from the listener thread (Entered → PostNotice), since a
    // NOTIFY in the statement made PostgreSQL commit every enqueue one at a time (docs/bus.md).
    // The rows travel as 7 arrays (unnest … WITH ORDINALITY, inserted in request order, so the
    // identity ids ascend in that order): one statement text for every batch size, prepared once and
    // planned like a one-row insert, where a VALUES list was a statement per size with 12 parameters
    // per row (12,000 for 1,000 jobs) bound and planned on every call.
    static const std::string* const kSql = new std::string(
        "WITH ins AS (INSERT INTO jobs (queue, name, payload, status, priority, run_at, max_attempts, group_key, "
        "correlation_id, errors, created_at, updated_at) SELECT ?, v.name, v.payload::jsonb, 'WAITING', "
        "v.priority, v.run_at, v.max_attempts, NULLIF(v.group_key, ''), NULLIF(v.correlation_id, ''), "
        "'[]'::jsonb, ?::bigint, ?::bigint FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], "
        "?::bigint[], ?::text[], ?::text[]) WITH ORDINALITY AS v(name, payload, priority, run_at, "
        "max_attempts, group_key, correlation_id, n) ORDER BY v.n RETURNING id) "
        "SELECT id FROM ins ORDER BY id");
    const std::optional<Landing> entered = landing(*queues.begin());
    std::vector<std::string> names, payloads, groups, correlations;
    std::vector<int64_t> priorities, run_ats, max_attempts;
    for (auto* v : {&names, &payloads, &groups, &correlations}) v->reserve(jobs.size());
    for (auto* v : {&priorities, &run_ats, &max_attempts}) v->reserve(jobs.size());
    for (const NewJob& nj : jobs) {
      const EnqueueRequest& r = *nj.request;
      names.push_back(r.name);
      payloads.push_back(r.payload);
      priorities.push_back(r.priority);
      run_ats.push_back(Us(nj.run_at));
      max_attempts.push_back(nj.max_attempts);
      groups.push_back(r.group_key);
      correlations.push_back(nj.correlation_id.str());
    }
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        db_.Execute(ctx, *kSql,
                    {Value(*queues.begin()), Value(now), Value(now), Value(std::move(names)),
                     Value(std::move(payloads)), Value(std::move(priorities)), Value(std::move(run_ats)),
                     Value(std::move(max_attempts)), Value(std::move(groups)), Value(std::move(correlations))}));
    out.reserve(rs.size());
    for (const store::Row& row : rs) out.push_back({.id = row.Int64(0), .deduplicated = false});
    if (out.size() != jobs.size())
      return absl::InternalError("bus: enqueue: the insert returned too few ids");
    Entered(*queues.begin(), entered);
    return out;
  }
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    out.clear();
    if (!any_key) {
      // Bulk: one INSERT per kRowsPerInsert jobs.
      for (size_t start = 0; start < jobs.size(); start += kRowsPerInsert) {
        const size_t n = std::min(kRowsPerInsert, jobs.size() - start);
        std::vector<Value> params;
        params.reserve(n * kInsertColumns);
        for (size_t i = 0; i < n; ++i) {
          const NewJob& nj = jobs[start + i];
          AppendInsertRow(params, *nj.request, nj.max_attempts, nj.correlation_id, nj.run_at, now);
        }
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(InsertSql(n, false), params));
        for (const store::Row& row : rs) out.push_back({.id = row.Int64(0), .deduplicated = false});
      }
    } else {
      for (const NewJob& nj : jobs) {
        const EnqueueRequest& r = *nj.request;
        if (!r.idempotency_key.empty()) {
          DAIRA_ASSIGN_OR_RETURN(store::ResultSet existing,
                                 c.Execute("SELECT id, created_at FROM jobs WHERE queue = ? AND idempotency_key = ?",
                                           {r.queue, r.idempotency_key}));
          if (!existing.empty()) {
            const int64_t window_start = now - std::chrono::duration_cast<std::chrono::microseconds>(
                                                   Settings(r.queue)->dedup_window).count();
            if (existing.front().Int64("created_at") > window_start) {
              out.push_back({.id = existing.front().Int64("id"), .deduplicated = true});
              continue;
            }
            // Outside the window: the old job gives up its key.
            DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE jobs SET idempotency_key = NULL WHERE id = ?",
                                            {existing.front().Int64("id")})
                                      .status());
          }
        }
        std::vector<Value> params;
        AppendInsertRow(params, r, nj.max_attempts, nj.correlation_id, nj.run_at, now);
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(InsertSql(1, !r.idempotency_key.empty()), params));
        if (!rs.empty()) {
          out.push_back({.id = rs.front().Int64(0), .deduplicated = false});
          continue;
        }
        // A concurrent enqueue with the same key won: its job is ours.
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet winner,
                               c.Execute("SELECT id FROM jobs WHERE queue = ? AND idempotency_key = ?",
                                         {r.queue, r.idempotency_key}));
        if (winner.empty()) return absl::AbortedError("bus: enqueue: idempotency key raced; retry");
        out.push_back({.id = winner.front().Int64(0), .deduplicated = true});
      }
    }
    for (const std::string& q : queues) Announce(ctx, q, landing(q));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<Job>> SqlQueue::DoClaim(const RequestContext& ctx, const QueueSettings& s,
                                                     std::string_view worker_id, int64_t token) {
  // Inside a grouped batch's transaction (DoClaimMany) the group lock is already held.
  const bool lock_groups = SerializesGroupClaims(s) && ctx.open_transaction() == nullptr;
  if (s.rate_limit <= 0 && !lock_groups) return ClaimOne(ctx, s, worker_id, token);
  // One transaction: the group lock (when taken here) and, with a rate limit, a start reserved in the
  // queue's current window (bus_queues.rate_window/rate_started, one conditional upsert: the row lock
  // serializes concurrent claimers of this queue), then the claim; no job → the reservation given back.
  // A crash in between reserves nothing.
  const int64_t window = s.rate_limit > 0 ? Us(clock().Now()) / (s.rate_window.count() * 1000) : 0;
  std::optional<Job> out;
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    out.reset();
    if (lock_groups) DAIRA_RETURN_IF_ERROR(LockGroupClaims(c, s));
    if (s.rate_limit <= 0) {
      DAIRA_ASSIGN_OR_RETURN(out, ClaimOne(ctx, s, worker_id, token));
      return absl::OkStatus();
    }
    DAIRA_ASSIGN_OR_RETURN(
        store::ResultSet reserved,
        c.Execute("INSERT INTO bus_queues (queue, paused, updated_at, rate_window, rate_started) VALUES (?, 0, ?, ?, 1) "
                  "ON CONFLICT (queue) DO UPDATE SET rate_started = CASE WHEN bus_queues.rate_window = "
                  "excluded.rate_window THEN bus_queues.rate_started + 1 ELSE 1 END, rate_window = "
                  "excluded.rate_window WHERE bus_queues.rate_window <> excluded.rate_window OR "
                  "bus_queues.rate_started < ? RETURNING rate_started",
                  {s.name, Us(clock().Now()), window, int64_t{s.rate_limit}}));
    if (reserved.empty()) return absl::OkStatus();  // this window's budget is spent
    DAIRA_ASSIGN_OR_RETURN(out, ClaimOne(ctx, s, worker_id, token));
    if (!out.has_value()) {
      DAIRA_RETURN_IF_ERROR(c.Execute("UPDATE bus_queues SET rate_started = rate_started - 1 WHERE queue = ? AND "
                                      "rate_window = ?",
                                      {s.name, window})
                                .status());
    }
    return absl::OkStatus();
  }));
  return out;
}

bool SqlQueue::SerializesGroupClaims(const QueueSettings& s) const {
  return pg_ && s.round_robin_groups && s.group_concurrency > 0;
}

absl::Status SqlQueue::LockGroupClaims(store::Connection& c, const QueueSettings& s) {
  // Two keys: daira's bus-group class, and the queue name's hash (another queue sharing the hash only
  // waits a little longer). Released at the transaction's end, commit or rollback.
  return c.Execute("SELECT pg_advisory_xact_lock(?::integer, hashtext(?))", {int64_t{kGroupClaimLockClass}, s.name})
      .status();
}

absl::StatusOr<std::optional<Job>> SqlQueue::ClaimOne(const RequestContext& ctx, const QueueSettings& s,
                                                      std::string_view worker_id, int64_t token) {
  const Clock::TimePoint now = clock().Now();
  const std::string set =
      std::string(
          "UPDATE jobs SET status = 'ACTIVE', attempts = attempts + 1, lease_owner = ?, lease_token = ?, "
          "lease_expires_at = ?, updated_at = ?, started_at = ? WHERE ") +
      (pg_ ? kPgAsyncCommit : "") + "status || '' = 'WAITING' AND id = (";  // `|| ''`: kPkOnly
  const std::string not_paused = "NOT EXISTS (SELECT 1 FROM bus_queues b WHERE b.queue = ? AND b.paused = 1)";
  std::string sql;
  std::vector<Value> params = {std::string(worker_id), token, Us(now + s.timeout), Us(now), Us(now)};
  const std::optional<PickCursors::Start> start = PickStart(s);
  if (start.has_value() && start->from.has_value()) {
    sql = set + kPgCursorPick + ") RETURNING " + kClaimCols;
    CursorPickParams(params, s.name, Us(now), *start->from, 1);
  } else if (!s.round_robin_groups) {
    sql = set + "SELECT id FROM jobs WHERE queue = ? AND status = 'WAITING' AND run_at <= ? AND " +
          not_paused + " ORDER BY priority DESC, run_at, id LIMIT 1" +
          (pg_ ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " + kClaimCols;
    params.insert(params.end(), {s.name, Us(now), s.name});
  } else {
    // Round-robin: the group served longest ago first (bus_groups.served_seq), within the top priority;
    // a group at its concurrency limit is skipped.
    sql = set +
          "SELECT j.id FROM jobs j LEFT JOIN bus_groups g ON g.queue = j.queue AND "
          "g.group_key = COALESCE(j.group_key, '') WHERE j.queue = ? AND j.status = 'WAITING' AND j.run_at "
          "<= ? "
          "AND " +
          not_paused +
          " AND (? = 0 OR (SELECT COUNT(*) FROM jobs a WHERE a.queue = j.queue AND a.status = 'ACTIVE' AND "
          "COALESCE(a.group_key, '') = COALESCE(j.group_key, '')) < ?) "
          "ORDER BY j.priority DESC, COALESCE(g.served_seq, 0), j.run_at, j.id LIMIT 1" +
          (pg_ ? " FOR UPDATE OF j SKIP LOCKED" : "") + ") RETURNING " + kClaimCols;
    params.insert(params.end(),
                  {s.name, Us(now), s.name, int64_t{s.group_concurrency}, int64_t{s.group_concurrency}});
  }
  // Postgres: kNoSeqScan in the same pipeline (no extra round trip). A claim never runs in a caller's
  // transaction (CheckClaim); in the bus's own (rate limit, a grouped batch) the setting lasts to that
  // transaction's end, whose other statements name their rows by key.
  absl::StatusOr<store::ResultSet> picked = ExecuteWithoutSeqScan(
      db_, ctx, {.sql = std::move(sql), .params = std::move(params)}, "bus: next", /*without_seq_scan=*/pg_);
  if (!picked.ok() || picked->empty()) {
    PickEnd(s, start, picked.ok(), nullptr);
    if (!picked.ok()) return picked.status();
    return std::optional<Job>();
  }
  const store::ResultSet& rs = *picked;
  const Claim claim{.queue = s.name,
                    .worker_id = worker_id,
                    .token = token,
                    .now = FromUnixMicros(Us(now)),
                    .lease_expires_at = FromUnixMicros(Us(now + s.timeout))};
  Job job = ToJob(rs, 0, &claim);
  PickEnd(s, start, true, &job);
  if (s.round_robin_groups) {
    DAIRA_RETURN_IF_ERROR(
        db_.Execute(
               ctx,
               "INSERT INTO bus_groups (queue, group_key, served_seq) VALUES (?, ?, (SELECT COALESCE(MAX("
               "served_seq), 0) + 1 FROM bus_groups WHERE queue = ?)) ON CONFLICT (queue, group_key) DO "
               "UPDATE "
               "SET served_seq = excluded.served_seq",
               {s.name, Value(job.group_key), s.name})
            .status());
  }
  return std::optional<Job>(std::move(job));
}

absl::StatusOr<std::vector<Job>> SqlQueue::DoClaimMany(const RequestContext& ctx, const QueueSettings& s,
                                                       std::string_view worker_id, int64_t token,
                                                       int max_jobs) {
  std::vector<Job> out;
  if (s.rate_limit > 0 || s.round_robin_groups) {
    // Groups (served order, per-group limit) and the rate limit's reservation are decided claim by claim:
    // the single-claim statements in one transaction (one commit for the batch, and the order and
    // limits exactly as single claims would make them).
    DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
      out.clear();
      if (SerializesGroupClaims(s)) DAIRA_RETURN_IF_ERROR(LockGroupClaims(c, s));
      while (static_cast<int>(out.size()) < max_jobs) {
        DAIRA_ASSIGN_OR_RETURN(std::optional<Job> job, DoClaim(ctx, s, worker_id, token));
        if (!job.has_value()) break;
        out.push_back(std::move(*job));
      }
      return absl::OkStatus();
    }));
    return out;
  }
  const Clock::TimePoint now = clock().Now();
  const std::optional<PickCursors::Start> start = PickStart(s);
  store::BatchStatement claim =
      ClaimManyStatement(s, worker_id, token, max_jobs, now, start.has_value() ? start->from : std::nullopt);
  if (pg_) {
    // Never inside a caller's transaction (CheckClaim).
    absl::StatusOr<store::ResultSet> rs = ExecuteWithoutSeqScan(db_, ctx, std::move(claim), "bus: next batch");
    if (rs.ok()) out = ClaimedJobs(*rs, s, worker_id, token, now);
    PickEnd(s, start, rs.ok(), out.empty() ? nullptr : &out.back());
    if (!rs.ok()) return rs.status();
    return out;
  }
  // SQLite: the claim and its read-back in one transaction (one commit, as the autocommit claim had).
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, ClaimManyOn(c, claim, s, token, now));
    out = ClaimedJobs(rs, s, worker_id, token, now);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<store::ResultSet> SqlQueue::ClaimManyOn(store::Connection& c, const store::BatchStatement& claim,
                                                      const QueueSettings& s, int64_t token,
                                                      Clock::TimePoint now) const {
  if (pg_) return c.Execute(claim.sql, claim.params);
  // SQLite: the UPDATE without RETURNING, then the rows it claimed read back through jobs_active_idx —
  // (queue, lease_expires_at) is one index range, as every row of this claim has the same expiry, and
  // the token picks this claim's rows out of it. SQLite runs RETURNING as a trigger program per row
  // plus an ephemeral table: ~9 k instructions per job, the read-back ~4 k ("Per-job cost, session 15").
  DAIRA_RETURN_IF_ERROR(c.Execute(claim.sql, claim.params).status());
  static const std::string* const kReadBack = new std::string(
      std::string("SELECT ") + kClaimCols +
      " FROM jobs WHERE queue = ? AND status = 'ACTIVE' AND lease_expires_at = ? AND lease_token = ?");
  return c.Execute(*kReadBack, {s.name, Us(now + s.timeout), token});
}

store::BatchStatement SqlQueue::ClaimManyStatement(const QueueSettings& s, std::string_view worker_id,
                                                   int64_t token, int max_jobs, Clock::TimePoint now,
                                                   const std::optional<PickPosition>& from) const {
  // One statement: the first `max_jobs` due jobs in claim order (SKIP LOCKED on Postgres: rows another
  // claimer holds are passed over, never waited for). On Postgres the pick is an ARRAY(...) so it runs
  // exactly once: as `id IN (subquery)` the planner may re-run a SKIP LOCKED subquery per outer row and
  // claim more than LIMIT rows.
  static const std::string* const kSql[2] = {
      [] {
        return new std::string(
            "UPDATE jobs SET status = 'ACTIVE', attempts = attempts + 1, lease_owner = ?, lease_token = ?, "
            "lease_expires_at = ?, updated_at = ?, started_at = ? WHERE status = 'WAITING' AND id IN (" +
            std::string(kClaimPick) + ")");  // read back by ClaimManyOn
      }(),
      [] {
        return new std::string(
            "UPDATE jobs SET status = 'ACTIVE', attempts = attempts + 1, lease_owner = ?, lease_token = ?, "
            "lease_expires_at = ?, updated_at = ?, started_at = ? WHERE " +
            std::string(kPgAsyncCommit) + "status || '' = 'WAITING' AND id = ANY(ARRAY(" + kClaimPick +
            " FOR UPDATE SKIP LOCKED)) RETURNING " + kClaimCols);  // `|| ''`: see kPkOnly
      }()};
  if (pg_ && from.has_value()) {
    static const std::string* const kFromCursor = new std::string(
        "UPDATE jobs SET status = 'ACTIVE', attempts = attempts + 1, lease_owner = ?, lease_token = ?, "
        "lease_expires_at = ?, updated_at = ?, started_at = ? WHERE " +
        std::string(kPgAsyncCommit) + "status || '' = 'WAITING' AND id = ANY(ARRAY(" + kPgCursorPick +
        ")) RETURNING " + kClaimCols);  // `|| ''`: see kPkOnly
    store::BatchStatement st{.sql = *kFromCursor,
                             .params = {std::string(worker_id), token, Us(now + s.timeout), Us(now), Us(now)}};
    CursorPickParams(st.params, s.name, Us(now), *from, max_jobs);
    return st;
  }
  return {.sql = *kSql[pg_ ? 1 : 0],
          .params = {std::string(worker_id), token, Us(now + s.timeout), Us(now), Us(now), s.name, Us(now),
                     s.name, int64_t{max_jobs}}};
}

std::vector<Job> SqlQueue::ClaimedJobs(const store::ResultSet& rs, const QueueSettings& s,
                                       std::string_view worker_id, int64_t token, Clock::TimePoint now) {
  const Claim claim{.queue = s.name,
                    .worker_id = worker_id,
                    .token = token,
                    .now = FromUnixMicros(Us(now)),
                    .lease_expires_at = FromUnixMicros(Us(now + s.timeout))};
  std::vector<Job> out;
  out.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) out.push_back(ToJob(rs, i, &claim));
  // RETURNING has no order: put the batch back in claim order.
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
  });
  return out;
}

void SqlQueue::WaitForWork(std::string_view, uint64_t seen, std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until, [&] { return wakes_ != seen || closed(); });
}

uint64_t SqlQueue::WakeCounter() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wakes_;
}

void SqlQueue::WakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  ++wakes_;
  cv_.notify_all();
}

absl::StatusOr<std::optional<Clock::TimePoint>> SqlQueue::DoNextDue(const RequestContext& ctx,
                                                                    const QueueSettings& s) {
  // The earliest run-at of a waiting job: priority leads jobs_ready_idx, so `MIN(run_at)` over the
  // queue's range would read every waiting entry. Instead a skip scan over its distinct priorities (a
  // recursive walk, one index descent each) and the first run-at within each: two descents per
  // priority in use, however many jobs wait ("Per-job cost, session 16" (5) in docs/bus.md).
  static constexpr char kSql[] =
      "WITH RECURSIVE p(pr) AS (SELECT (SELECT priority FROM jobs WHERE queue = ? AND status = 'WAITING' "
      "ORDER BY priority DESC LIMIT 1) UNION ALL SELECT (SELECT priority FROM jobs WHERE queue = ? AND "
      "status = 'WAITING' AND priority < p.pr ORDER BY priority DESC LIMIT 1) FROM p WHERE p.pr IS NOT NULL) "
      "SELECT (SELECT MIN((SELECT run_at FROM jobs WHERE queue = ? AND status = 'WAITING' AND priority = "
      "p.pr ORDER BY run_at LIMIT 1)) FROM p WHERE p.pr IS NOT NULL) AS due, "
      "(SELECT MIN(lease_expires_at) FROM jobs WHERE queue = ? AND status = 'ACTIVE') AS lease";
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, db_.Read(ctx, kSql, {s.name, s.name, s.name, s.name}));
  // Asked after a claim found nothing: a job already due may lie behind the pick cursor (re-entered
  // unannounced), so the next pick starts at the head (PickEnd).
  if (pg_ && !rs.empty() && !rs.front().IsNull("due") && rs.front().Int64("due") <= Us(clock().Now())) {
    cursors_.Reset(s.name);
  }
  std::optional<Clock::TimePoint> out;
  for (const char* col : {"due", "lease"}) {
    if (rs.empty() || rs.front().IsNull(col)) continue;
    const Clock::TimePoint t = FromUnixMicros(rs.front().Int64(col));
    if (!out.has_value() || t < *out) out = t;
  }
  return out;
}

bool SqlQueue::Finishes(Outcome o) {
  return o == Outcome::kComplete || o == Outcome::kRetry || o == Outcome::kDead;
}

namespace {
// One writer per thread in bus_metrics (its key's `writer`): a transaction only ever locks its own
// thread's rows, so a completion inside a caller's long transaction never makes other workers wait.
int64_t MetricsWriter() {
  thread_local const int64_t writer = [] {
    std::random_device rd;
    return static_cast<int64_t>(((uint64_t{rd()} << 32) | rd()) >> 1);
  }();
  return writer;
}
}  // namespace

absl::Status SqlQueue::RecordMetrics(store::Connection& c, const backends::MetricsDelta& delta,
                                     const FinishedDelta* finished) {
  constexpr size_t kRowsPerUpsert = 100;
  const auto& counts = delta.counts();
  auto it = counts.begin();
  // Postgres: the finished-state counts ride on the first metrics upsert as a CTE (no round trip more).
  bool counted = finished == nullptr || finished->empty();
  while (it != counts.end()) {
    std::vector<Value> params;
    std::string sql;
    if (pg_ && !counted) {
      sql = "WITH " + finished->Cte(MetricsWriter(), params) + " ";
      counted = true;
    }
    sql += "INSERT INTO bus_metrics (queue, minute, writer, series, bucket, n) VALUES ";
    size_t rows = 0;
    for (; it != counts.end() && rows < kRowsPerUpsert; ++it, ++rows) {
      const auto& [queue, minute, series, bucket] = it->first;
      sql += rows == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
      params.insert(params.end(), {Value(queue), Value(minute), Value(MetricsWriter()),
                                   Value(std::string(1, series)), Value(int64_t{bucket}), Value(it->second)});
    }
    sql +=
        " ON CONFLICT (queue, minute, writer, series, bucket) DO UPDATE SET n = bus_metrics.n + excluded.n";
    DAIRA_RETURN_IF_ERROR(c.Execute(sql, params).status());
  }
  return counted ? absl::OkStatus() : finished->Record(c, MetricsWriter());
}

void SqlQueue::MaybePruneMetrics(const RequestContext& ctx, Clock::TimePoint now) {
  // Outside the caller's transaction only (an old row deleted there would stay locked until it ends),
  // at most once per minute per queue object.
  if (ctx.open_transaction() != nullptr) return;
  const int64_t minute = backends::MetricsMinute(now);
  int64_t seen = metrics_pruned_.load();
  if (seen == minute || !metrics_pruned_.compare_exchange_strong(seen, minute)) return;
  absl::Status st =
      db_.Execute(ctx, "DELETE FROM bus_metrics WHERE minute < ?", {minute - backends::kMetricsKeepMinutes})
          .status();
  if (!st.ok())
    Log(LogLevel::kWarning, "bus", "metrics: cannot delete old minutes: " + std::string(st.message()));
  st = CompactFinishedCounts(db_, ctx, pg_);
  if (!st.ok())
    Log(LogLevel::kWarning, "bus", "counts: cannot compact the writers' rows: " + std::string(st.message()));
}

absl::Status SqlQueue::DoTransition(const RequestContext& ctx, const Job& job, const Transition& t) {
  // Outside a caller's transaction the fenced UPDATE is planned with seq scans off (kNoSeqScan; in the
  // bus's own transaction below the setting lasts to its commit, past the metrics upsert by key).
  const bool no_seq_scan = pg_ && ctx.open_transaction() == nullptr;
  // A release may end CANCELLED (its cancel was requested): counted in its transaction too.
  if (!Finishes(t.outcome) && t.outcome != Outcome::kRelease) {
    return TransitionIn(ctx, job, t, nullptr, nullptr, no_seq_scan);
  }
  // A finished attempt, its metric samples and its finished-state count in one transaction.
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    backends::MetricsDelta delta;
    FinishedDelta finished;
    DAIRA_RETURN_IF_ERROR(TransitionIn(ctx, job, t, &delta, &finished, no_seq_scan));
    return RecordMetrics(c, delta, &finished);
  }));
  MaybePruneMetrics(ctx, t.now);
  return absl::OkStatus();
}

absl::Status SqlQueue::TransitionIn(const RequestContext& ctx, const Job& job, const Transition& t,
                                    backends::MetricsDelta* delta, FinishedDelta* finished,
                                    bool no_seq_scan) {
  const int64_t now = Us(t.now);
  std::string set;
  std::vector<Value> params;
  auto with_error = [&] {
    std::vector<JobError> errors = job.errors;
    errors.push_back({.attempt = job.attempt, .at = t.now, .worker = t.worker, .message = t.text});
    return Value::Json(SerializeErrors(errors));
  };
  // A job whose cancel was requested ends CANCELLED where it would wait or die.
  constexpr char kOrCancelled[] = "CASE WHEN cancel_requested = 1 THEN 'CANCELLED' ELSE ";
  switch (t.outcome) {
    case Outcome::kComplete:
      set = "status = 'COMPLETED', result = ?, finished_at = ?, lease_token = NULL, lease_expires_at = NULL";
      params = {t.text.empty() ? Value() : Value::Json(t.text), now};
      break;
    case Outcome::kRetry:
      set = std::string("status = ") + kOrCancelled +
            "'WAITING' END, finished_at = CASE WHEN cancel_requested = 1 THEN ? ELSE NULL END, run_at = ?, "
            "errors = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL";
      params = {now, Us(t.when), with_error()};
      break;
    case Outcome::kDead:
      set = std::string("status = ") + kOrCancelled +
            "'DEAD' END, errors = ?, finished_at = ?, lease_token = NULL, lease_expires_at = NULL";
      params = {with_error(), now};
      break;
    case Outcome::kRelease:
      set = std::string("status = ") + kOrCancelled +
            "'WAITING' END, finished_at = CASE WHEN cancel_requested = 1 THEN ? ELSE NULL END, run_at = ?, "
            "attempts = attempts - 1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL";
      params = {now, now};
      break;
    case Outcome::kProgress:
      set = "progress = ?";
      params = {t.text.empty() ? Value() : Value::Json(t.text)};
      break;
    case Outcome::kExtend:
      set = "lease_expires_at = ?";
      params = {Us(t.when)};
      break;
    case Outcome::kCheck:
      set = "cancel_requested = cancel_requested";
      break;
  }
  params.insert(params.end(), {now, job.id, job.lease_token, now});
  // RETURNING the signal: the heartbeat (kExtend) and kCheck read it with the fenced update.
  std::string sql = "UPDATE jobs SET " + set +
                    // `|| ''`: kPkOnly
                    ", updated_at = ? WHERE id = ? AND lease_token = ? AND status || '' = 'ACTIVE' "
                    "AND lease_expires_at > ? RETURNING cancel_requested, queue, run_at, started_at, status";
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         ExecuteWithoutSeqScan(db_, ctx, {.sql = std::move(sql), .params = std::move(params)},
                                               "bus: transition", no_seq_scan));
  if (rs.empty()) return LeaseLost(t.outcome, job.id);
  if (finished != nullptr) finished->Add(rs.front().Text("queue"), rs.front().Text("status"), 1);
  const bool cancel_requested = rs.front().Int64(0) == 1;
  if (delta != nullptr && Finishes(t.outcome)) {
    // run_at as it was during the attempt: a retry just moved it (the caller's copy has the claim's).
    const store::Row& row = rs.front();
    const Clock::TimePoint run_at =
        t.outcome == Outcome::kRetry ? job.run_at : FromUnixMicros(row.Int64("run_at"));
    const Clock::TimePoint started =
        row.IsNull("started_at") ? Clock::TimePoint{} : FromUnixMicros(row.Int64("started_at"));
    delta->Add(row.Text("queue"), run_at, started, t.now, t.outcome != Outcome::kComplete);
  }
  if ((t.outcome == Outcome::kExtend || t.outcome == Outcome::kCheck) && cancel_requested) {
    return CancelRequestedError(job.id);
  }
  if (t.outcome == Outcome::kRetry || t.outcome == Outcome::kRelease) {
    // Back in the ready set at its priority, due at the retry's time (a release: now).
    const std::string queue = rs.front().Text("queue");
    const Landing landing{.min_priority = job.priority,
                          .max_priority = job.priority,
                          .run_at = t.outcome == Outcome::kRetry ? Us(t.when) : now};
    Announce(ctx, queue, landing);  // after the commit (at once without a bound transaction)
  }
  return absl::OkStatus();
}

store::BatchStatement SqlQueue::CompleteManyPgStatement(const std::vector<const Job*>& jobs,
                                                       const std::vector<Transition>& transitions,
                                                       const std::vector<size_t>& indexes,
                                                       std::vector<absl::Status>& out, bool async_commit) {
  // Every completion of the batch, its fencing (id and token, ACTIVE, lease not expired) and its metric
  // samples (bucketed in SQL by width_bucket over the same bounds as backends::LatencyBucket) in ONE
  // statement: one round trip, autocommit when no transaction is bound (the CTEs apply all or nothing).
  // `async_commit` (never inside a caller's transaction): its commit does not wait for the WAL flush
  // (set_config(…, true): local to the statement's own transaction) — an acknowledgement lost to a
  // server crash leaves the job ACTIVE, so it runs again once its lease expires (at-least-once).
  static const std::array<std::string, 2>* const kSql = [] {
    const std::string bounds = "'" + backends::LatencyBoundsLua() + "'::bigint[]";
    const std::string body =
        "WITH v AS (SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[]) AS v(id, token, result)), "
        "done AS (UPDATE jobs j SET status = 'COMPLETED', result = NULLIF(v.result, '')::jsonb, "
        "finished_at = ?, lease_token = NULL, lease_expires_at = NULL, updated_at = ? FROM v "
        "WHERE j.id = v.id AND j.lease_token = v.token AND j.status || '' = 'ACTIVE' "  // (kPkOnly)
        "AND j.lease_expires_at > ? "
        "RETURNING j.id, j.queue, j.run_at, j.started_at), "
        "samples AS (SELECT queue, 'c' AS series, CASE WHEN started_at IS NULL THEN 0 "
        "ELSE width_bucket(?::bigint - started_at, " +
        bounds + ") END AS bucket FROM done UNION ALL SELECT queue, 'w', width_bucket(started_at - run_at, " +
        bounds +
        ") FROM done WHERE started_at IS NOT NULL AND run_at <> 0), "
        "m AS (INSERT INTO bus_metrics (queue, minute, writer, series, bucket, n) SELECT queue, ?::bigint, "
        "?::bigint, series, bucket, COUNT(*) FROM samples GROUP BY queue, series, bucket ON CONFLICT (queue, "
        "minute, writer, series, bucket) DO UPDATE SET n = bus_metrics.n + excluded.n), "
        // The finished-state count: one row per queue of the batch, under the same writer.
        "f AS (INSERT INTO bus_finished_counts (queue, state, writer, n) SELECT queue, 'COMPLETED', ?::bigint, "
        "COUNT(*) FROM done GROUP BY queue ON CONFLICT (queue, state, writer) DO UPDATE SET "
        "n = bus_finished_counts.n + excluded.n) "
        "SELECT id FROM done";
    return new std::array<std::string, 2>{
        body, body + " WHERE (SELECT set_config('synchronous_commit', 'off', true)) = 'off'"};
  }();
  std::vector<int64_t> ids, tokens;
  std::vector<std::string> results;
  ids.reserve(indexes.size());
  tokens.reserve(indexes.size());
  results.reserve(indexes.size());
  std::set<int64_t> sent;
  for (size_t i : indexes) {
    if (!sent.insert(jobs[i]->id).second) {
      out[i] = LeaseLost(Outcome::kComplete, jobs[i]->id);  // the same job twice: the first finishes it
      continue;
    }
    ids.push_back(jobs[i]->id);
    tokens.push_back(jobs[i]->lease_token);
    results.push_back(transitions[i].text);
  }
  const Clock::TimePoint now_tp = transitions[indexes.front()].now;
  const int64_t now = Us(now_tp);
  return {.sql = (*kSql)[async_commit ? 1 : 0],
          .params = {std::move(ids), std::move(tokens), std::move(results), now, now, now, now,
                     backends::MetricsMinute(now_tp), MetricsWriter(), MetricsWriter()}};
}

void SqlQueue::ApplyCompleted(const store::ResultSet& rs, const std::vector<const Job*>& jobs,
                              const std::vector<size_t>& indexes, std::vector<absl::Status>& out) {
  std::set<int64_t> done;
  for (const store::Row& row : rs) done.insert(row.Int64(0));
  for (size_t i : indexes) {
    if (out[i].ok()) {
      out[i] = done.count(jobs[i]->id) > 0 ? absl::OkStatus() : LeaseLost(Outcome::kComplete, jobs[i]->id);
    }
  }
}

absl::Status SqlQueue::CompleteManyPg(const RequestContext& ctx, const std::vector<const Job*>& jobs,
                                      const std::vector<Transition>& transitions,
                                      const std::vector<size_t>& indexes, std::vector<absl::Status>& out) {
  const bool own_transaction = ctx.open_transaction() == nullptr;
  store::BatchStatement st =
      CompleteManyPgStatement(jobs, transitions, indexes, out, /*async_commit=*/own_transaction);
  // In the caller's transaction a local setting would last until its end: the plain statement there.
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         ExecuteWithoutSeqScan(db_, ctx, std::move(st), "bus: finish many", own_transaction));
  ApplyCompleted(rs, jobs, indexes, out);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<absl::Status>> SqlQueue::DoTransitionMany(
    const RequestContext& ctx, const std::vector<const Job*>& jobs,
    const std::vector<Transition>& transitions) {
  std::vector<absl::Status> out(jobs.size(), absl::OkStatus());
  std::vector<size_t> completes;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (transitions[i].outcome == Outcome::kComplete) completes.push_back(i);
  }
  if (pg_ && completes.size() == jobs.size()) {
    // Only completions: one statement, no BEGIN/COMMIT round trips.
    DAIRA_RETURN_IF_ERROR(CompleteManyPg(ctx, jobs, transitions, completes, out));
    MaybePruneMetrics(ctx, transitions.front().now);
    return out;
  }
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    out.assign(jobs.size(), absl::OkStatus());
    backends::MetricsDelta delta;  // one metrics upsert for the whole batch
    FinishedDelta finished;        // and one finished-count upsert (CompleteManyPg counts its own)
    // Failures (their error histories differ job by job): one fenced UPDATE each. Completions: on
    // Postgres one statement for all of them (CompleteManyPg); on SQLite one fenced UPDATE per
    // kCompleteChunk jobs with the same result.
    std::map<std::string, std::vector<size_t>> by_result;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (transitions[i].outcome == Outcome::kComplete) {
        if (!pg_) by_result[transitions[i].text].push_back(i);
        continue;
      }
      absl::Status st = TransitionIn(ctx, *jobs[i], transitions[i], &delta, &finished);
      if (!st.ok() && !absl::IsFailedPrecondition(st)) return st;  // a store error: roll the batch back
      out[i] = std::move(st);
    }
    if (pg_ && !completes.empty())
      DAIRA_RETURN_IF_ERROR(CompleteManyPg(ctx, jobs, transitions, completes, out));
    constexpr size_t kCompleteChunk = 256;
    for (const auto& [text, indexes] : by_result) {
      for (size_t start = 0; start < indexes.size(); start += kCompleteChunk) {
        const size_t n = std::min(kCompleteChunk, indexes.size() - start);
        // Session 18: the statement's text has one of at most 31 lengths (n up to 16, then a multiple of
        // 16; the last job's fence repeated to fill it, which matches no other row), so the statement
        // cache keeps them all: a WorkerPool's acker stores batches of any size from 1 to 256, and each
        // new length was a compile (~2.7 k instructions per job in BM_EndToEndPool/sqlite).
        const size_t terms = n <= 16 ? n : (n + 15) / 16 * 16;
        const int64_t now = Us(transitions[indexes[start]].now);
        std::string sql =
            "UPDATE jobs SET status = 'COMPLETED', result = ?, finished_at = ?, lease_token = NULL, "
            "lease_expires_at = NULL, updated_at = ? WHERE status = 'ACTIVE' AND lease_expires_at > ? AND (";
        std::vector<Value> params = {text.empty() ? Value() : Value::Json(text), now, now, now};
        params.reserve(4 + 2 * terms);
        for (size_t k = 0; k < terms; ++k) {
          const Job& job = *jobs[indexes[start + std::min(k, n - 1)]];
          sql += k == 0 ? "(id = ? AND lease_token = ?)" : " OR (id = ? AND lease_token = ?)";
          params.push_back(job.id);
          params.push_back(job.lease_token);
        }
        sql += ")";
        // SQLite runs RETURNING as a trigger program per row (~4.5 k instructions per job). When every
        // job is a claim's copy (its queue known), the metrics can come from the copies — the fence
        // proves each copy is this claim's — so the UPDATE runs without it; if it did not finish all n
        // (a lease lost) it is undone to its savepoint and run again with RETURNING to learn which.
        const bool from_copies = std::all_of(indexes.begin() + static_cast<std::ptrdiff_t>(start),
                                             indexes.begin() + static_cast<std::ptrdiff_t>(start + n),
                                             [&](size_t i) { return !jobs[i]->queue.empty(); });
        if (from_copies) {
          DAIRA_RETURN_IF_ERROR(c.Execute("SAVEPOINT daira_bus_complete", {}).status());
          DAIRA_ASSIGN_OR_RETURN(store::ResultSet plain, c.Execute(sql, params));
          if (plain.rows_affected() == static_cast<int64_t>(n)) {
            DAIRA_RETURN_IF_ERROR(c.Execute("RELEASE daira_bus_complete", {}).status());
            for (size_t k = 0; k < n; ++k) {
              const size_t i = indexes[start + k];
              delta.Add(jobs[i]->queue.str(), jobs[i]->run_at, jobs[i]->started_at,
                        transitions[indexes[start]].now, /*failed=*/false);
              finished.Add(jobs[i]->queue.str(), "COMPLETED", 1);
              out[i] = absl::OkStatus();
            }
            continue;
          }
          DAIRA_RETURN_IF_ERROR(c.Execute("ROLLBACK TO daira_bus_complete", {}).status());
          DAIRA_RETURN_IF_ERROR(c.Execute("RELEASE daira_bus_complete", {}).status());
        }
        sql += " RETURNING id, queue, run_at, started_at";
        DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, params));
        std::set<int64_t> done;
        for (const store::Row& row : rs) {
          done.insert(row.Int64(0));
          finished.Add(row.Text("queue"), "COMPLETED", 1);
          delta.Add(row.Text("queue"), FromUnixMicros(row.Int64("run_at")),
                    row.IsNull("started_at") ? Clock::TimePoint{} : FromUnixMicros(row.Int64("started_at")),
                    transitions[indexes[start]].now, /*failed=*/false);
        }
        for (size_t k = 0; k < n; ++k) {
          const size_t i = indexes[start + k];
          out[i] =
              done.count(jobs[i]->id) > 0 ? absl::OkStatus() : LeaseLost(Outcome::kComplete, jobs[i]->id);
        }
      }
    }
    return RecordMetrics(c, delta, &finished);
  }));
  if (!transitions.empty()) MaybePruneMetrics(ctx, transitions.front().now);
  return out;
}

absl::StatusOr<std::optional<Queue::FinishedAndClaimed>> SqlQueue::DoTransitionManyAndClaimMany(
    const RequestContext& ctx, const std::vector<const Job*>& jobs, const std::vector<Transition>& transitions,
    const QueueSettings& s, std::string_view worker_id, int64_t token, int max_jobs) {
  // The rate limit and groups decide claim by claim (DoClaimMany): not fused.
  if (s.rate_limit > 0 || s.round_robin_groups) return std::optional<FinishedAndClaimed>();
  FinishedAndClaimed out;
  const Clock::TimePoint now = clock().Now();
  const bool all_complete = std::all_of(transitions.begin(), transitions.end(),
                                        [](const Transition& t) { return t.outcome == Outcome::kComplete; });
  if (pg_ && all_complete) {
    // One round trip: the completions (CompleteManyPg's statement) and the claim in one pipeline behind
    // kNoSeqScan — one Sync, so one implicit transaction and one commit, which does not wait for the WAL
    // flush (the claim's and the completion's set_config). A server crash may lose both: the jobs stay
    // ACTIVE and run again after their lease (at-least-once), the lost claim's jobs stay WAITING.
    std::vector<size_t> indexes(jobs.size());
    for (size_t i = 0; i < indexes.size(); ++i) indexes[i] = i;
    out.finished.assign(jobs.size(), absl::OkStatus());
    std::vector<store::BatchStatement> batch;
    batch.push_back(CompleteManyPgStatement(jobs, transitions, indexes, out.finished, /*async_commit=*/true));
    const std::optional<PickCursors::Start> start = PickStart(s);
    batch.push_back(
        ClaimManyStatement(s, worker_id, token, max_jobs, now, start.has_value() ? start->from : std::nullopt));
    absl::StatusOr<std::vector<store::ResultSet>> rs =
        PipelineWithoutSeqScan(db_, ctx, std::move(batch), "bus: finish and claim");
    if (rs.ok()) {
      ApplyCompleted((*rs)[0], jobs, indexes, out.finished);
      out.claimed = ClaimedJobs((*rs)[1], s, worker_id, token, now);
    }
    PickEnd(s, start, rs.ok(), out.claimed.empty() ? nullptr : &out.claimed.back());
    if (!rs.ok()) return rs.status();
  } else {
    // One transaction: on SQLite one commit where the finish and the claim took two.
    DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
      DAIRA_ASSIGN_OR_RETURN(out.finished, DoTransitionMany(ctx, jobs, transitions));
      const store::BatchStatement claim = ClaimManyStatement(s, worker_id, token, max_jobs, now);
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, ClaimManyOn(c, claim, s, token, now));
      out.claimed = ClaimedJobs(rs, s, worker_id, token, now);
      return absl::OkStatus();
    }));
  }
  MaybePruneMetrics(ctx, now);
  return std::optional<FinishedAndClaimed>(std::move(out));
}

absl::StatusOr<MetricHistograms> SqlQueue::DoMetrics(const RequestContext& ctx, const QueueSettings& s,
                                                     int64_t first_minute, int64_t last_minute) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         db_.Read(ctx,
                                  "SELECT series, bucket, CAST(SUM(n) AS BIGINT) AS n FROM bus_metrics WHERE "
                                  "queue = ? AND minute >= ? AND minute <= ? GROUP BY series, bucket",
                                  {s.name, first_minute, last_minute}));
  MetricHistograms h = backends::EmptyHistograms();
  for (const store::Row& row : rs) {
    const std::string series = row.Text("series");
    if (series.size() != 1) continue;
    backends::AddToHistograms(h, series[0], static_cast<int>(row.Int64("bucket")), row.Int64("n"));
  }
  return h;
}

absl::StatusOr<Job> SqlQueue::DoGet(const RequestContext& ctx, int64_t id) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         db_.Read(ctx, std::string("SELECT ") + kCols + " FROM jobs WHERE id = ?", {id}));
  if (rs.empty()) return absl::NotFoundError("bus: get: job " + std::to_string(id) + " not found");
  return ToJob(rs, 0);
}

absl::Status SqlQueue::DoCancel(const RequestContext& ctx, int64_t id, Clock::TimePoint now) {
  bool cancelled = false;
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                           c.Execute("UPDATE jobs SET status = 'CANCELLED', finished_at = ?, updated_at = ? "
                                     "WHERE id = ? AND status || '' = 'WAITING' RETURNING queue",  // (kPkOnly)
                                     {Us(now), Us(now), id}));
    cancelled = !rs.empty();
    if (!cancelled) return absl::OkStatus();
    FinishedDelta finished;
    finished.Add(rs.front().Text(0), "CANCELLED", 1);
    return finished.Record(c, MetricsWriter());
  }));
  if (cancelled) return absl::OkStatus();
  // Running: the cooperative signal (its worker reads it with its heartbeat).
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet active,
                         db_.Execute(ctx,
                                     "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND "
                                     "status || '' = 'ACTIVE'",  // (kPkOnly)
                                     {Us(now), id}));
  if (active.rows_affected() > 0) return absl::OkStatus();
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet st, db_.Execute(ctx, "SELECT status FROM jobs WHERE id = ?", {id}));
  if (st.empty()) return absl::NotFoundError("bus: cancel: job " + std::to_string(id) + " not found");
  return absl::FailedPreconditionError("bus: cancel: job " + std::to_string(id) + " is " + st.front().Text(0) +
                                       ", not WAITING or ACTIVE");
}

absl::Status SqlQueue::DoSetPaused(const RequestContext& ctx, const QueueSettings& s, bool paused) {
  return db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    DAIRA_RETURN_IF_ERROR(c.Execute("INSERT INTO bus_queues (queue, paused, updated_at) VALUES (?, ?, ?) "
                                    "ON CONFLICT (queue) DO UPDATE SET paused = excluded.paused, "
                                    "updated_at = excluded.updated_at",
                                    {s.name, int64_t{paused ? 1 : 0}, Us(clock().Now())})
                              .status());
    if (!paused) Announce(ctx, s.name, std::nullopt);
    return absl::OkStatus();
  });
}

absl::StatusOr<QueueCounts> SqlQueue::DoCounts(const RequestContext& ctx, const QueueSettings& s) {
  // One arm per unfinished state, each through its state's partial index (migration 025: no index holds
  // every state), the finished states' counts (a few rows per queue) and the paused flag: one statement.
  static const std::string* const kSql = [] {
    std::string sql =
        "SELECT 'WAITING' AS status, CASE WHEN run_at <= ? THEN 1 ELSE 0 END AS due, COUNT(*) AS n FROM jobs "
        "WHERE queue = ? AND status = 'WAITING' GROUP BY 2 "
        "UNION ALL SELECT 'ACTIVE', 1, COUNT(*) FROM jobs WHERE queue = ? AND status = 'ACTIVE'";
    // The finished states: their writers' rows in bus_finished_counts (migration 026), not the jobs.
    sql +=
        " UNION ALL SELECT state, 1, CAST(SUM(n) AS BIGINT) FROM bus_finished_counts WHERE queue = ? "
        "GROUP BY state";
    return new std::string(
        sql + " UNION ALL SELECT 'PAUSED', 1, COUNT(*) FROM bus_queues WHERE queue = ? AND paused = 1");
  }();
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      db_.Read(ctx, *kSql, {Us(clock().Now()), s.name, s.name, s.name, s.name}));
  QueueCounts c;
  c.queue = s.name;
  for (const store::Row& row : rs) {
    const int64_t n = row.Int64("n");
    const std::string status = row.Text("status");
    if (status == "PAUSED") {
      c.paused = n > 0;
      continue;
    }
    switch (StateFromName(status)) {
      case JobState::kWaiting: (row.Int64("due") == 1 ? c.waiting : c.delayed) += n; break;
      case JobState::kActive: c.active += n; break;
      case JobState::kCompleted: c.completed += n; break;
      case JobState::kDead: c.dead += n; break;
      case JobState::kCancelled: c.cancelled += n; break;
    }
  }
  return c;
}

absl::StatusOr<std::vector<Job>> SqlQueue::DoList(const RequestContext& ctx, const QueueSettings& s, JobState state,
                                                  int limit) {
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      db_.Read(ctx,
               // The state as a literal (JobStateName's fixed names, never input):
               // only then may the planner use that state's partial index.
               std::string("SELECT ") + kCols + " FROM jobs WHERE queue = ? AND status = '" +
                   std::string(JobStateName(state)) + "' ORDER BY id LIMIT ?",
               {s.name, int64_t{limit}}));
  std::vector<Job> out;
  out.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) out.push_back(ToJob(rs, i));
  return out;
}

absl::StatusOr<int64_t> SqlQueue::DoReplay(const RequestContext& ctx, const QueueSettings& s,
                                           const std::vector<int64_t>& ids) {
  const int64_t now = Us(clock().Now());
  int64_t n = 0;
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    std::string sql =
        "UPDATE jobs SET status = 'WAITING', attempts = 0, run_at = ?, finished_at = NULL, "
        "lease_owner = NULL, updated_at = ? WHERE queue = ? AND status";
    std::vector<Value> params = {now, now, s.name};
    if (ids.empty()) {
      sql += " = 'DEAD'";  // every dead job of the queue: a range of jobs_finished_idx
    } else {
      sql += " || '' = 'DEAD' AND " + c.dialect().InArray("id");  // these ids: by primary key (kPkOnly)
      params.emplace_back(ids);
    }
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs, c.Execute(sql, params));
    n = rs.rows_affected();
    if (n == 0) return absl::OkStatus();
    FinishedDelta finished;
    finished.Add(s.name, "DEAD", -n);
    DAIRA_RETURN_IF_ERROR(finished.Record(c, MetricsWriter()));
    Announce(ctx, s.name, std::nullopt);
    return absl::OkStatus();
  }));
  return n;
}

absl::StatusOr<int64_t> SqlQueue::DoRecoverStalled(const RequestContext& ctx, const QueueSettings& s) {
  // Recovered jobs are WAITING again wherever their run-at puts them, and another process's recovery
  // or rolled-back claim is not announced: the pick cursor starts again at the head after every run
  // (at most once per second per queue from the claim path's housekeeping), once its UPDATEs committed.
  // Jobs recovered here: a reset. Otherwise only the next pick starts at the head (PickCursors::Probe):
  // the once-per-second look for another process's unannounced re-entries, one head pick instead of
  // one per claiming thread.
  absl::StatusOr<int64_t> n = RecoverStalledOnce(ctx, s);
  if (!n.ok() || *n > 0) {
    NoteEntered(s.name, std::nullopt);
  } else if (pg_) {
    cursors_.Probe(s.name);
  }
  return n;
}

absl::StatusOr<int64_t> SqlQueue::RecoverStalledOnce(const RequestContext& ctx, const QueueSettings& s) {
  const Clock::TimePoint now = clock().Now();
  // The lease range after where the last complete scan ended (RecoveryFloors: the entries of jobs that
  // finished before it are not walked again), or from the head.
  const std::optional<int64_t> floor = recovery_floors_.Begin(s.name, Us(now));
  constexpr size_t kLimit = 100;
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         db_.Execute(ctx,
                                     "SELECT id, attempts, max_attempts, lease_owner, lease_token, errors, cancel_requested FROM jobs "
                                     "WHERE queue = ? AND status = 'ACTIVE' AND lease_expires_at > ? AND lease_expires_at <= ? "
                                     "ORDER BY lease_expires_at LIMIT 100",
                                     {s.name, floor.value_or(std::numeric_limits<int64_t>::min()), Us(now)}));
  int64_t n = 0;
  for (const store::Row& row : rs) {
    const int attempt = static_cast<int>(row.Int64("attempts"));
    std::vector<JobError> errors = ParseErrors(row.Json("errors"));
    errors.push_back({.attempt = attempt, .at = now, .worker = row.Text("lease_owner"), .message = "lease expired"});
    const bool cancelled = row.Int64("cancel_requested") == 1;  // not rerun: its cancel was requested
    const bool dead = cancelled || attempt >= row.Int64("max_attempts");
    const std::string status = cancelled ? "CANCELLED" : dead ? "DEAD" : "WAITING";
    // Fenced by the token read above: a concurrent recoverer (or a late Complete) wins, never both.
    const std::string sql =
        "UPDATE jobs SET status = ?, errors = ?, run_at = ?, finished_at = ?, lease_owner = NULL, "
        "lease_token = NULL, lease_expires_at = NULL, updated_at = ? "
        "WHERE id = ? AND status || '' = 'ACTIVE' AND lease_token = ?";  // (kPkOnly)
    const std::vector<Value> params = {status,  Value::Json(SerializeErrors(errors)),
                                       Us(now), dead ? Value(Us(now)) : Value(),
                                       Us(now), row.Int64("id"),
                                       row.Int64("lease_token")};
    if (!dead) {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet up, db_.Execute(ctx, sql, params));
      n += up.rows_affected();
      continue;
    }
    // Into a finished state: with its count, in one transaction.
    int64_t moved = 0;
    DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
      DAIRA_ASSIGN_OR_RETURN(store::ResultSet up, c.Execute(sql, params));
      moved = up.rows_affected();
      FinishedDelta finished;
      finished.Add(s.name, status, moved);
      return finished.Record(c, MetricsWriter());
    }));
    n += moved;
  }
  if (rs.size() < kLimit) recovery_floors_.Complete(s.name, Us(now), !floor.has_value());
  return n;
}

absl::StatusOr<int64_t> SqlQueue::DoClean(const RequestContext& ctx, const QueueSettings& s) {
  const Clock::TimePoint now = clock().Now();
  int64_t n = 0;
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    n = 0;
    FinishedDelta finished;
    // One DELETE per finished state, each a range of jobs_finished_idx (the state a literal), and the
    // counts they lower in the same transaction.
    for (const auto& [state, retain] : {std::pair<const char*, std::chrono::milliseconds>{"COMPLETED", s.retain_completed},
                                        {"CANCELLED", s.retain_completed},
                                        {"DEAD", s.retain_dead}}) {
      DAIRA_ASSIGN_OR_RETURN(
          store::ResultSet rs,
          c.Execute(std::string("DELETE FROM jobs WHERE queue = ? AND status = '") + state + "' AND finished_at <= ?",
                    {s.name, Us(now - retain)}));
      finished.Add(s.name, state, -rs.rows_affected());
      n += rs.rows_affected();
    }
    return finished.Record(c, MetricsWriter());
  }));
  MaybePruneMetrics(ctx, now);
  return n;
}

absl::StatusOr<Repeatable> SqlQueue::DoAddRepeatable(const RequestContext& ctx, const Repeatable& d,
                                                     const std::string& schedule) {
  // Same schedule: the pending occurrence (next_run_at) is kept, so re-adding at every start-up
  // neither skips nor repeats one.
  DAIRA_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      db_.Execute(ctx,
                  std::string("INSERT INTO bus_repeatables (queue, repeat_key, name, payload, schedule, priority, "
                              "max_attempts, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                              "ON CONFLICT (queue, repeat_key) DO UPDATE SET name = excluded.name, payload = "
                              "excluded.payload, priority = excluded.priority, max_attempts = excluded.max_attempts, "
                              "next_run_at = CASE WHEN bus_repeatables.schedule = excluded.schedule THEN "
                              "bus_repeatables.next_run_at ELSE excluded.next_run_at END, schedule = "
                              "excluded.schedule, updated_at = excluded.updated_at RETURNING ") +
                      kRepeatCols,
                  {d.queue, d.key, d.name, Value::Json(d.payload), schedule, int64_t{d.priority},
                   int64_t{d.max_attempts}, Us(d.next_run_at), Us(d.created_at), Us(d.updated_at)}));
  if (rs.empty()) return absl::InternalError("bus: add repeatable: the upsert returned no row");
  return ToRepeatable(rs.front());
}

absl::StatusOr<std::vector<Repeatable>> SqlQueue::DoListRepeatables(const RequestContext& ctx,
                                                                    const QueueSettings& s) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         db_.Read(ctx,
                                  std::string("SELECT ") + kRepeatCols +
                                      " FROM bus_repeatables WHERE queue = ? ORDER BY repeat_key",
                                  {s.name}));
  std::vector<Repeatable> out;
  for (const store::Row& row : rs) {
    DAIRA_ASSIGN_OR_RETURN(Repeatable d, ToRepeatable(row));
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<bool> SqlQueue::DoRemoveRepeatable(const RequestContext& ctx, const QueueSettings& s,
                                                  std::string_view key) {
  DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                         db_.Execute(ctx, "DELETE FROM bus_repeatables WHERE queue = ? AND repeat_key = ?",
                                     {s.name, std::string(key)}));
  return rs.rows_affected() > 0;
}

absl::StatusOr<bool> SqlQueue::DoFireRepeatable(const RequestContext& ctx, const QueueSettings& s,
                                                std::string_view key, Clock::TimePoint expected,
                                                Clock::TimePoint occurrence, Clock::TimePoint next,
                                                const NewJob& job) {
  bool fired = false;
  DAIRA_RETURN_IF_ERROR(db_.RunInTransaction(ctx, [&](store::Connection& c) -> absl::Status {
    fired = false;
    // The claim of this occurrence: only the scheduler whose UPDATE still sees the old next_run_at wins
    // (on Postgres the row lock makes a concurrent one wait, then see the new value and match nothing).
    DAIRA_ASSIGN_OR_RETURN(store::ResultSet rs,
                           c.Execute("UPDATE bus_repeatables SET next_run_at = ?, last_run_at = ?, updated_at = ? "
                                     "WHERE queue = ? AND repeat_key = ? AND next_run_at = ?",
                                     {Us(next), Us(occurrence), Us(clock().Now()), s.name, std::string(key),
                                      Us(expected)}));
    if (rs.rows_affected() == 0) return absl::OkStatus();
    DAIRA_RETURN_IF_ERROR(DoEnqueue(ctx, {job}).status());
    fired = true;
    return absl::OkStatus();
  }));
  return fired;
}

}  // namespace daira::inline v0::bus::internal
