#include "daira/services/wallets.h"

#include <sodium.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/services/audit_log.h"
#include "daira/store/connection.h"
#include "daira/store/value.h"
#include "query/keyset_shapes.h"
#include "services/wallet_internal.h"
#include "store/group_commit.h"

namespace daira::inline v0::services {
namespace {

using model::TransactionStatus;
using model::TransactionType;
using store::Connection;
using store::ResultSet;
using store::Value;

constexpr std::string_view kDeposit = "deposit";
constexpr std::string_view kWithdraw = "withdraw";
constexpr std::string_view kTip = "tip";
constexpr std::string_view kEarn = "earning";
constexpr std::string_view kRefund = "refund";

absl::Status WithField(absl::Status s, std::string_view field) {
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}
absl::Status NotFoundField(std::string_view op, std::string_view field, int64_t id) {
  return WithField(
      absl::NotFoundError(absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " not found (got ", id, ")")), field);
}
absl::Status Precondition(std::string_view op, std::string_view field, std::string_view problem) {
  return WithField(
      absl::FailedPreconditionError(absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " ", ToAbsl(problem))),
      field);
}

bool IsPostgres(const Connection& c) { return c.backend() == store::Backend::kPostgres; }
std::string ForUpdate(const Connection& c) { return IsPostgres(c) ? " FOR UPDATE" : ""; }

// SHA-256 hex of the canonical request text: what "the same request" means for an idempotency key.
std::string RequestHash(std::string_view canonical) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

// ---- Movement <-> JSON (the stored response of an idempotency key) ----

// The same bytes JsonWriter would write for these keys in this order (stored keys written before stay
// valid), appended directly: it runs for every keyed call, inside its transaction.
std::string EncodeMovement(const Movement& m) {
  std::string out;
  out.reserve(256 + (m.description ? m.description->size() : 0));
  auto optional_int = [&](std::string_view key, int64_t v, bool present) {
    absl::StrAppend(&out, ToAbsl(key));
    if (present) {
      absl::StrAppend(&out, v);
    } else {
      out += "null";
    }
  };
  absl::StrAppend(&out, "{\"id\":", m.id.value, ",\"type\":");
  AppendJsonString(out, model::ToString(m.type));
  out += ",\"status\":";
  AppendJsonString(out, model::ToString(m.status));
  absl::StrAppend(&out, ",\"user_id\":", m.user_id.value, ",\"wallet_id\":", m.wallet_id.value);
  optional_int(",\"counterparty_wallet_id\":", m.counterparty_wallet_id ? m.counterparty_wallet_id->value : 0,
               m.counterparty_wallet_id.has_value());
  absl::StrAppend(&out, ",\"amount\":", m.amount, ",\"fee\":", m.fee, ",\"currency\":");
  AppendJsonString(out, m.currency);
  absl::StrAppend(&out, ",\"balance_after\":", m.balance_after);
  optional_int(",\"refund_of\":", m.refund_of ? m.refund_of->value : 0, m.refund_of.has_value());
  out += ",\"description\":";
  if (m.description) {
    AppendJsonString(out, *m.description);
  } else {
    out += "null";
  }
  absl::StrAppend(&out, ",\"created_at\":", ToUnixMicros(m.created_at), "}");
  return out;
}

absl::StatusOr<Movement> DecodeMovement(std::string_view text) {
  DAIRA_ASSIGN_OR_RETURN(JsonValue v, ParseJson(text));
  auto get = [&](std::string_view k) -> const JsonValue* { return v.Get(k); };
  auto integer = [&](std::string_view k) -> int64_t { return get(k) != nullptr ? get(k)->AsInt() : 0; };
  Movement m;
  m.id = TransactionId{integer("id")};
  if (get("type") == nullptr || !model::Parse(get("type")->AsString(), &m.type) || get("status") == nullptr ||
      !model::Parse(get("status")->AsString(), &m.status)) {
    return absl::DataLossError("wallets: stored idempotent response is not a movement");
  }
  m.user_id = UserId{integer("user_id")};
  m.wallet_id = WalletId{integer("wallet_id")};
  if (get("counterparty_wallet_id") && !get("counterparty_wallet_id")->is_null()) {
    m.counterparty_wallet_id = WalletId{integer("counterparty_wallet_id")};
  }
  m.amount = integer("amount");
  m.fee = integer("fee");
  if (get("currency")) m.currency = get("currency")->AsString();
  m.balance_after = integer("balance_after");
  if (get("refund_of") && !get("refund_of")->is_null()) m.refund_of = TransactionId{integer("refund_of")};
  if (get("description") && !get("description")->is_null()) m.description = get("description")->AsString();
  m.created_at = FromUnixMicros(integer("created_at"));
  return m;
}

// ---- idempotency keys (table idempotency_keys, migration 006) ----

struct IdemKey {
  std::string scope;
  std::string key;
  std::string hash;
  int64_t user_id = 0;  // 0: the platform
};

// Claims `k` inside the open transaction. Returns the stored Movement when the same request already
// completed, nullopt when this call is the first (the row is then written, and Finish stores the
// result in the same transaction, so a failed call leaves no key behind). A first call costs one
// statement (the insert); only a key that exists already is read (and, once expired, replaced).
//
// On SQLite the transaction already holds the database's only write lock (BEGIN IMMEDIATE), so no other
// call can claim the key meanwhile: the key is only looked up here (`*insert_at_finish` set), and
// FinishKey inserts it COMPLETED with its result — one row write instead of an insert and an update.
absl::StatusOr<std::optional<Movement>> ClaimKey(Connection& c, std::string_view op, const IdemKey& k,
                                                 int64_t now, int64_t expires_at, bool* insert_at_finish) {
  const std::string select =
      "SELECT request_hash, status, response, expires_at FROM idempotency_keys WHERE scope = ? AND key = ?" +
      ForUpdate(c);
  *insert_at_finish = false;
  if (!IsPostgres(c)) {
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute(select, {k.scope, k.key}));
    if (!rs.empty() && rs.front().Int64(3) <= now) {
      DAIRA_RETURN_IF_ERROR(
          c.Execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?", {k.scope, k.key}).status());
      rs = ResultSet();
    }
    if (rs.empty()) {
      *insert_at_finish = true;
      return std::optional<Movement>();
    }
    const store::Row& r = rs.front();
    if (r.Text(0) != k.hash) {
      return Precondition(op, "idempotency_key",
                          absl::StrCat("was already used for a different request (got \"", k.key, "\")"));
    }
    if (r.Text(1) != "COMPLETED" || r.IsNull(2)) {
      return absl::AbortedError(absl::StrCat(ToAbsl(op), ": idempotency_key is in progress, retry"));
    }
    DAIRA_ASSIGN_OR_RETURN(Movement m, DecodeMovement(r.Text(2)));
    return std::optional<Movement>(std::move(m));
  }
  for (int round = 0; round < 2; ++round) {
    // On Postgres a concurrent first call's uncommitted row makes this wait for it, then DO NOTHING.
    DAIRA_ASSIGN_OR_RETURN(
        ResultSet ins,
        c.Execute(
            "INSERT INTO idempotency_keys (scope, key, user_id, request_hash, status, created_at, "
            "expires_at) "
            "VALUES (?, ?, ?, ?, 'IN_PROGRESS', ?, ?) ON CONFLICT (scope, key) DO NOTHING RETURNING key",
            {k.scope, k.key, k.user_id > 0 ? Value(k.user_id) : Value(), k.hash, now, expires_at}));
    if (!ins.empty()) return std::optional<Movement>();
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute(select, {k.scope, k.key}));
    if (rs.empty()) continue;  // deleted (expired) by another call since: insert again
    const store::Row& r = rs.front();
    if (r.Int64(3) <= now) {
      DAIRA_RETURN_IF_ERROR(
          c.Execute("DELETE FROM idempotency_keys WHERE scope = ? AND key = ?", {k.scope, k.key}).status());
      continue;
    }
    if (r.Text(0) != k.hash) {
      return Precondition(op, "idempotency_key",
                          absl::StrCat("was already used for a different request (got \"", k.key, "\")"));
    }
    if (r.Text(1) != "COMPLETED" || r.IsNull(2)) {
      return absl::AbortedError(absl::StrCat(ToAbsl(op), ": idempotency_key is in progress, retry"));
    }
    DAIRA_ASSIGN_OR_RETURN(Movement m, DecodeMovement(r.Text(2)));
    return std::optional<Movement>(std::move(m));
  }
  return absl::AbortedError(absl::StrCat(ToAbsl(op), ": idempotency_key contended, retry"));
}

// Writes whose results nobody reads (the journal row, the ledger lines, the key's stored result),
// sent together by Flush in one ExecuteBatch: one round trip on Postgres (pipeline mode) instead of
// one per statement. Statements run in the order added.
struct Writes {
  std::vector<store::BatchStatement> batch;
  void Add(std::string sql, std::vector<Value> params) {
    batch.push_back({std::move(sql), std::move(params)});
  }
  absl::Status Flush(Connection& c) {
    if (batch.empty()) return absl::OkStatus();
    absl::Status s = c.ExecuteBatch(batch).status();
    batch.clear();
    return s;
  }
};

void FinishKey(Writes& w, const IdemKey& k, const Movement& m, int64_t now, int64_t expires_at,
               bool insert) {
  if (insert) {
    w.Add(
        "INSERT INTO idempotency_keys (scope, key, user_id, request_hash, status, response_code, response, "
        "created_at, expires_at) VALUES (?, ?, ?, ?, 'COMPLETED', 0, ?, ?, ?)",
        {k.scope, k.key, k.user_id > 0 ? Value(k.user_id) : Value(), k.hash, Value::Json(EncodeMovement(m)),
         now, expires_at});
    return;
  }
  w.Add(
      "UPDATE idempotency_keys SET status = 'COMPLETED', response_code = 0, response = ? "
      "WHERE scope = ? AND key = ?",
      {Value::Json(EncodeMovement(m)), k.scope, k.key});
}

// ---- users and wallets ----

// The wallet ids of `users` in `currency` (aligned), creating the missing ones (zero balance).
absl::StatusOr<std::vector<int64_t>> EnsureWallets(Connection& c, const ServiceDeps& deps,
                                                   std::vector<int64_t> users, std::string_view currency,
                                                   int64_t now) {
  std::vector<int64_t> out(users.size(), 0);
  for (int round = 0; round < 2; ++round) {
    std::string sql = "SELECT id, user_id FROM wallets WHERE currency = ? AND user_id IN (";
    std::vector<Value> params{Value(currency)};
    for (size_t i = 0; i < users.size(); ++i) {
      absl::StrAppend(&sql, i ? ", ?" : "?");
      params.emplace_back(users[i]);
    }
    sql += ")";
    DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute(sql, store::Params(params.data(), params.size())));
    for (const store::Row& r : rs) {
      for (size_t i = 0; i < users.size(); ++i) {
        if (users[i] == r.Int64(1)) out[i] = r.Int64(0);
      }
    }
    bool missing = false;
    for (size_t i = 0; i < users.size(); ++i) {
      if (out[i] != 0) continue;
      missing = true;
      DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps.NextId());
      DAIRA_RETURN_IF_ERROR(
          c.Execute(
               "INSERT INTO wallets (id, user_id, currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (user_id, currency) DO NOTHING",
               {id, users[i], currency, now, now})
              .status());
    }
    if (!missing) return out;
  }
  for (size_t i = 0; i < users.size(); ++i) {
    if (out[i] == 0) return absl::AbortedError("wallets: wallet creation raced, retry");
  }
  return out;
}

// What a user taking part in a money call must be.
enum class Standing {
  kActive,  // a tip's sender and receiver: ACTIVE (not suspended, banned or deleted)
  kHolder,  // deposit, withdraw, earning (and the payment paths over them): exists, not DELETED/BANNED
};
struct Party {
  std::string_view field;  // the request field naming the user (for errors)
  int64_t user_id = 0;
  Standing standing = Standing::kHolder;
};

// A party's wallet, as CheckAndLocate found it.
struct Located {
  int64_t id = 0;
  // Its balance, read in this transaction on SQLite: a grouped or lone call holds the database's only
  // writer from BEGIN IMMEDIATE, so nothing changes the row before this call's own update (in a joined
  // deferred transaction, a write on a snapshot another connection has since changed fails with
  // SQLITE_BUSY_SNAPSHOT instead of succeeding). -1 when not read (Postgres, where the update returns
  // the new balance instead).
  int64_t balance = -1;
};

// The one check-and-locate step of every money call that names users: each party's status against
// its standing (NotFound naming its field when there is no such user; FailedPrecondition "is
// <STATUS>"), with two parties that neither blocks the other (FailedPrecondition naming the second's
// field), then their wallets in `currency`, aligned with `parties` and created when missing. One
// statement when the wallets exist (the hot path of a tip); the rules live here only. On SQLite the
// same statement reads the balances too, so ApplyDeltas needs no SELECT after its updates.
absl::StatusOr<std::vector<Located>> CheckAndLocate(Connection& c, const ServiceDeps& deps,
                                                    std::string_view op, std::initializer_list<Party> parties,
                                                    std::string_view currency, int64_t now) {
  const std::vector<Party> ps(parties);
  const bool pair = ps.size() == 2;
  const bool balances = !IsPostgres(c);
  // Fixed statement texts (one per arity and backend) so the connection's statement cache keeps them
  // prepared. Columns: status and wallet id per party, the block count (pairs), then (SQLite) the
  // balance per party.
  static constexpr std::string_view kOne =
      "SELECT (SELECT status FROM users WHERE id = ?), (SELECT id FROM wallets WHERE user_id = ? AND "
      "currency = ?)";
  static constexpr std::string_view kTwo =
      "SELECT (SELECT status FROM users WHERE id = ?), (SELECT id FROM wallets WHERE user_id = ? AND "
      "currency = ?), "
      "(SELECT status FROM users WHERE id = ?), (SELECT id FROM wallets WHERE user_id = ? AND currency = ?), "
      "(SELECT count(*) FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND "
      "blocked_id = ?))";
  // SQLite, with the balances: LEFT JOINs on the keys, so one wallet index seek and one row read give
  // both the id and the balance (two scalar subqueries would seek the index twice).
  static constexpr std::string_view kOneBalance =
      "SELECT u0.status, w0.id, w0.balance FROM (SELECT 1) LEFT JOIN users u0 ON u0.id = ?1 "
      "LEFT JOIN wallets w0 ON w0.user_id = ?1 AND w0.currency = ?2";
  static constexpr std::string_view kTwoBalances =
      "SELECT u0.status, w0.id, u1.status, w1.id, "
      "(SELECT count(*) FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND "
      "blocked_id = ?1)), w0.balance, w1.balance FROM (SELECT 1) LEFT JOIN users u0 ON u0.id = ?1 "
      "LEFT JOIN wallets w0 ON w0.user_id = ?1 AND w0.currency = ?3 LEFT JOIN users u1 ON u1.id = ?2 "
      "LEFT JOIN wallets w1 ON w1.user_id = ?2 AND w1.currency = ?3";
  if (ps.empty() || ps.size() > 2)
    return absl::InternalError("wallets: CheckAndLocate takes one or two users");
  const int64_t u0 = ps[0].user_id;
  const int64_t u1 = pair ? ps[1].user_id : 0;
  absl::StatusOr<ResultSet> pre =
      pair ? (balances ? c.Execute(kTwoBalances, {u0, u1, currency})
                       : c.Execute(kTwo, {u0, u0, currency, u1, u1, currency, u0, u1, u1, u0}))
           : (balances ? c.Execute(kOneBalance, {u0, currency}) : c.Execute(kOne, {u0, u0, currency}));
  DAIRA_RETURN_IF_ERROR(pre.status());
  const store::Row& row = pre->front();
  const int first_balance = pair ? 5 : 2;
  std::vector<Located> wallets(ps.size());
  bool missing = false;
  for (size_t i = 0; i < ps.size(); ++i) {
    const int status_column = static_cast<int>(2 * i);
    if (row.IsNull(status_column)) return NotFoundField(op, ps[i].field, ps[i].user_id);
    const std::string_view status = row.Text(status_column);
    const bool allowed =
        ps[i].standing == Standing::kActive ? status == "ACTIVE" : status != "DELETED" && status != "BANNED";
    if (!allowed) {
      return Precondition(op, ps[i].field, absl::StrCat("is ", ToAbsl(status), " (got ", ps[i].user_id, ")"));
    }
    if (!row.IsNull(status_column + 1)) {
      wallets[i].id = row.Int64(status_column + 1);
      if (balances) wallets[i].balance = row.Int64(first_balance + static_cast<int>(i));
    }
    missing = missing || wallets[i].id == 0;
  }
  if (pair && row.Int64(4) > 0) {
    return Precondition(op, ps[1].field, absl::StrCat("is blocked (got ", ps[1].user_id, ")"));
  }
  if (!missing) return wallets;
  std::vector<int64_t> users;
  for (const Party& p : ps) users.push_back(p.user_id);
  DAIRA_ASSIGN_OR_RETURN(std::vector<int64_t> ids, EnsureWallets(c, deps, std::move(users), currency, now));
  for (size_t i = 0; i < ids.size(); ++i) {
    // A wallet created just now holds 0; one another call created meanwhile (Postgres) is read back.
    if (wallets[i].id == 0) wallets[i] = {.id = ids[i], .balance = -1};
  }
  return wallets;
}

// A change to one wallet row.
struct WalletDelta {
  int64_t wallet_id = 0;
  int64_t balance = 0;
  int64_t earned = 0;
  int64_t spent = 0;
  int64_t tips = 0;
  bool payout = false;  // set last_payout_at = now
  // The wallet's balance before, when the caller read it in this transaction under SQLite's write
  // lock (Located::balance); -1 = unknown (read back after the update).
  int64_t before = -1;
};

absl::StatusOr<int64_t> CurrentBalance(Connection& c, int64_t wallet) {
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute("SELECT balance FROM wallets WHERE id = ?", {wallet}));
  return rs.empty() ? 0 : rs.front().Int64(0);
}

// Applies the deltas in wallet-id order (the lock order every money call shares) and returns the new
// balances by wallet id. A debit that would leave a balance negative → FailedPrecondition naming
// "amount", and the caller's transaction rolls back.
absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> ApplyDeltas(Connection& c, std::string_view op,
                                                                     std::vector<WalletDelta> deltas,
                                                                     int64_t now) {
  std::sort(deltas.begin(), deltas.end(),
            [](const WalletDelta& a, const WalletDelta& b) { return a.wallet_id < b.wallet_id; });
  // Postgres: the new balance comes back with the update (RETURNING), the updates in one pipeline.
  // SQLite: RETURNING buffers its rows in an ephemeral b-tree — a temporary pager whose page cache is
  // allocated and freed on every execution, which with glibc's malloc trims the heap and faults it back
  // in (perf: a large part of a tip's CPU). There the update's change count says whether a debit was
  // refused, and one SELECT reads the balances after.
  const bool returning = IsPostgres(c);
  static constexpr std::string_view kSql =
      "UPDATE wallets SET balance = balance + ?, "
      "earned_total = CASE WHEN earned_total + ? < 0 THEN 0 ELSE earned_total + ? END, "
      "spent_total = CASE WHEN spent_total + ? < 0 THEN 0 ELSE spent_total + ? END, "
      "tips_received = CASE WHEN tips_received + ? < 0 THEN 0 ELSE tips_received + ? END, "
      "last_payout_at = CASE WHEN ? = 1 THEN ? ELSE last_payout_at END, updated_at = ? "
      "WHERE id = ? AND balance + ? >= 0";
  static const std::string kReturning = absl::StrCat(ToAbsl(kSql), " RETURNING balance");
  std::vector<store::BatchStatement> batch;
  batch.reserve(deltas.size());
  for (const WalletDelta& d : deltas) {
    batch.push_back({returning ? kReturning : std::string(kSql),
                     {d.balance, d.earned, d.earned, d.spent, d.spent, d.tips, d.tips,
                      int64_t{d.payout ? 1 : 0}, now, now, d.wallet_id, d.balance}});
  }
  // One round trip on Postgres; a refused debit updates nothing and the caller's transaction rolls back.
  DAIRA_ASSIGN_OR_RETURN(std::vector<ResultSet> results, c.ExecuteBatch(batch));
  std::vector<std::pair<int64_t, int64_t>> balances;
  for (size_t i = 0; i < deltas.size(); ++i) {
    const WalletDelta& d = deltas[i];
    if (returning ? results[i].empty() : results[i].rows_affected() == 0) {
      return Precondition(
          op, "amount",
          absl::StrCat("exceeds the balance of wallet ", d.wallet_id, " (needs ", -d.balance, ")"));
    }
    if (returning) balances.emplace_back(d.wallet_id, results[i].front().Int64(0));
  }
  if (returning) return balances;
  // SQLite: the update succeeded, so a balance read before it in this transaction plus the delta is
  // the new one (nothing else writes meanwhile). The others are read back one by one, with a fixed
  // point SELECT kept prepared: `id = ? OR id = ?` or an IN list would build an ephemeral index (a
  // temporary b-tree, allocated and zeroed on every execution).
  for (size_t i = 0; i < deltas.size(); ++i) {
    const WalletDelta& d = deltas[i];
    if (i > 0 && deltas[i - 1].wallet_id == d.wallet_id) continue;  // read with its first delta
    const bool once = i + 1 == deltas.size() || deltas[i + 1].wallet_id != d.wallet_id;
    if (once && d.before >= 0) {
      balances.emplace_back(d.wallet_id, d.before + d.balance);
      continue;
    }
    DAIRA_ASSIGN_OR_RETURN(const int64_t balance, CurrentBalance(c, d.wallet_id));
    balances.emplace_back(d.wallet_id, balance);
  }
  return balances;
}

int64_t BalanceOf(const std::vector<std::pair<int64_t, int64_t>>& balances, int64_t wallet) {
  for (const auto& [w, b] : balances) {
    if (w == wallet) return b;
  }
  return 0;
}

struct Line {
  std::string_view account;  // WALLET | PLATFORM | EXTERNAL | HOLD
  int64_t wallet_id = 0;     // WALLET only
  int64_t amount = 0;        // signed; 0 lines are skipped
};

// Adds a movement's lines (one statement) to `w`. They must sum to zero: checked here, before writing.
absl::Status PostLines(Writes& w, const ServiceDeps& deps, int64_t txn, std::string_view currency,
                       const std::vector<Line>& lines, int64_t now) {
  // The statement text for 1..kCached rows, built once (a movement has 2 or 3 lines).
  static constexpr size_t kCached = 4;
  static const std::vector<std::string> kTexts = [] {
    std::vector<std::string> texts(kCached + 1);
    for (size_t n = 1; n <= kCached; ++n) {
      texts[n] =
          "INSERT INTO ledger_lines (id, transaction_id, account, wallet_id, amount, currency, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)";
      for (size_t i = 1; i < n; ++i) texts[n] += ", (?, ?, ?, ?, ?, ?, ?)";
    }
    return texts;
  }();
  int64_t sum = 0;
  size_t rows = 0;
  std::vector<Value> params;
  params.reserve(7 * lines.size());
  for (const Line& l : lines) {
    sum += l.amount;
    if (l.amount == 0) continue;
    DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps.NextId());
    ++rows;
    params.emplace_back(id);
    params.emplace_back(txn);
    params.emplace_back(l.account);
    params.push_back(l.account == "WALLET" ? Value(l.wallet_id) : Value());
    params.emplace_back(l.amount);
    params.emplace_back(currency);
    params.emplace_back(now);
  }
  if (sum != 0) return absl::InternalError(absl::StrCat("wallets: movement ", txn, " lines sum to ", sum));
  if (rows == 0) return absl::OkStatus();
  std::string sql = kTexts[std::min(rows, kCached)];
  for (size_t i = kCached; i < rows; ++i) sql += ", (?, ?, ?, ?, ?, ?, ?)";
  w.Add(std::move(sql), std::move(params));
  return absl::OkStatus();
}

struct NewMovement {
  TransactionType type;
  TransactionStatus status;
  int64_t wallet_id = 0;
  int64_t counterparty = 0;
  int64_t amount = 0;
  int64_t fee = 0;
  std::string currency;
  int64_t balance_after = 0;
  int64_t refund_of = 0;
  std::optional<std::string> description{};
  std::string metadata = "{}";
};

// Adds the journal row to `w`; returns its id.
absl::StatusOr<int64_t> InsertMovement(Writes& w, const ServiceDeps& deps, const NewMovement& m,
                                       int64_t now) {
  DAIRA_ASSIGN_OR_RETURN(const int64_t id, deps.NextId());
  const bool done = m.status == TransactionStatus::kCompleted;
  w.Add(
      "INSERT INTO transactions (id, wallet_id, counterparty_wallet_id, type, status, amount, currency, "
      "balance_after, metadata, created_at, updated_at, completed_at, description, fee, refund_of) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {id, m.wallet_id, m.counterparty ? Value(m.counterparty) : Value(), model::ToString(m.type),
       model::ToString(m.status), m.amount, m.currency, m.balance_after, Value::Json(m.metadata), now, now,
       done ? Value(now) : Value(), m.description ? Value(*m.description) : Value(), m.fee,
       m.refund_of ? Value(m.refund_of) : Value()});
  return id;
}

Movement MakeMovement(int64_t id, const NewMovement& n, int64_t user, int64_t now) {
  Movement m;
  m.id = TransactionId{id};
  m.type = n.type;
  m.status = n.status;
  m.user_id = UserId{user};
  m.wallet_id = WalletId{n.wallet_id};
  if (n.counterparty) m.counterparty_wallet_id = WalletId{n.counterparty};
  m.amount = n.amount;
  m.fee = n.fee;
  m.currency = n.currency;
  m.balance_after = n.balance_after;
  if (n.refund_of) m.refund_of = TransactionId{n.refund_of};
  m.description = n.description;
  m.created_at = FromUnixMicros(now);
  return m;
}

constexpr std::string_view kMovementSelect =
    "SELECT t.id, t.type, t.status, w.user_id, t.wallet_id, t.counterparty_wallet_id, t.amount, t.fee, "
    "t.currency, t.balance_after, t.refund_of, t.description, t.created_at "
    "FROM transactions t JOIN wallets w ON w.id = t.wallet_id WHERE t.id = ?";

absl::StatusOr<Movement> LoadMovement(Connection& c, std::string_view op, int64_t id, bool lock) {
  std::string sql(kMovementSelect);
  if (lock && IsPostgres(c)) sql += " FOR UPDATE OF t";
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs, c.Execute(sql, {id}));
  if (rs.empty()) return NotFoundField(op, "transaction_id", id);
  const store::Row& r = rs.front();
  Movement m;
  m.id = TransactionId{r.Int64(0)};
  if (!model::Parse(r.Text(1), &m.type) || !model::Parse(r.Text(2), &m.status)) {
    return absl::DataLossError(absl::StrCat("transactions: row ", id, " has an unknown type or status"));
  }
  m.user_id = UserId{r.Int64(3)};
  m.wallet_id = WalletId{r.Int64(4)};
  if (!r.IsNull(5)) m.counterparty_wallet_id = WalletId{r.Int64(5)};
  m.amount = r.Int64(6);
  m.fee = r.Int64(7);
  m.currency = r.Text(8);
  m.balance_after = r.IsNull(9) ? 0 : r.Int64(9);
  if (!r.IsNull(10)) m.refund_of = TransactionId{r.Int64(10)};
  if (!r.IsNull(11)) m.description = r.Text(11);
  m.created_at = FromUnixMicros(r.Int64(12));
  return m;
}

absl::Status SettleRow(Connection& c, int64_t id, TransactionStatus status, int64_t balance_after,
                       int64_t now) {
  return c
      .Execute(
          "UPDATE transactions SET status = ?, balance_after = ?, updated_at = ?, "
          "completed_at = CASE WHEN ? = 'COMPLETED' THEN ? ELSE completed_at END "
          "WHERE id = ? AND status = 'PENDING'",
          {model::ToString(status), balance_after, now, model::ToString(status), now, id})
      .status();
}

std::string Scope(int64_t user) { return absl::StrCat("money:user:", user); }

}  // namespace

Wallets::Wallets(const ServiceDeps& deps, WalletsOptions options)
    : deps_(deps), options_(std::move(options)) {
  if (options_.idempotency_retention < std::chrono::hours(24))
    options_.idempotency_retention = std::chrono::hours(24);
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  options_.tip_fee_bps = std::clamp<int64_t>(options_.tip_fee_bps, 0, 9999);
}

namespace {

// Whether a money call may share its COMMIT with concurrent ones (SQLite group commit,
// store/group_commit.h). Not when it calls out of daira inside its transaction (a provider refund):
// the others of its group would wait for the provider.
enum class Grouping { kGrouped, kAlone };

// Runs one money call: validates nothing (callers did), claims the key, runs `body` and stores its
// result under the key, all in one transaction retried on Aborted. `body` adds the writes nobody reads
// back to its Writes; they go out with the key's result in one batch after it returns. On SQLite,
// concurrent calls are grouped (each in its own savepoint, one COMMIT) unless `grouping` says alone or
// ctx has a transaction open (the call joins it).
template <typename Body>
absl::StatusOr<Movement> RunKeyed(const ServiceDeps& deps, const WalletsOptions& options,
                                  const RequestContext& ctx, std::string_view op, const IdemKey& key,
                                  Body&& body, Grouping grouping = Grouping::kGrouped) {
  Movement out;
  store::Database::TransactionOptions topts;
  topts.max_attempts = options.max_attempts;
  const auto run = grouping == Grouping::kGrouped ? &store::internal::RunGrouped
                                                  : +[](store::Database& db, const RequestContext& c,
                                                        const std::function<absl::Status(Connection&)>& fn,
                                                        const store::Database::TransactionOptions& o) {
                                                      return db.RunInTransaction(c, fn, o);
                                                    };
  DAIRA_RETURN_IF_ERROR(run(
      *deps.db, ctx,
      [&](Connection& c) -> absl::Status {
        const int64_t now = deps.NowMicros();
        const int64_t expires =
            now +
            std::chrono::duration_cast<std::chrono::microseconds>(options.idempotency_retention).count();
        bool insert_at_finish = false;
        DAIRA_ASSIGN_OR_RETURN(std::optional<Movement> stored,
                               ClaimKey(c, op, key, now, expires, &insert_at_finish));
        if (stored) {
          out = *std::move(stored);
          return absl::OkStatus();
        }
        Writes writes;
        DAIRA_ASSIGN_OR_RETURN(out, body(c, now, writes));
        FinishKey(writes, key, out, now, expires, insert_at_finish);
        return writes.Flush(c);
      },
      topts));
  return out;
}

}  // namespace

absl::StatusOr<Movement> Wallets::Deposit(const RequestContext& ctx, const DepositRequest& r) {
  DAIRA_RETURN_IF_ERROR(r.Validate());
  const IdemKey key{
      Scope(r.user_id), r.idempotency_key,
      RequestHash(absl::StrCat("deposit|", r.user_id, "|", r.amount, "|", r.currency, "|", r.provider)),
      r.user_id};
  return RunKeyed(deps_, options_, ctx, kDeposit, key,
                  [&](Connection& c, int64_t now, Writes& writes) -> absl::StatusOr<Movement> {
                    DAIRA_ASSIGN_OR_RETURN(
                        auto wallets,
                        CheckAndLocate(c, deps_, kDeposit, {{"user_id", r.user_id}}, r.currency, now));
                    int64_t balance = wallets[0].balance;
                    if (balance < 0) {
                      DAIRA_ASSIGN_OR_RETURN(balance, CurrentBalance(c, wallets[0].id));
                    }
                    JsonWriter meta;
                    meta.BeginObject().Key("provider").String(r.provider).EndObject();
                    NewMovement n{.type = TransactionType::kDeposit,
                                  .status = TransactionStatus::kPending,
                                  .wallet_id = wallets[0].id,
                                  .amount = r.amount,
                                  .currency = r.currency,
                                  .balance_after = balance,
                                  .metadata = meta.Take()};
                    DAIRA_ASSIGN_OR_RETURN(const int64_t id, InsertMovement(writes, deps_, n, now));
                    return MakeMovement(id, n, r.user_id, now);
                  });
}

absl::StatusOr<Movement> Wallets::Withdraw(const RequestContext& ctx, const WithdrawRequest& r) {
  DAIRA_RETURN_IF_ERROR(r.Validate());
  const IdemKey key{
      Scope(r.user_id), r.idempotency_key,
      RequestHash(absl::StrCat("withdraw|", r.user_id, "|", r.amount, "|", r.currency, "|", r.provider)),
      r.user_id};
  return RunKeyed(
      deps_, options_, ctx, kWithdraw, key,
      [&](Connection& c, int64_t now, Writes& writes) -> absl::StatusOr<Movement> {
        DAIRA_ASSIGN_OR_RETURN(
            auto wallets, CheckAndLocate(c, deps_, kWithdraw, {{"user_id", r.user_id}}, r.currency, now));
        DAIRA_ASSIGN_OR_RETURN(
            auto balances,
            ApplyDeltas(c, kWithdraw,
                        {{.wallet_id = wallets[0].id, .balance = -r.amount, .before = wallets[0].balance}},
                        now));
        JsonWriter meta;
        meta.BeginObject().Key("provider").String(r.provider).EndObject();
        NewMovement n{.type = TransactionType::kWithdrawal,
                      .status = TransactionStatus::kPending,
                      .wallet_id = wallets[0].id,
                      .amount = r.amount,
                      .currency = r.currency,
                      .balance_after = BalanceOf(balances, wallets[0].id),
                      .metadata = meta.Take()};
        DAIRA_ASSIGN_OR_RETURN(const int64_t id, InsertMovement(writes, deps_, n, now));
        DAIRA_RETURN_IF_ERROR(PostLines(writes, deps_, id, r.currency,
                                        {{"WALLET", wallets[0].id, -r.amount}, {"HOLD", 0, r.amount}}, now));
        return MakeMovement(id, n, r.user_id, now);
      });
}

absl::StatusOr<Movement> Wallets::Tip(const RequestContext& ctx, const TipRequest& r) {
  DAIRA_RETURN_IF_ERROR(r.Validate());
  const IdemKey key{
      Scope(r.sender_id), r.idempotency_key,
      RequestHash(absl::StrCat("tip|", r.sender_id, "|", r.receiver_id, "|", r.amount, "|", r.currency, "|",
                               r.note.has_value() ? "1" : "0", r.note.value_or(""))),
      r.sender_id};
  return RunKeyed(
      deps_, options_, ctx, kTip, key,
      [&](Connection& c, int64_t now, Writes& writes) -> absl::StatusOr<Movement> {
        DAIRA_ASSIGN_OR_RETURN(std::vector<Located> wallets,
                               CheckAndLocate(c, deps_, kTip,
                                              {{"sender_id", r.sender_id, Standing::kActive},
                                               {"receiver_id", r.receiver_id, Standing::kActive}},
                                              r.currency, now));
        const int64_t fee = r.amount * options_.tip_fee_bps / 10000;
        const int64_t net = r.amount - fee;
        DAIRA_ASSIGN_OR_RETURN(auto balances, ApplyDeltas(c, kTip,
                                                          {{.wallet_id = wallets[0].id,
                                                            .balance = -r.amount,
                                                            .spent = r.amount,
                                                            .before = wallets[0].balance},
                                                           {.wallet_id = wallets[1].id,
                                                            .balance = net,
                                                            .earned = net,
                                                            .tips = net,
                                                            .before = wallets[1].balance}},
                                                          now));
        NewMovement n{.type = TransactionType::kTip,
                      .status = TransactionStatus::kCompleted,
                      .wallet_id = wallets[0].id,
                      .counterparty = wallets[1].id,
                      .amount = r.amount,
                      .fee = fee,
                      .currency = r.currency,
                      .balance_after = BalanceOf(balances, wallets[0].id),
                      .description = r.note};
        DAIRA_ASSIGN_OR_RETURN(const int64_t id, InsertMovement(writes, deps_, n, now));
        DAIRA_RETURN_IF_ERROR(PostLines(
            writes, deps_, id, r.currency,
            {{"WALLET", wallets[0].id, -r.amount}, {"WALLET", wallets[1].id, net}, {"PLATFORM", 0, fee}},
            now));
        return MakeMovement(id, n, r.sender_id, now);
      });
}

absl::StatusOr<Movement> Wallets::Earn(const RequestContext& ctx, const EarningRequest& r) {
  Violations v;
  v.Id("user_id", r.user_id);
  v.Amount("amount", r.amount, kMaxTransferAmount);
  v.Currency("currency", r.currency);
  v.Token("idempotency_key", r.idempotency_key, kMinIdempotencyKeyLength, kMaxIdempotencyKeyLength);
  if (r.description) v.Text("description", *r.description, 0, kMaxTransactionDescriptionLength, false);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kEarn));
  const IdemKey key{
      "money:earning", r.idempotency_key,
      RequestHash(absl::StrCat("earning|", r.user_id, "|", r.amount, "|", r.currency, "|",
                               r.description.has_value() ? "1" : "0", r.description.value_or(""))),
      0};
  return RunKeyed(
      deps_, options_, ctx, kEarn, key,
      [&](Connection& c, int64_t now, Writes& writes) -> absl::StatusOr<Movement> {
        DAIRA_ASSIGN_OR_RETURN(auto wallets,
                               CheckAndLocate(c, deps_, kEarn, {{"user_id", r.user_id}}, r.currency, now));
        DAIRA_ASSIGN_OR_RETURN(auto balances, ApplyDeltas(c, kEarn,
                                                          {{.wallet_id = wallets[0].id,
                                                            .balance = r.amount,
                                                            .earned = r.amount,
                                                            .before = wallets[0].balance}},
                                                          now));
        NewMovement n{.type = TransactionType::kEarning,
                      .status = TransactionStatus::kCompleted,
                      .wallet_id = wallets[0].id,
                      .amount = r.amount,
                      .currency = r.currency,
                      .balance_after = BalanceOf(balances, wallets[0].id),
                      .description = r.description};
        DAIRA_ASSIGN_OR_RETURN(const int64_t id, InsertMovement(writes, deps_, n, now));
        DAIRA_RETURN_IF_ERROR(PostLines(writes, deps_, id, r.currency,
                                        {{"WALLET", wallets[0].id, r.amount}, {"PLATFORM", 0, -r.amount}},
                                        now));
        return MakeMovement(id, n, r.user_id, now);
      });
}

namespace {

// A refund, immediate (Wallets::Refund: COMPLETED, its lines at once) or through the provider
// (`ask` set: a deposit only; the amount is held, PENDING until the provider's webhook). Both share the
// rules (what may be refunded, how much remains, the balance), the key scope and the audit row.
absl::StatusOr<Movement> DoRefund(const ServiceDeps& deps, const WalletsOptions& options,
                                  const RequestContext& ctx, const RefundRequest& r,
                                  const internal::AskProvider* ask) {
  Violations v;
  v.Id("transaction_id", r.transaction_id);
  v.Amount("amount", r.amount, kMaxTransferAmount);
  v.Token("idempotency_key", r.idempotency_key, kMinIdempotencyKeyLength, kMaxIdempotencyKeyLength);
  if (r.reason) v.Text("reason", *r.reason, 0, kMaxTransactionDescriptionLength, false);
  if (r.actor_id) v.Id("actor_id", *r.actor_id);
  DAIRA_RETURN_IF_ERROR(v.ToStatus(kRefund));
  // One scope for both kinds: a key used for a wallet refund is "a different request" for a provider
  // refund, and the other way round.
  const IdemKey key{
      "money:refund", r.idempotency_key,
      RequestHash(absl::StrCat(ask != nullptr ? "provider-refund|" : "refund|", r.transaction_id, "|",
                               r.amount, "|", r.reason.has_value() ? "1" : "0", r.reason.value_or(""))),
      0};
  return RunKeyed(
      deps, options, ctx, kRefund, key,
      [&](Connection& c, int64_t now, Writes& writes) -> absl::StatusOr<Movement> {
        // The original first (locked): concurrent refunds of one movement serialize here.
        DAIRA_ASSIGN_OR_RETURN(Movement orig, LoadMovement(c, kRefund, r.transaction_id, /*lock=*/true));
        if (ask != nullptr && orig.type != TransactionType::kDeposit) {
          return Precondition(
              kRefund, "transaction_id",
              absl::StrCat("is a ", ToAbsl(model::ToString(orig.type)),
                           "; only a DEPOSIT is refunded through its provider (got ", r.transaction_id, ")"));
        }
        if (orig.type != TransactionType::kDeposit && orig.type != TransactionType::kTip &&
            orig.type != TransactionType::kEarning) {
          return Precondition(
              kRefund, "transaction_id",
              absl::StrCat("is a ", ToAbsl(model::ToString(orig.type)),
                           "; only DEPOSIT, TIP and EARNING can be refunded (got ", r.transaction_id, ")"));
        }
        if (orig.status != TransactionStatus::kCompleted) {
          return Precondition(kRefund, "transaction_id",
                              absl::StrCat("is ", ToAbsl(model::ToString(orig.status)),
                                           ", not COMPLETED (got ", r.transaction_id, ")"));
        }
        // A provider refund still PENDING counts: its amount is promised (and held) already.
        DAIRA_ASSIGN_OR_RETURN(
            ResultSet done,
            c.Execute("SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(fee), 0) FROM transactions "
                      "WHERE refund_of = ? AND status <> 'FAILED'",
                      {r.transaction_id}));
        const int64_t refunded = done.front().Int64(0);
        const int64_t refunded_fee = done.front().Int64(1);
        const int64_t remaining = orig.amount - refunded;
        if (remaining <= 0) {
          return Precondition(kRefund, "transaction_id",
                              absl::StrCat("is already fully refunded (got ", r.transaction_id, ")"));
        }
        if (r.amount > remaining) {
          return Precondition(
              kRefund, "amount",
              absl::StrCat("exceeds what remains to refund (got ", r.amount, ", remaining ", remaining, ")"));
        }
        const int64_t w = orig.wallet_id.value;
        int64_t fee_back = 0;
        std::vector<WalletDelta> deltas;
        std::vector<Line> lines;
        switch (orig.type) {
          case TransactionType::kDeposit:
            deltas.push_back({.wallet_id = w, .balance = -r.amount});
            // Through the provider the money waits in HOLD until it confirms (SettleProviderRefund).
            lines = {{"WALLET", w, -r.amount}, {ask != nullptr ? "HOLD" : "EXTERNAL", 0, r.amount}};
            break;
          case TransactionType::kEarning:
            deltas.push_back({.wallet_id = w, .balance = -r.amount, .earned = -r.amount});
            lines = {{"WALLET", w, -r.amount}, {"PLATFORM", 0, r.amount}};
            break;
          default: {  // TIP: the fee comes back in proportion, cumulatively, so a full refund returns it
                      // exactly
            const int64_t receiver = orig.counterparty_wallet_id ? orig.counterparty_wallet_id->value : 0;
            fee_back = (refunded + r.amount) * orig.fee / orig.amount - refunded_fee;
            const int64_t net_back = r.amount - fee_back;
            deltas.push_back({.wallet_id = w, .balance = r.amount, .spent = -r.amount});
            deltas.push_back(
                {.wallet_id = receiver, .balance = -net_back, .earned = -net_back, .tips = -net_back});
            lines = {{"WALLET", w, r.amount}, {"WALLET", receiver, -net_back}, {"PLATFORM", 0, -fee_back}};
            break;
          }
        }
        DAIRA_ASSIGN_OR_RETURN(auto balances, ApplyDeltas(c, kRefund, std::move(deltas), now));
        NewMovement n{.type = TransactionType::kRefund,
                      .status = ask != nullptr ? TransactionStatus::kPending : TransactionStatus::kCompleted,
                      .wallet_id = w,
                      .counterparty = orig.counterparty_wallet_id ? orig.counterparty_wallet_id->value : 0,
                      .amount = r.amount,
                      .fee = fee_back,
                      .currency = orig.currency,
                      .balance_after = BalanceOf(balances, w),
                      .refund_of = r.transaction_id,
                      .description = r.reason};
        // Last, once every rule passed and the money is held: the provider is asked only for a refund
        // daira will record (an error from it rolls the hold back).
        if (ask != nullptr) {
          DAIRA_ASSIGN_OR_RETURN(n.metadata, (*ask)(orig, r.amount));
        }
        DAIRA_ASSIGN_OR_RETURN(const int64_t id, InsertMovement(writes, deps, n, now));
        DAIRA_RETURN_IF_ERROR(PostLines(writes, deps, id, orig.currency, lines, now));
        // The refund's audit row, in the same transaction (docs/moderation.md: a tamper-evident chain).
        JsonWriter changes;
        changes.BeginObject()
            .Key("refund_of")
            .Int(r.transaction_id)
            .Key("amount")
            .Int(r.amount)
            .Key("currency")
            .String(orig.currency)
            .Key("fee_returned")
            .Int(fee_back);
        if (ask != nullptr) changes.Key("status").String("PENDING").Key("provider").Raw(n.metadata);
        changes.EndObject();
        DAIRA_RETURN_IF_ERROR(
            AuditLog(deps)
                .Append(ctx,
                        {.actor_id = r.actor_id ? std::optional<UserId>(UserId{*r.actor_id}) : std::nullopt,
                         .action = ask != nullptr ? "payment.refund" : "wallet.refund",
                         .resource_type = "transaction",
                         .resource_id = id,
                         .changes = changes.Take(),
                         .reason = r.reason})
                .status());
        return MakeMovement(id, n, orig.user_id.value, now);
      },
      ask != nullptr ? Grouping::kAlone : Grouping::kGrouped);
}

}  // namespace

absl::StatusOr<Movement> Wallets::Refund(const RequestContext& ctx, const RefundRequest& r) {
  return DoRefund(deps_, options_, ctx, r, nullptr);
}

absl::StatusOr<Movement> internal::RefundThroughProvider(const ServiceDeps& deps,
                                                         const WalletsOptions& options,
                                                         const RequestContext& ctx, const RefundRequest& r,
                                                         const AskProvider& ask) {
  return DoRefund(deps, options, ctx, r, &ask);
}

namespace {

// Settles a PENDING deposit, withdrawal or provider refund to `target`, idempotently by state.
absl::StatusOr<Movement> Settle(const ServiceDeps& deps, const WalletsOptions& options,
                                const RequestContext& ctx, std::string_view op, TransactionId id,
                                TransactionType type, TransactionStatus target) {
  if (id.value <= 0)
    return InvalidField(op, "transaction_id", absl::StrCat("must be > 0 (got ", id.value, ")"));
  Movement out;
  store::Database::TransactionOptions topts;
  topts.max_attempts = options.max_attempts;
  DAIRA_RETURN_IF_ERROR(deps.db->RunInTransaction(
      ctx,
      [&](Connection& c) -> absl::Status {
        const int64_t now = deps.NowMicros();
        DAIRA_ASSIGN_OR_RETURN(Movement m, LoadMovement(c, op, id.value, /*lock=*/true));
        if (m.type != type) {
          return InvalidField(op, "transaction_id",
                              absl::StrCat("is a ", ToAbsl(model::ToString(m.type)), ", not a ",
                                           ToAbsl(model::ToString(type)), " (got ", id.value, ")"));
        }
        if (m.status == target) {
          out = std::move(m);
          return absl::OkStatus();
        }
        if (m.status != TransactionStatus::kPending) {
          return Precondition(op, "status",
                              absl::StrCat("is already ", ToAbsl(model::ToString(m.status)), " (transaction ",
                                           id.value, ")"));
        }
        const int64_t w = m.wallet_id.value;
        int64_t balance_after = m.balance_after;
        std::vector<Line> lines;
        if (type == TransactionType::kDeposit && target == TransactionStatus::kCompleted) {
          DAIRA_ASSIGN_OR_RETURN(auto b, ApplyDeltas(c, op, {{.wallet_id = w, .balance = m.amount}}, now));
          balance_after = BalanceOf(b, w);
          lines = {{"WALLET", w, m.amount}, {"EXTERNAL", 0, -m.amount}};
        } else if (type == TransactionType::kWithdrawal && target == TransactionStatus::kCompleted) {
          DAIRA_RETURN_IF_ERROR(ApplyDeltas(c, op, {{.wallet_id = w, .payout = true}}, now).status());
          lines = {{"HOLD", 0, -m.amount}, {"EXTERNAL", 0, m.amount}};
        } else if (type == TransactionType::kRefund && target == TransactionStatus::kCompleted) {
          lines = {{"HOLD", 0, -m.amount}, {"EXTERNAL", 0, m.amount}};  // the provider paid it back
        } else if (type == TransactionType::kWithdrawal || type == TransactionType::kRefund) {
          // Failed: release the hold.
          DAIRA_ASSIGN_OR_RETURN(auto b, ApplyDeltas(c, op, {{.wallet_id = w, .balance = m.amount}}, now));
          balance_after = BalanceOf(b, w);
          lines = {{"HOLD", 0, -m.amount}, {"WALLET", w, m.amount}};
        }
        DAIRA_RETURN_IF_ERROR(SettleRow(c, id.value, target, balance_after, now));
        Writes writes;
        DAIRA_RETURN_IF_ERROR(PostLines(writes, deps, id.value, m.currency, lines, now));
        DAIRA_RETURN_IF_ERROR(writes.Flush(c));
        m.status = target;
        m.balance_after = balance_after;
        out = std::move(m);
        return absl::OkStatus();
      },
      topts));
  return out;
}

}  // namespace

absl::StatusOr<Movement> Wallets::ConfirmDeposit(const RequestContext& ctx, TransactionId id) {
  return Settle(deps_, options_, ctx, "confirm deposit", id, TransactionType::kDeposit,
                TransactionStatus::kCompleted);
}
absl::StatusOr<Movement> Wallets::FailDeposit(const RequestContext& ctx, TransactionId id) {
  return Settle(deps_, options_, ctx, "fail deposit", id, TransactionType::kDeposit,
                TransactionStatus::kFailed);
}
absl::StatusOr<Movement> Wallets::CompleteWithdrawal(const RequestContext& ctx, TransactionId id) {
  return Settle(deps_, options_, ctx, "complete withdrawal", id, TransactionType::kWithdrawal,
                TransactionStatus::kCompleted);
}
absl::StatusOr<Movement> Wallets::FailWithdrawal(const RequestContext& ctx, TransactionId id) {
  return Settle(deps_, options_, ctx, "fail withdrawal", id, TransactionType::kWithdrawal,
                TransactionStatus::kFailed);
}

absl::StatusOr<Movement> internal::SettleProviderRefund(const ServiceDeps& deps,
                                                        const WalletsOptions& options,
                                                        const RequestContext& ctx, TransactionId id,
                                                        bool succeeded) {
  return Settle(deps, options, ctx, succeeded ? "complete refund" : "fail refund", id,
                TransactionType::kRefund,
                succeeded ? TransactionStatus::kCompleted : TransactionStatus::kFailed);
}

absl::StatusOr<Movement> Wallets::Get(const RequestContext& ctx, TransactionId id) {
  return store::WithConnection(*deps_.db, ctx, store::Access::kRead, [&](Connection& c) {
    return LoadMovement(c, "get movement", id.value, /*lock=*/false);
  });
}

absl::StatusOr<WalletBalance> Wallets::Balance(const RequestContext& ctx, UserId user,
                                               std::string_view currency) {
  Violations v;
  v.Id("user_id", user.value);
  v.Currency("currency", currency);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("balance"));
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs,
      deps_.db->Read(ctx,
                     "SELECT id, balance, earned_total, spent_total, tips_received FROM wallets "
                     "WHERE user_id = ? AND currency = ?",
                     {user.value, currency}));
  WalletBalance b;
  b.currency = std::string(currency);
  if (rs.empty()) return b;
  const store::Row& r = rs.front();
  b.wallet_id = WalletId{r.Int64(0)};
  b.balance = r.Int64(1);
  b.earned_total = r.Int64(2);
  b.spent_total = r.Int64(3);
  b.tips_received = r.Int64(4);
  return b;
}

absl::StatusOr<query::Page<StatementLine>> Wallets::Statement(const RequestContext& ctx, UserId user,
                                                              std::string_view currency,
                                                              const query::PageRequest& page) {
  Violations v;
  v.Id("user_id", user.value);
  v.Currency("currency", currency);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("statement"));
  DAIRA_RETURN_IF_ERROR(page.Validate());
  query::KeysetQuery q{
      .scope = "wallet-statement", .select = {}, .params = {Value(user.value), Value(currency)}, .keys = {}};
  static auto* shapes = new query::KeysetShapes();
  DAIRA_ASSIGN_OR_RETURN(q.shape, shapes->Get(0, q.params.size(), [] {
    return query::KeysetQuery{
        .scope = {},
        .select =
            "SELECT l.id AS line_id, l.transaction_id, l.amount, l.currency, l.created_at, t.type, t.status, "
            "t.description FROM ledger_lines l JOIN transactions t ON t.id = l.transaction_id "
            "JOIN wallets w ON w.id = l.wallet_id",
        .where = "w.user_id = ? AND w.currency = ?",
        .keys = {{.column = "l.id", .type = query::KeyType::kInt64, .result_column = "line_id"}},
        .order = query::SortOrder::kDescending};
  }));
  auto map = [](const store::Row& r) -> absl::StatusOr<StatementLine> {
    StatementLine l;
    l.line_id = r.Int64("line_id");
    l.transaction_id = TransactionId{r.Int64("transaction_id")};
    if (!model::Parse(r.Text("type"), &l.type) || !model::Parse(r.Text("status"), &l.status)) {
      return absl::DataLossError("transactions: unknown type or status");
    }
    l.amount = r.Int64("amount");
    l.currency = r.Text("currency");
    if (!r.IsNull("description")) l.description = r.Text("description");
    l.created_at = FromUnixMicros(r.Int64("created_at"));
    return l;
  };
  const query::CursorCodec codec = deps_.cursor_codec();
  return query::FetchPage(*deps_.db, ctx, q, page, map, {.codec = &codec});
}

absl::StatusOr<int64_t> Wallets::PlatformBalance(const RequestContext& ctx, std::string_view currency) {
  Violations v;
  v.Currency("currency", currency);
  DAIRA_RETURN_IF_ERROR(v.ToStatus("platform balance"));
  DAIRA_ASSIGN_OR_RETURN(ResultSet rs,
                         deps_.db->Read(ctx,
                                        "SELECT COALESCE(SUM(amount), 0) FROM ledger_lines "
                                        "WHERE account = 'PLATFORM' AND currency = ? AND wallet_id IS NULL",
                                        {currency}));
  return rs.front().Int64(0);
}

absl::StatusOr<Wallets::LedgerReport> Wallets::CheckLedger(const RequestContext& ctx) {
  LedgerReport report;
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet ws,
      deps_.db->Read(ctx,
                     "SELECT w.id, w.balance, COALESCE(s.total, 0) FROM wallets w LEFT JOIN "
                     "(SELECT wallet_id, SUM(amount) AS total FROM ledger_lines WHERE wallet_id IS NOT NULL "
                     "GROUP BY wallet_id) s ON s.wallet_id = w.id WHERE w.balance <> COALESCE(s.total, 0) "
                     "ORDER BY w.id"));
  for (const store::Row& r : ws) {
    report.wallets.push_back(
        {.wallet_id = WalletId{r.Int64(0)}, .balance = r.Int64(1), .lines_sum = r.Int64(2)});
  }
  DAIRA_ASSIGN_OR_RETURN(ResultSet un,
                         deps_.db->Read(ctx,
                                        "SELECT transaction_id FROM ledger_lines GROUP BY transaction_id "
                                        "HAVING SUM(amount) <> 0 ORDER BY transaction_id"));
  for (const store::Row& r : un) report.unbalanced.push_back(TransactionId{r.Int64(0)});
  return report;
}

absl::StatusOr<int64_t> Wallets::PurgeExpiredKeys(const RequestContext& ctx) {
  DAIRA_ASSIGN_OR_RETURN(
      ResultSet rs,
      deps_.db->Execute(ctx,
                        "DELETE FROM idempotency_keys WHERE scope LIKE 'money:%' AND expires_at <= ? "
                        "RETURNING key",
                        {deps_.NowMicros()}));
  return static_cast<int64_t>(rs.size());
}

}  // namespace daira::inline v0::services
