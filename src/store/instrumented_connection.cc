#include "store/instrumented_connection.h"

#include <cctype>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/logging.h"
#include "daira/core/status.h"

namespace daira::inline v0::store::internal {

namespace {

constexpr size_t kMaxLoggedSql = 200;

bool StartsWithWord(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != word[i]) return false;
  }
  return s.size() == word.size() || !std::isalnum(static_cast<unsigned char>(s[word.size()]));
}

std::string Truncated(std::string_view sql) {
  if (sql.size() <= kMaxLoggedSql) return std::string(sql);
  return absl::StrCat(ToAbsl(sql.substr(0, kMaxLoggedSql)), "...");
}

}  // namespace

bool MayWrite(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    unsigned char c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c) || c == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      size_t nl = sql.find('\n', i);
      i = nl == std::string_view::npos ? sql.size() : nl + 1;
    } else if (sql.substr(i, 2) == "/*") {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  std::string_view rest = sql.substr(i);
  for (std::string_view w : {"SELECT", "SHOW", "EXPLAIN", "VALUES"}) {
    if (StartsWithWord(rest, w)) {
      // SELECT ... FOR UPDATE takes locks but writes nothing replicas need to see.
      return false;
    }
  }
  return true;
}

// A Statement forwarding to the backend's, with the connection's bookkeeping around Execute.
class InstrumentedConnection::WrappedStatement final : public Statement {
 public:
  WrappedStatement(InstrumentedConnection* owner, Statement* inner)
      : owner_(owner), inner_(inner), may_write_(MayWrite(inner->sql())) {}

  absl::StatusOr<ResultSet> Execute(Params params) override {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<ResultSet> rs = inner_->Execute(params);
    owner_->Record(inner_->sql(), 1, may_write_, std::chrono::steady_clock::now() - start, rs.status());
    return rs;
  }
  int ParameterCount() const override { return inner_->ParameterCount(); }
  std::string_view sql() const override { return inner_->sql(); }

 private:
  InstrumentedConnection* owner_;
  Statement* inner_;
  bool may_write_;
};

InstrumentedConnection::InstrumentedConnection(std::unique_ptr<Connection> inner, StatementCounters* counters,
                                               std::chrono::milliseconds slow_statement)
    : inner_(std::move(inner)), control_(ControlOf(inner_.get())), counters_(counters),
      slow_statement_(slow_statement) {}

InstrumentedConnection::~InstrumentedConnection() {
  statements_.clear();  // wrappers point into inner_'s cache: drop them first
  inner_.reset();
}

void InstrumentedConnection::Attach(const RequestContext& ctx, Access access) {
  ctx_.emplace(ctx);
  if (control_ != nullptr) control_->BindRequest(&*ctx_);
  access_ = access;
  dirty_ = false;
  tx_dirty_ = false;
}

void InstrumentedConnection::Rebind(const RequestContext& ctx) {
  ctx_.emplace(ctx);
  if (control_ != nullptr) control_->BindRequest(&*ctx_);
}

void InstrumentedConnection::Detach() {
  if (control_ != nullptr) {
    control_->BindRequest(nullptr);
    // Nobody holds the evicted statements once the lease ends: drop their wrappers, then free them.
    for (std::unique_ptr<Statement>& st : control_->TakeEvicted()) statements_.erase(st.get());
  }
  ctx_.reset();
  dirty_ = false;
  tx_dirty_ = false;
}

void InstrumentedConnection::Record(std::string_view sql, int64_t count, bool may_write,
                                    std::chrono::steady_clock::duration elapsed, const absl::Status& status) {
  counters_->statements.fetch_add(count, std::memory_order_relaxed);
  if (ctx_) ctx_->CountStatements(count);
  if (!status.ok()) counters_->errors.fetch_add(1, std::memory_order_relaxed);
  if (may_write && status.ok()) {
    if (inner_->InTransaction()) {
      tx_dirty_ = true;
    } else {
      dirty_ = true;
    }
  }
  if (elapsed >= slow_statement_) {
    counters_->slow_statements.fetch_add(1, std::memory_order_relaxed);
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    std::string msg = absl::StrCat("slow statement (", ms, " ms): ", Truncated(sql));
    if (ctx_) {
      Log(LogLevel::kWarning, *ctx_, "store", msg);
    } else {
      Log(LogLevel::kWarning, "store", msg);
    }
  }
}

absl::StatusOr<Statement*> InstrumentedConnection::Prepare(std::string_view sql) {
  return Wrap(sql, inner_->Prepare(sql));
}

absl::StatusOr<Statement*> InstrumentedConnection::Prepare(const SqlText& sql) {
  return Wrap(sql.view(), inner_->Prepare(sql));
}

absl::StatusOr<Statement*> InstrumentedConnection::Wrap(std::string_view sql,
                                                        const absl::StatusOr<Statement*>& st) {
  if (!st.ok()) {
    // A statement that fails to prepare failed as a statement: count it like one.
    Record(sql, 1, false, std::chrono::steady_clock::duration::zero(), st.status());
    return st.status();
  }
  auto& slot = statements_[*st];
  if (slot == nullptr) slot = std::make_unique<WrappedStatement>(this, *st);
  return slot.get();
}

absl::StatusOr<std::vector<ResultSet>> InstrumentedConnection::ExecuteBatch(std::span<const BatchStatement> batch) {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<ResultSet>> out = inner_->ExecuteBatch(batch);
  bool may_write = false;
  for (const BatchStatement& b : batch) may_write = may_write || MayWrite(b.sql);
  std::string sql = batch.empty() ? std::string() : absl::StrCat("[batch of ", batch.size(), "] ", batch[0].sql);
  Record(sql, static_cast<int64_t>(batch.size()), may_write, std::chrono::steady_clock::now() - start,
         out.status());
  return out;
}

absl::Status InstrumentedConnection::ExecuteScript(std::string_view sql) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status st = inner_->ExecuteScript(sql);
  Record(sql, 1, true, std::chrono::steady_clock::now() - start, st);
  return st;
}

absl::Status InstrumentedConnection::Begin(IsolationLevel isolation, bool immediate) {
  tx_dirty_ = false;
  return inner_->Begin(isolation, immediate);
}

absl::Status InstrumentedConnection::Commit() {
  absl::Status st = inner_->Commit();
  if (st.ok()) dirty_ = dirty_ || tx_dirty_;
  tx_dirty_ = false;
  return st;
}

absl::Status InstrumentedConnection::Rollback() {
  tx_dirty_ = false;
  return inner_->Rollback();
}

}  // namespace daira::inline v0::store::internal
