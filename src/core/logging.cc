#include "daira/core/logging.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace daira::inline v0 {
namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

// The default sink: warnings and errors to stderr, one line each (one fwrite, so concurrent lines
// do not interleave mid-line).
void DefaultSink(const LogRecord& r) {
  if (r.level < LogLevel::kWarning) return;
  std::string line = "daira ";
  line += LevelName(r.level);
  if (!r.correlation_id.empty()) {
    line += " [";
    line += r.correlation_id;
    line += "]";
  }
  line += " ";
  line += r.component;
  line += ": ";
  line += r.message;
  line += "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

struct SinkState {
  LogSink sink;
  LogLevel min_level;
};

// The current sink, swapped as a whole: Log takes a reference under a short lock and calls the sink
// outside it, so a slow sink never blocks SetLogSink and a sink may itself log.
struct Registry {
  std::mutex mu;
  std::shared_ptr<const SinkState> state =
      std::make_shared<const SinkState>(SinkState{DefaultSink, LogLevel::kInfo});
  std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};
};

Registry& GetRegistry() {
  static Registry* const registry = new Registry();  // leaked: usable during static destruction
  return *registry;
}

void Emit(LogLevel level, std::string correlation_id, std::string_view component,
          std::string_view message) {
  Registry& reg = GetRegistry();
  // Fast path: drop lines under the threshold without taking the lock.
  if (static_cast<int>(level) < reg.min_level.load(std::memory_order_relaxed)) return;
  std::shared_ptr<const SinkState> state;
  {
    std::lock_guard<std::mutex> lock(reg.mu);
    state = reg.state;
  }
  if (level < state->min_level) return;
  LogRecord record{level, std::move(correlation_id), std::string(component), std::string(message)};
  try {
    state->sink(record);
  } catch (...) {
    // A throwing sink must not take the library down; the line is lost.
  }
}

}  // namespace

void SetLogSink(LogSink sink, LogLevel min_level) {
  Registry& reg = GetRegistry();
  auto state = std::make_shared<const SinkState>(
      SinkState{sink ? std::move(sink) : LogSink(DefaultSink), min_level});
  std::lock_guard<std::mutex> lock(reg.mu);
  reg.state = std::move(state);
  reg.min_level.store(static_cast<int>(min_level), std::memory_order_relaxed);
}

void Log(LogLevel level, const RequestContext& ctx, std::string_view component,
         std::string_view message) {
  Emit(level, ctx.correlation_id(), component, message);
}

void Log(LogLevel level, std::string_view component, std::string_view message) {
  Emit(level, std::string(), component, message);
}

}  // namespace daira::inline v0
