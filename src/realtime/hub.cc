#include "daira/realtime/hub.h"

#include <string>
#include <utility>

#include "daira/core/status.h"
#include "daira/realtime/channel.h"

namespace daira::inline v0::realtime {

absl::StatusOr<std::unique_ptr<Subscription>> Hub::Subscribe(std::string_view target,
                                                             const SubscribeOptions& options) {
  const bool pattern = IsPattern(target);
  DAIRA_RETURN_IF_ERROR(pattern ? ValidatePattern(target) : ValidateChannel(target));
  if (pattern && options.resume_from.has_value()) {
    return absl::InvalidArgumentError(
        "realtime: subscribe: resume_from applies to a channel, not to pattern '" + std::string(target) +
        "'");
  }
  DAIRA_ASSIGN_OR_RETURN(auto live, SubscribeLive(std::string(target), pattern, options));
  if (options.resume_from.has_value()) {
    // Live first, then history: whatever is published in between is in both, and the merge keeps
    // one copy, so nothing falls between the two.
    auto recovered = Recover(target, *options.resume_from);
    if (!recovered.ok()) return recovered.status();
    live.second->PrependRecovered(*std::move(recovered));
  }
  return std::move(live.first);
}

bool IsRecoveryImpossible(const absl::Status& status) { return absl::IsOutOfRange(status); }

}  // namespace daira::inline v0::realtime
