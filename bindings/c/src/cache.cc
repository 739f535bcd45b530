// The cache (docs/cache.md) behind JSON calls: get, set with TTL, delete, mget. Values are strings
// (store JSON as its text). The platform's `cache` concern: memory: in this process, redis://… shared.
#include "daira/cache/cache.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal.h"

using daira::JsonWriter;

namespace {
namespace cache = daira::cache;
using daira::cabi::Request;

void WriteOptString(JsonWriter& w, const std::optional<std::string>& v) {
  if (v) {
    w.String(*v);
  } else {
    w.Null();
  }
}

std::vector<std::string> RequiredKeys(Request& r) {
  std::vector<std::string> keys = r.StringList("keys");
  if (!r.Has("keys")) r.Fail("keys", "is required (an array of keys)");
  return keys;
}

}  // namespace

DAIRA_CABI_CALL(daira_cache_get, "cache.get") {
  const std::string key = r.String("key");
  if (!r.Has("key")) r.Fail("key", "is required");
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(std::optional<std::string> value, p.cache().Get(key));
  JsonWriter w;
  w.BeginObject().Key("value");
  WriteOptString(w, value);
  w.EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_cache_set, "cache.set") {
  const std::string key = r.String("key");
  if (!r.Has("key")) r.Fail("key", "is required");
  const std::optional<std::string> value = r.OptString("value");
  if (!value) r.Fail("value", "is required (a string)");
  const std::optional<int64_t> ttl_ms = r.OptInt("ttl_ms");
  if (ttl_ms && *ttl_ms < 0) r.Fail("ttl_ms", absl::StrCat("must be >= 0 (got ", *ttl_ms, ")"));
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  const std::chrono::milliseconds ttl = ttl_ms ? std::chrono::milliseconds(*ttl_ms) : cache::kPolicyTtl;
  DAIRA_RETURN_IF_ERROR(p.cache().Set(key, *value, ttl));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_cache_delete, "cache.delete") {
  const std::vector<std::string> keys = RequiredKeys(r);
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(int64_t deleted, p.cache().Delete(std::span<const std::string>(keys)));
  JsonWriter w;
  w.BeginObject().Key("deleted").Int(deleted).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_cache_mget, "cache.mget") {
  const std::vector<std::string> keys = RequiredKeys(r);
  DAIRA_CABI_CHECK(r);
  (void)ctx;
  DAIRA_ASSIGN_OR_RETURN(std::vector<std::optional<std::string>> values,
                         p.cache().MGet(std::span<const std::string>(keys)));
  JsonWriter w;
  w.BeginObject().Key("values").BeginArray();
  for (const std::optional<std::string>& v : values) WriteOptString(w, v);
  w.EndArray().EndObject();
  return w.Take();
}
