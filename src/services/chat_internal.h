// Shared by chat.cc and notifications.cc: field-naming errors and after-commit publishing.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "daira/realtime/hub.h"
#include "daira/store/open_transaction.h"

namespace daira::inline v0::services::internal {

// "<op>: <field> <problem>" with code `code`, the field riding as a payload (CONVENTIONS rule 5).
inline absl::Status FieldError(absl::StatusCode code, std::string_view op, std::string_view field,
                               std::string_view problem) {
  absl::Status s(code, absl::StrCat(ToAbsl(op), ": ", ToAbsl(field), " ", ToAbsl(problem)));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord(ToAbsl(field)));
  return s;
}

// Publishes `messages` on `hub` once the transaction bound to `ctx` commits (never after a rollback;
// at once without a transaction). Live delivery is at-most-once: a publish error is dropped (the
// database already holds the truth, which clients reload after a gap).
inline void PublishAfterCommit(realtime::Hub* hub, const RequestContext& ctx,
                               std::vector<realtime::OutgoingMessage> messages) {
  if (hub == nullptr || messages.empty()) return;
  store::AfterCommit(ctx,
                     [hub, messages = std::move(messages)] { hub->PublishBatch(messages).IgnoreError(); });
}

}  // namespace daira::inline v0::services::internal
