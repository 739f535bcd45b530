#include "daira/cache/policy.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::cache {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

absl::Status BadParam(std::string_view name, std::string_view problem, std::string_view value) {
  return InvalidField("cache policy", name, absl::StrCat(ToAbsl(problem), " (got '", ToAbsl(value), "')"));
}

double UniformDraw() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

const std::vector<std::string>& Policy::KnownNamespaces() {
  static const std::vector<std::string>* kNames = new std::vector<std::string>{
      "session", "feed", "profile", "vector", "ratelimit", "analytics", "custom"};
  return *kNames;
}

Policy Policy::Defaults() {
  Policy p;
  p.rows_["session"] = {.ttl = hours(24)};
  p.rows_["feed"] = {.ttl = hours(1), .max_list_length = 1000};
  p.rows_["profile"] = {.ttl = hours(1)};
  p.rows_["vector"] = {.ttl = hours(24 * 30)};
  p.rows_["ratelimit"] = {.ttl = hours(1)};
  p.rows_["analytics"] = {.ttl = hours(24)};
  p.rows_["custom"] = {.ttl = milliseconds(0)};
  return p;
}

std::string_view Policy::NamespaceOf(std::string_view key) {
  const size_t colon = key.find(':');
  return colon == std::string_view::npos ? key : key.substr(0, colon);
}

const NamespacePolicy& Policy::For(std::string_view ns) const {
  auto it = rows_.find(ns);
  return it == rows_.end() ? fallback_ : it->second;
}

absl::Status Policy::Set(std::string_view ns, const NamespacePolicy& row) {
  if (!(row.jitter >= 0.0 && row.jitter < 1.0)) {
    return InvalidField("cache policy", absl::StrCat("jitter_", ToAbsl(ns)),
                        absl::StrCat("must be in [0, 1) (got ", row.jitter, ")"));
  }
  if (row.ttl.count() < 0) {
    return InvalidField("cache policy", absl::StrCat("ttl_", ToAbsl(ns), "_ms"), "must not be negative");
  }
  if (row.max_list_length < 0) {
    return InvalidField("cache policy", absl::StrCat("list_max_", ToAbsl(ns)), "must not be negative");
  }
  rows_[std::string(ns)] = row;
  return absl::OkStatus();
}

milliseconds Policy::TtlFor(std::string_view key) const { return TtlFor(key, UniformDraw()); }

milliseconds Policy::TtlFor(std::string_view key, double u) const {
  const NamespacePolicy& row = For(NamespaceOf(key));
  if (row.ttl.count() <= 0) return milliseconds(0);
  const double shortened = static_cast<double>(row.ttl.count()) * (1.0 - row.jitter * u);
  return milliseconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(shortened))));
}

absl::Status Policy::ApplyParam(std::string_view name, std::string_view value, bool* applied) {
  if (applied != nullptr) *applied = false;
  auto ns_between = [&](std::string_view prefix, std::string_view suffix) -> std::optional<std::string> {
    if (name.size() <= prefix.size() + suffix.size()) return std::nullopt;
    if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
    if (name.substr(name.size() - suffix.size()) != suffix) return std::nullopt;
    return std::string(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
  };
  auto row_for = [&](const std::string& ns) {
    auto it = rows_.find(ns);
    return it == rows_.end() ? fallback_ : it->second;
  };
  if (name == "jitter" || ns_between("jitter_", "")) {
    double j = 0;
    if (!absl::SimpleAtod(ToAbsl(value), &j) || !(j >= 0.0 && j < 1.0)) {
      return BadParam(name, "must be a number in [0, 1)", value);
    }
    if (name == "jitter") {
      for (auto& [ns, row] : rows_) row.jitter = j;
      fallback_.jitter = j;
    } else {
      NamespacePolicy row = row_for(*ns_between("jitter_", ""));
      row.jitter = j;
      DAIRA_RETURN_IF_ERROR(Set(*ns_between("jitter_", ""), row));
    }
    if (applied != nullptr) *applied = true;
    return absl::OkStatus();
  }
  if (auto ns = ns_between("ttl_", "_ms")) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(ToAbsl(value), &ms) || ms < 0) {
      return BadParam(name, "must be a whole number of milliseconds >= 0", value);
    }
    NamespacePolicy row = row_for(*ns);
    row.ttl = milliseconds(ms);
    DAIRA_RETURN_IF_ERROR(Set(*ns, row));
    if (applied != nullptr) *applied = true;
    return absl::OkStatus();
  }
  if (auto ns = ns_between("list_max_", "")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(ToAbsl(value), &n) || n < 0)
      return BadParam(name, "must be a whole number >= 0", value);
    NamespacePolicy row = row_for(*ns);
    row.max_list_length = n;
    DAIRA_RETURN_IF_ERROR(Set(*ns, row));
    if (applied != nullptr) *applied = true;
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

std::vector<std::string> Policy::Describe() const {
  std::vector<std::string> out;
  auto line = [](std::string_view ns, const NamespacePolicy& r) {
    return absl::StrCat(ToAbsl(ns), " ttl=", r.ttl.count(), "ms jitter=", r.jitter,
                        " list_max=", r.max_list_length);
  };
  for (const auto& [ns, row] : rows_) out.push_back(line(ns, row));
  out.push_back(line("(other)", fallback_));
  return out;
}

}  // namespace daira::inline v0::cache
