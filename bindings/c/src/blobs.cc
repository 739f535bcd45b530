// Media storage (docs/storage.md) behind the C ABI: put and get carry the object's bytes as a
// (pointer, length) pair beside the JSON request (JSON cannot carry binary); delete, exists, stat, list
// and url are JSON calls. The platform's `blobs` concern: file:DIR or s3://….
#include <chrono>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/blob/store.h"
#include "internal.h"

using daira::JsonWriter;

namespace {
namespace blob = daira::blob;
using daira::cabi::Request;

void WriteInfo(JsonWriter& w, const blob::ObjectInfo& info) {
  w.BeginObject().Key("key").String(info.key).Key("size").Int(info.size);
  w.Key("content_type").String(info.content_type).Key("etag").String(info.etag).Key("modified");
  daira::cabi::WriteTime(w, info.modified);
  w.EndObject();
}

std::string InfoJson(const blob::ObjectInfo& info) {
  JsonWriter w;
  WriteInfo(w, info);
  return w.Take();
}

std::string RequiredKey(Request& r) {
  std::string key = r.String("key");
  if (!r.Has("key")) r.Fail("key", "is required");
  return key;
}

}  // namespace

DAIRA_CABI_CALL(daira_blob_delete, "blob.delete") {
  const std::string key = RequiredKey(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_RETURN_IF_ERROR(p.blobs().Delete(ctx, key));
  return daira::cabi::EmptyJson();
}

DAIRA_CABI_CALL(daira_blob_exists, "blob.exists") {
  const std::string key = RequiredKey(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(bool exists, p.blobs().Exists(ctx, key));
  JsonWriter w;
  w.BeginObject().Key("exists").Bool(exists).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_blob_stat, "blob.stat") {
  const std::string key = RequiredKey(r);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(blob::ObjectInfo info, p.blobs().Stat(ctx, key));
  return InfoJson(info);
}

DAIRA_CABI_CALL(daira_blob_list, "blob.list") {
  const std::string prefix = r.String("prefix");
  blob::ListOptions options;
  options.page_token = r.String("page_token");
  const int64_t limit = r.Int("limit", 1000);
  if (limit < 1 || limit > 1000)
    r.Fail("limit", absl::StrCat("must be between 1 and 1000 (got ", limit, ")"));
  options.limit = static_cast<int>(limit < 1 || limit > 1000 ? 1000 : limit);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(blob::ListPage page, p.blobs().List(ctx, prefix, options));
  JsonWriter w;
  w.BeginObject().Key("items").BeginArray();
  for (const blob::ObjectInfo& info : page.objects) WriteInfo(w, info);
  w.EndArray().Key("next_token").String(page.next_token).EndObject();
  return w.Take();
}

DAIRA_CABI_CALL(daira_blob_url, "blob.url") {
  const std::string key = RequiredKey(r);
  const int64_t expiry = r.Int("expiry_s", 3600);
  DAIRA_CABI_CHECK(r);
  DAIRA_ASSIGN_OR_RETURN(std::string url, p.blobs().Url(ctx, key, std::chrono::seconds(expiry)));
  JsonWriter w;
  w.BeginObject().Key("url").String(url).EndObject();
  return w.Take();
}

extern "C" {

daira_code daira_blob_put(daira_platform_t* platform, const char* request_json, size_t request_len,
                          const void* data, size_t data_len, char** out_json, daira_error_t** err) {
  constexpr std::string_view kOp = "blob.put";
  if (data == nullptr && data_len > 0) {
    if (out_json != nullptr) *out_json = nullptr;
    return daira::cabi::Finish(daira::cabi::NullArgument(kOp, "data"), err);
  }
  const std::string_view bytes(data == nullptr ? "" : static_cast<const char*>(data), data_len);
  return daira::cabi::ServiceCall(
      platform, kOp, request_json, request_len, out_json, err,
      [&](daira::Platform& p, Request& r, const daira::RequestContext& ctx) -> absl::StatusOr<std::string> {
        const std::string key = RequiredKey(r);
        blob::PutOptions options;
        if (std::optional<std::string> type = r.OptString("content_type")) options.content_type = *type;
        DAIRA_CABI_CHECK(r);
        DAIRA_ASSIGN_OR_RETURN(blob::ObjectInfo info, p.blobs().Put(ctx, key, bytes, options));
        return InfoJson(info);
      });
}

daira_code daira_blob_get(daira_platform_t* platform, const char* request_json, size_t request_len,
                          char** out_data, size_t* out_len, daira_error_t** err) {
  constexpr std::string_view kOp = "blob.get";
  if (out_data != nullptr) *out_data = nullptr;
  if (out_len != nullptr) *out_len = 0;
  if (out_data == nullptr || out_len == nullptr) {
    return daira::cabi::Finish(daira::cabi::NullArgument(kOp, out_data == nullptr ? "out_data" : "out_len"),
                               err);
  }
  // The bytes travel through PlatformCall's JSON out slot (CopyOut copies any bytes and adds a NUL).
  std::string bytes;
  const daira_code code = daira::cabi::ServiceCall(
      platform, kOp, request_json, request_len, out_data, err,
      [&](daira::Platform& p, Request& r, const daira::RequestContext& ctx) -> absl::StatusOr<std::string> {
        const std::string key = RequiredKey(r);
        const std::optional<int64_t> offset = r.OptInt("offset");
        const std::optional<int64_t> length = r.OptInt("length");
        DAIRA_CABI_CHECK(r);
        if (offset || length) {
          DAIRA_ASSIGN_OR_RETURN(bytes,
                                 p.blobs().GetRange(ctx, key, offset.value_or(0),
                                                    length.value_or(std::numeric_limits<int64_t>::max())));
        } else {
          DAIRA_ASSIGN_OR_RETURN(bytes, p.blobs().Get(ctx, key));
        }
        return bytes;
      });
  if (code == DAIRA_OK) *out_len = bytes.size();
  return code;
}

}  // extern "C"
