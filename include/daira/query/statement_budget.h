// StatementBudget: how many SQL statements a piece of work ran for one request.
//
// Every statement run through a leased connection is counted on its RequestContext (see
// RequestContext::statements()). A StatementBudget remembers the count when it is created and reports
// the difference, which is how tests prove "100 users = 1 statement" and how a service can guard a
// hot path against N+1 regressions.
//
//   RequestContext ctx;
//   query::StatementBudget budget(ctx, /*max=*/1);
//   DAIRA_ASSIGN_OR_RETURN(auto users, query::LoadMany(db, ctx, "SELECT id FROM users WHERE", ids, map));
//   EXPECT_EQ(budget.used(), 1);
//   DAIRA_RETURN_IF_ERROR(budget.Check("load authors"));   // ResourceExhausted if over `max`
//
// Thread-safety: safe from any thread (it only reads the context's atomic counter); statements run
// by other work sharing the same context (copies of it) count too.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"

namespace daira::inline v0::query {

class StatementBudget {
 public:
  // Starts counting from `ctx`'s current statement count. `max` < 0 (default) means no limit.
  // `ctx` must outlive the budget.
  explicit StatementBudget(const RequestContext& ctx, int64_t max = -1)
      : ctx_(ctx), start_(ctx.statements()), max_(max) {}
  StatementBudget(const StatementBudget&) = delete;
  StatementBudget& operator=(const StatementBudget&) = delete;

  // Statements run on the context since construction (or the last Reset()).
  int64_t used() const { return ctx_.statements() - start_; }
  // The limit given at construction (< 0: none).
  int64_t max() const { return max_; }
  // True when a limit is set and used() exceeds it.
  bool exceeded() const { return max_ >= 0 && used() > max_; }
  // OK, or ResourceExhausted "<op>: statement budget exceeded (got N, max M)".
  absl::Status Check(std::string_view op) const {
    if (!exceeded()) return absl::OkStatus();
    return absl::ResourceExhaustedError(
        absl::StrCat(ToAbsl(op), ": statement budget exceeded (got ", used(), ", max ", max_, ")"));
  }
  // Starts counting again from now.
  void Reset() { start_ = ctx_.statements(); }

 private:
  const RequestContext& ctx_;
  int64_t start_;
  int64_t max_;
};

}  // namespace daira::inline v0::query
