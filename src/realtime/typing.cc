#include "daira/realtime/typing.h"

#include <string>

#include "daira/core/status.h"
#include "realtime/realtime_url_internal.h"

namespace daira::inline v0::realtime {

struct Typing::Impl {
  Hub* hub = nullptr;
  TypingOptions options;
  const Clock* clock = nullptr;
  std::unique_ptr<backends::RealtimeState> state;

  absl::Status Announce(int64_t conversation, int64_t user, std::string_view what) {
    const std::string payload = R"({"type":"typing","conversation_id":")" + std::to_string(conversation) +
                                R"(","user_id":")" + std::to_string(user) + R"(","state":")" +
                                std::string(what) + "\"}";
    return hub->Publish("conversation:" + std::to_string(conversation), payload).status();
  }

  static absl::Status CheckIds(std::string_view op, ConversationId conversation, UserId user) {
    if (!conversation.valid()) {
      return InvalidField(op, "conversation",
                          "must be a positive id (got " + std::to_string(conversation.value) + ")");
    }
    if (!user.valid())
      return InvalidField(op, "user", "must be a positive id (got " + std::to_string(user.value) + ")");
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<Typing>> Typing::Open(std::string_view url, Hub& hub,
                                                     const TypingOptions& options) {
  DAIRA_ASSIGN_OR_RETURN(internal::RealtimeUrl parsed, internal::ParseRealtimeUrl(url));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  DAIRA_RETURN_IF_ERROR(internal::ApplyTypingParams(parsed, impl->options));
  if (impl->options.interval.count() < 1)
    return InvalidField("realtime: typing: open", "interval", "must be at least 1 ms");
  if (impl->options.ttl < impl->options.interval) {
    return InvalidField("realtime: typing: open", "ttl",
                        "must be at least the interval (got " + std::to_string(impl->options.ttl.count()) +
                            " ms < " + std::to_string(impl->options.interval.count()) + " ms)");
  }
  impl->hub = &hub;
  impl->clock = options.clock != nullptr ? options.clock : Clock::System();
  DAIRA_ASSIGN_OR_RETURN(impl->state, internal::OpenState(parsed, hub));
  return std::unique_ptr<Typing>(new Typing(std::move(impl)));
}

Typing::Typing(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Typing::~Typing() = default;

absl::StatusOr<bool> Typing::Start(ConversationId conversation, UserId user) {
  DAIRA_RETURN_IF_ERROR(Impl::CheckIds("realtime: typing: start", conversation, user));
  const int64_t now = ToUnixMicros(impl_->clock->Now());
  using std::chrono::microseconds, std::chrono::duration_cast;
  auto publish = impl_->state->TypingStart(conversation.value, user.value, now,
                                           now + duration_cast<microseconds>(impl_->options.ttl).count(),
                                           duration_cast<microseconds>(impl_->options.interval).count());
  if (!publish.ok()) return Annotate(publish.status(), "realtime: typing: start");
  if (!*publish) return false;
  DAIRA_RETURN_IF_ERROR(
      Annotate(impl_->Announce(conversation.value, user.value, "start"), "realtime: typing: start"));
  return true;
}

absl::StatusOr<bool> Typing::Stop(ConversationId conversation, UserId user) {
  DAIRA_RETURN_IF_ERROR(Impl::CheckIds("realtime: typing: stop", conversation, user));
  auto was = impl_->state->TypingStop(conversation.value, user.value, ToUnixMicros(impl_->clock->Now()));
  if (!was.ok()) return Annotate(was.status(), "realtime: typing: stop");
  if (!*was) return false;
  DAIRA_RETURN_IF_ERROR(
      Annotate(impl_->Announce(conversation.value, user.value, "stop"), "realtime: typing: stop"));
  return true;
}

absl::StatusOr<std::vector<UserId>> Typing::Typists(ConversationId conversation) {
  if (!conversation.valid()) {
    return InvalidField("realtime: typing: typists", "conversation",
                        "must be a positive id (got " + std::to_string(conversation.value) + ")");
  }
  auto ids = impl_->state->Typists(conversation.value, ToUnixMicros(impl_->clock->Now()));
  if (!ids.ok()) return Annotate(ids.status(), "realtime: typing: typists");
  std::vector<UserId> out;
  for (int64_t id : *ids) out.push_back(UserId(id));
  return out;
}

absl::StatusOr<int> Typing::Sweep() {
  auto expired = impl_->state->TypingExpired(ToUnixMicros(impl_->clock->Now()));
  if (!expired.ok()) return Annotate(expired.status(), "realtime: typing: sweep");
  for (const auto& [conversation, user] : *expired) {
    DAIRA_RETURN_IF_ERROR(Annotate(impl_->Announce(conversation, user, "stop"), "realtime: typing: sweep"));
  }
  return static_cast<int>(expired->size());
}

}  // namespace daira::inline v0::realtime
