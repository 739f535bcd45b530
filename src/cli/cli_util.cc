#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/core/status.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {

int Fail(int code, std::string_view message) {
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  fmt::print(stderr, "daira: {}\n", line);
  return code;
}

int FailStatus(std::string_view what, const absl::Status& status) {
  std::string msg(ToStd(status.message()));
  if (msg.empty()) msg = std::string(ToStd(absl::StatusCodeToString(status.code())));
  return Fail(status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime,
              what.empty() ? msg : fmt::format("{}: {}", what, msg));
}

absl::StatusOr<std::unique_ptr<store::Database>> OpenDatabase(std::string_view url) {
  absl::StatusOr<store::DatabaseOptions> options = store::DatabaseOptions::FromUrl(url);
  if (!options.ok()) return Annotate(options.status(), "--database");
  absl::StatusOr<std::unique_ptr<store::Database>> db = store::Database::Open(*options);
  if (!db.ok()) return Annotate(db.status(), "--database");
  return db;
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  const double ns = static_cast<double>(d.count());
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e4) return fmt::format("{:.2f} µs", ns / 1e3);
  if (ns < 1e6) return fmt::format("{:.0f} µs", ns / 1e3);
  if (ns < 1e7) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns < 1e9) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string FormatCount(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string FormatRate(int64_t n, std::chrono::nanoseconds d) {
  if (d.count() <= 0) return "-";
  const double per_s = static_cast<double>(n) * 1e9 / static_cast<double>(d.count());
  if (per_s >= 1e6) return fmt::format("{:.2f}M", per_s / 1e6);
  if (per_s >= 1e3) return fmt::format("{:.1f}k", per_s / 1e3);
  return fmt::format("{:.0f}", per_s);
}

const CLI::Validator& NonNegative() {
  static const CLI::Validator* v = new CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t n = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || n < 0) {
          return "must be a non-negative integer (got \"" + text + "\")";
        }
        return std::string();
      },
      "INT>=0");
  return *v;
}

}  // namespace daira::inline v0::cli
