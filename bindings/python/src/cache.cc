// p.cache: the platform's cache (docs/cache.md; memory: or redis://) from Python — string/bytes values
// with an optional TTL in seconds. Thin: each call is one daira call with the GIL released.
//
//   p.cache.set("greeting", "hi", ttl=60)
//   p.cache.get("greeting")            # b"hi" (None on a miss)
//   p.cache.mget(["a", "b"])           # [b"..." | None, ...]
#include "daira/cache/cache.h"

#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "daira/core/status.h"
#include "module.h"

namespace daira::python {

namespace {

std::chrono::milliseconds Ttl(std::optional<double> ttl) {
  if (!ttl.has_value()) return cache::kPolicyTtl;
  if (!std::isfinite(*ttl) || *ttl <= 0) {
    Throw(InvalidField("cache.set", "ttl",
                       "must be a number of seconds > 0 (got " + std::to_string(*ttl) + ")"));
  }
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::milliseconds(static_cast<int64_t>(std::llround(*ttl * 1000.0))));
}

std::string Bytes(const py::handle& v) {
  if (py::isinstance<py::bytes>(v)) return py::cast<std::string>(v);
  if (py::isinstance<py::str>(v)) return py::cast<std::string>(v);
  throw py::type_error("cache values are bytes or str (got " + Repr(v) + ")");
}

py::object ToPy(const std::optional<std::string>& v) {
  return v.has_value() ? py::object(py::bytes(*v)) : py::object(py::none());
}

}  // namespace

void RegisterCache(py::module_& m) {
  py::class_<CacheApi>(m, "Cache", "The platform's cache (memory: or redis://): bytes values with TTLs.")
      .def_property_readonly("backend",
                             [](CacheApi& a) {
                               return a.core->Call([](Platform& p) {
                                 return absl::StatusOr<std::string>(std::string(p.cache().Name()));
                               });
                             })
      .def(
          "get",
          [](CacheApi& a, const std::string& key) {
            return ToPy(a.core->Call([&](Platform& p) { return p.cache().Get(key); }));
          },
          py::arg("key"), "The value of `key` as bytes, or None on a miss.")
      .def(
          "set",
          [](CacheApi& a, const std::string& key, py::object value, std::optional<double> ttl) {
            std::string v = Bytes(value);
            std::chrono::milliseconds t = Ttl(ttl);
            a.core->Call([&](Platform& p) { return p.cache().Set(key, v, t); });
          },
          py::arg("key"), py::arg("value"), py::kw_only(), py::arg("ttl") = py::none(),
          "Stores `value` (bytes or str, UTF-8) under `key`; ttl: seconds (None: the cache's policy TTL).")
      .def(
          "delete",
          [](CacheApi& a, py::object keys) {
            std::vector<std::string> ks;
            if (py::isinstance<py::str>(keys)) {
              ks.push_back(py::cast<std::string>(keys));
            } else {
              ks = py::cast<std::vector<std::string>>(keys);
            }
            return a.core->Call(
                [&](Platform& p) { return p.cache().Delete(std::span<const std::string>(ks)); });
          },
          py::arg("keys"), "Removes a key (or a list of keys) → how many existed.")
      .def(
          "mget",
          [](CacheApi& a, std::vector<std::string> keys) {
            std::vector<std::optional<std::string>> vs =
                a.core->Call([&](Platform& p) { return p.cache().MGet(std::span<const std::string>(keys)); });
            py::list out;
            for (const auto& v : vs) out.append(ToPy(v));
            return out;
          },
          py::arg("keys"), "The values of `keys` in order (None for each miss); one round trip on Redis.")
      .def(
          "mset",
          [](CacheApi& a, py::dict entries, std::optional<double> ttl) {
            std::chrono::milliseconds t = Ttl(ttl);
            std::vector<cache::CacheEntry> es;
            for (auto [k, v] : entries) es.push_back({py::cast<std::string>(k), Bytes(v), t});
            a.core->Call([&](Platform& p) { return p.cache().MSet(std::span<const cache::CacheEntry>(es)); });
          },
          py::arg("entries"), py::kw_only(), py::arg("ttl") = py::none(),
          "Stores every key → value of the dict.")
      .def(
          "ttl",
          [](CacheApi& a, const std::string& key) -> py::object {
            std::optional<std::chrono::milliseconds> t =
                a.core->Call([&](Platform& p) { return p.cache().Ttl(key); });
            if (!t.has_value() || *t == cache::kNoExpiry) return py::none();
            return py::float_(static_cast<double>(t->count()) / 1000.0);
          },
          py::arg("key"), "Seconds left before `key` expires, or None (absent or no expiry).")
      .def(
          "stats",
          [](CacheApi& a) {
            std::string name;
            int64_t round_trips = 0;
            a.core->Call([&](Platform& p) {  // GIL released: plain C++ values only
              name = std::string(p.cache().Name());
              round_trips = p.cache().round_trips();
              return absl::OkStatus();
            });
            py::dict d;
            d["backend"] = name;
            d["round_trips"] = round_trips;
            return d;
          },
          "{'backend', 'round_trips'} of this cache.");
}

}  // namespace daira::python
