// MemoryHub: the in-process realtime::Hub (`memory:`). Per-channel sequence and epoch, a bounded
// per-channel history for recovery; publishing appends to each matching subscription's queue under
// the hub's lock (never waiting for a consumer).
//
// Thread-safety: as realtime::Hub.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daira/realtime/hub.h"

namespace daira::inline v0::backends::memory {

class MemoryHub final : public realtime::Hub {
 public:
  // InvalidArgument for out-of-range options.
  static absl::StatusOr<std::unique_ptr<MemoryHub>> Open(const realtime::HubOptions& options);
  ~MemoryHub() override;

  std::string_view Name() const override { return "memory"; }
  absl::StatusOr<realtime::Position> Publish(std::string_view channel, std::string_view payload) override;
  absl::StatusOr<std::vector<realtime::Position>> PublishBatch(
      std::span<const realtime::OutgoingMessage> messages) override;
  absl::StatusOr<std::vector<realtime::Message>> Recover(std::string_view channel,
                                                         realtime::Position since) override;
  absl::Status Close() override;

 protected:
  absl::StatusOr<
      std::pair<std::unique_ptr<realtime::Subscription>, std::shared_ptr<realtime::SubscriptionSink>>>
  SubscribeLive(const std::string& target, bool pattern, const realtime::SubscribeOptions& options) override;

 private:
  struct State;
  explicit MemoryHub(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace daira::inline v0::backends::memory
