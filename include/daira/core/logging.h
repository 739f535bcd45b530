// Logging: one process-wide hook that receives every line daira logs, tagged with the correlation id.
//
//   daira::SetLogSink([](const daira::LogRecord& r) {
//     std::fprintf(stderr, "[%s] %s %s\n", r.correlation_id.c_str(), r.component.c_str(),
//                  r.message.c_str());
//   });
//   daira::Log(daira::LogLevel::kWarning, ctx, "store", "slow statement: ...");
//
// The default sink writes warnings and errors to stderr. Secrets (passwords, tokens) are never logged.
//
// Thread-safety: Log and SetLogSink are safe from any thread; the sink may be called concurrently.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "daira/core/request_context.h"

namespace daira::inline v0 {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

struct LogRecord {
  LogLevel level;
  std::string correlation_id;  // "" when logged outside a request
  std::string component;       // "store", "pool", "migrate", ...
  std::string message;
};

using LogSink = std::function<void(const LogRecord&)>;

// Replaces the sink (null restores the default). Lines below `min_level` are dropped before the sink.
void SetLogSink(LogSink sink, LogLevel min_level = LogLevel::kInfo);

void Log(LogLevel level, const RequestContext& ctx, std::string_view component, std::string_view message);
void Log(LogLevel level, std::string_view component, std::string_view message);

}  // namespace daira::inline v0
