#include "bus/recovery_floor.h"

namespace daira::inline v0::bus::internal {

std::optional<int64_t> RecoveryFloors::Begin(std::string_view queue, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) it = queues_.emplace(std::string(queue), State{}).first;
  State& st = it->second;
  if (now < st.last_now) st.floor.reset();  // the clock went back: what was behind may be ahead again
  st.last_now = now;
  if (!st.floor.has_value() || st.since_full >= kFullScanEvery || *st.floor >= now) return std::nullopt;
  return st.floor;
}

void RecoveryFloors::Complete(std::string_view queue, int64_t now, bool was_full) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end() || now < it->second.last_now) return;  // a later scan began meanwhile: it decides
  State& st = it->second;
  st.floor = now - kMarginUs;
  st.since_full = was_full ? 0 : st.since_full + 1;
}

}  // namespace daira::inline v0::bus::internal
