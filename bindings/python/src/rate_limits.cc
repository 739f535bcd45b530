// p.rate_limits: the platform's rate limiter (docs/ratelimit.md) from Python, and the `rate_limits=`
// option of daira.open() that configures its endpoints.
//
//   p = daira.open("sqlite:app.db", rate_limits={"api.search": (100, 60.0)})   # 100 per minute
//   d = p.rate_limits.check("alice", "api.search")
//   if not d["allowed"]: retry_in = d["retry_after"]                              # seconds
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <string>

#include "common.h"
#include "daira/core/status.h"
#include "daira/ratelimit/rate_limiter.h"
#include "module.h"

namespace daira::python {

namespace {

double Seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

// (count, window_seconds[, algorithm]) → Limit; InvalidArgument naming rate_limits[endpoint].
ratelimit::Limit LimitOf(const std::string& endpoint, const py::handle& spec) {
  const std::string field = "rate_limits[" + endpoint + "]";
  if (!py::isinstance<py::tuple>(spec) || py::len(spec) < 2 || py::len(spec) > 3) {
    Throw(InvalidField(
        "open", field,
        "must be a tuple (count, window_seconds[, 'sliding_window' | 'gcra']) (got " + Repr(spec) + ")"));
  }
  py::tuple t = py::reinterpret_borrow<py::tuple>(spec);
  ratelimit::Limit limit;
  limit.count = py::cast<int64_t>(t[0]);
  const double window = py::cast<double>(t[1]);
  if (!std::isfinite(window) || window <= 0 || window > 1e9) {
    Throw(InvalidField("open", field, "window_seconds must be a number > 0 (got " + Repr(py::object(t[1])) + ")"));
  }
  limit.window = std::chrono::milliseconds(static_cast<int64_t>(std::llround(window * 1000.0)));
  if (py::len(t) == 3) {
    const std::string algorithm = py::cast<std::string>(t[2]);
    const std::optional<ratelimit::Algorithm> parsed = ratelimit::ParseAlgorithm(algorithm);
    if (!parsed) {
      Throw(InvalidField("open", field, "algorithm must be 'sliding_window' or 'gcra' (got '" + algorithm + "')"));
    }
    limit.algorithm = *parsed;
  }
  return limit;
}

}  // namespace

void ApplyRateLimits(const py::dict& limits, PlatformRateLimitOptions& out) {
  for (auto [k, v] : limits) {
    const std::string endpoint = py::cast<std::string>(k);
    absl::Status set = out.Set(endpoint, LimitOf(endpoint, v));
    if (!set.ok()) Throw(InvalidField("open", "rate_limits[" + endpoint + "]", ToStd(set.message())));
  }
}

void RegisterRateLimits(py::module_& m) {
  py::class_<RateLimitsApi>(
      m, "RateLimits",
      "The platform's rate limiter: in-process with a memory: cache, on Redis (exact\n"
      "across instances) with a redis:// one. Endpoints come from daira.open(rate_limits=).")
      .def_property_readonly("backend",
                             [](RateLimitsApi& a) {
                               return a.core->Call([](Platform& p) {
                                 return absl::StatusOr<std::string>(std::string(p.rate_limits().Name()));
                               });
                             })
      .def(
          "check",
          [](RateLimitsApi& a, const std::string& key, const std::string& endpoint, int64_t cost) {
            ratelimit::Decision d =
                a.core->Call([&](Platform& p) { return p.rate_limits().Check(key, endpoint, cost); });
            py::dict out;
            out["allowed"] = d.allowed;
            out["remaining"] = d.remaining;
            out["limit"] = d.limit;
            out["retry_after"] = Seconds(d.retry_after);
            out["reset_after"] = Seconds(d.reset_after);
            out["degraded"] = d.degraded;
            return out;
          },
          py::arg("key"), py::arg("endpoint"), py::kw_only(), py::arg("cost") = 1,
          "Counts `cost` units of `key` on `endpoint` if its limit allows them (all or nothing) → a dict:\n"
          "allowed, remaining, limit, retry_after and reset_after (seconds), degraded (the backend failed\n"
          "and the check was let through uncounted). InvalidArgument for an endpoint with no limit.");
}

}  // namespace daira::python
