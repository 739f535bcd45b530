#include "daira/bus/queue_settings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "daira/core/status.h"

namespace daira::inline v0::bus {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

QueueSettings Q(std::string name, int concurrency, int max_attempts, Backoff backoff, milliseconds base,
                milliseconds timeout, milliseconds dedup_window = hours(24)) {
  QueueSettings s;
  s.name = std::move(name);
  s.concurrency = concurrency;
  s.max_attempts = max_attempts;
  s.backoff = backoff;
  s.backoff_base = base;
  s.timeout = timeout;
  s.dedup_window = dedup_window;
  return s;
}

}  // namespace

std::vector<QueueSettings> DefaultQueues() {
  constexpr Backoff kExp = Backoff::kExponential;
  constexpr Backoff kFix = Backoff::kFixed;
  // name, concurrency, max attempts, backoff, base delay, lease/timeout per attempt
  return {
      Q("video.transcode", 2, 3, kExp, seconds(30), minutes(30)),       // CPU-heavy, long
      Q("video.thumbnail", 4, 3, kExp, seconds(10), minutes(2)),
      Q("feed.fanout", 8, 5, kExp, seconds(1), minutes(1)),             // many small writes
      Q("notification.push", 8, 5, kExp, seconds(2), seconds(30)),
      Q("notification.email", 4, 5, kExp, seconds(30), minutes(1)),
      Q("analytics.ingest", 4, 3, kFix, seconds(5), seconds(30)),
      Q("embeddings.generate", 2, 3, kExp, seconds(30), minutes(5)),
      Q("search.index", 4, 5, kExp, seconds(2), minutes(1)),
      Q("counters.recount", 1, 3, kFix, minutes(1), minutes(10)),
      Q("moderation.scan", 2, 5, kExp, seconds(10), minutes(2)),
      Q("payments.settle", 1, 10, kExp, seconds(30), minutes(2), hours(24 * 7)),  // money: long dedup
      Q("payments.webhook", 4, 10, kExp, seconds(5), seconds(30), hours(24 * 7)),
      Q("media.cleanup", 1, 3, kFix, minutes(5), minutes(10)),
      Q("audit.write", 2, 10, kExp, seconds(1), seconds(30)),
      Q("trending.refresh", 1, 2, kFix, seconds(30), minutes(5)),
      Q("recommendations.refresh", 1, 2, kFix, minutes(1), minutes(10)),
      Q("realtime.broadcast", 8, 3, kFix, milliseconds(500), seconds(10)),
      Q("webhooks.deliver", 8, 8, kExp, seconds(10), seconds(30)),
  };
}

QueueSettings* FindQueue(std::vector<QueueSettings>& queues, std::string_view name) {
  for (auto& q : queues) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

const QueueSettings* FindQueue(const std::vector<QueueSettings>& queues, std::string_view name) {
  for (const auto& q : queues) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

namespace {

bool ParseInt(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

absl::Status ApplyQueueOverride(std::vector<QueueSettings>& queues, std::string_view key, std::string_view value) {
  constexpr std::string_view kOp = "bus: queue setting";
  const size_t dot = key.rfind('.');
  if (dot == std::string_view::npos) return InvalidField(kOp, key, "is not <queue>.<field>");
  QueueSettings* q = FindQueue(queues, key.substr(0, dot));
  if (q == nullptr) return InvalidField(kOp, key, "names no configured queue");
  const std::string_view field = key.substr(dot + 1);
  const std::string got = " (got '" + std::string(value) + "')";
  if (field == "backoff") {
    if (value == "fixed") {
      q->backoff = Backoff::kFixed;
    } else if (value == "exponential") {
      q->backoff = Backoff::kExponential;
    } else {
      return InvalidField(kOp, key, "must be fixed or exponential" + got);
    }
    return ValidateQueueSettings(*q);
  }
  if (field == "round_robin_groups") {
    if (value == "true" || value == "1") {
      q->round_robin_groups = true;
    } else if (value == "false" || value == "0") {
      q->round_robin_groups = false;
    } else {
      return InvalidField(kOp, key, "must be true or false" + got);
    }
    return absl::OkStatus();
  }
  if (field == "jitter") {
    try {
      size_t used = 0;
      double d = std::stod(std::string(value), &used);
      if (used != value.size()) throw std::invalid_argument("trailing");
      q->jitter = d;
    } catch (...) {
      return InvalidField(kOp, key, "must be a number" + got);
    }
    return Annotate(ValidateQueueSettings(*q), kOp);
  }
  int64_t n = 0;
  if (!ParseInt(value, n)) return InvalidField(kOp, key, "must be an integer" + got);
  if (field == "concurrency") {
    q->concurrency = static_cast<int>(std::clamp<int64_t>(n, -1, 1 << 20));
  } else if (field == "max_attempts") {
    q->max_attempts = static_cast<int>(std::clamp<int64_t>(n, -1, 1 << 20));
  } else if (field == "group_concurrency") {
    q->group_concurrency = static_cast<int>(std::clamp<int64_t>(n, -1, 1 << 20));
  } else if (field == "backoff_base_ms") {
    q->backoff_base = milliseconds(n);
  } else if (field == "backoff_max_ms") {
    q->backoff_max = milliseconds(n);
  } else if (field == "timeout_ms") {
    q->timeout = milliseconds(n);
  } else if (field == "dedup_window_ms") {
    q->dedup_window = milliseconds(n);
  } else if (field == "retain_completed_ms") {
    q->retain_completed = milliseconds(n);
  } else if (field == "retain_dead_ms") {
    q->retain_dead = milliseconds(n);
  } else if (field == "rate_limit") {
    q->rate_limit = static_cast<int>(std::clamp<int64_t>(n, -1, 1 << 30));
  } else if (field == "rate_window_ms") {
    q->rate_window = milliseconds(n);
  } else {
    return InvalidField(kOp, key, "names no queue field");
  }
  return Annotate(ValidateQueueSettings(*q), kOp);
}

absl::Status ValidateQueueSettings(const QueueSettings& s) {
  constexpr std::string_view kOp = "bus: queue settings";
  auto bad = [&](std::string_view field, std::string_view what) {
    return InvalidField(kOp, s.name + "." + std::string(field), what);
  };
  if (s.name.empty()) return InvalidField(kOp, "name", "is empty");
  if (s.concurrency < 1 || s.concurrency > 1024) return bad("concurrency", "must be in [1, 1024]");
  if (s.max_attempts < 1 || s.max_attempts > 1000) return bad("max_attempts", "must be in [1, 1000]");
  if (s.backoff_base.count() < 0) return bad("backoff_base_ms", "must not be negative");
  if (s.backoff_max < s.backoff_base) return bad("backoff_max_ms", "must be >= backoff_base_ms");
  if (!(s.jitter >= 0.0 && s.jitter <= 1.0)) return bad("jitter", "must be in [0, 1]");
  if (s.timeout.count() <= 0) return bad("timeout_ms", "must be positive");
  if (s.dedup_window.count() < 0) return bad("dedup_window_ms", "must not be negative");
  if (s.retain_completed.count() < 0) return bad("retain_completed_ms", "must not be negative");
  if (s.retain_dead.count() < 0) return bad("retain_dead_ms", "must not be negative");
  if (s.group_concurrency < 0 || s.group_concurrency > 1024)
    return bad("group_concurrency", "must be in [0, 1024]");
  if (s.rate_limit < 0 || s.rate_limit > 1000000) return bad("rate_limit", "must be in [0, 1000000]");
  if (s.rate_window.count() < 1 || s.rate_window > std::chrono::hours(24))
    return bad("rate_window_ms", "must be in [1, 86400000]");
  return absl::OkStatus();
}

std::chrono::milliseconds RetryDelay(const QueueSettings& s, int attempt, double random01) {
  double ms = static_cast<double>(s.backoff_base.count());
  if (s.backoff == Backoff::kExponential) {
    ms = ms * std::ldexp(1.0, std::clamp(attempt - 1, 0, 62));
    ms = std::min(ms, static_cast<double>(s.backoff_max.count()));
  }
  ms *= 1.0 + s.jitter * (2.0 * std::clamp(random01, 0.0, 1.0) - 1.0);
  return milliseconds(static_cast<int64_t>(std::max(0.0, std::round(ms))));
}

}  // namespace daira::inline v0::bus
