// blob::Store: media storage (video and image originals, thumbnails, HLS segments) behind one small
// interface, on a local directory (`file:DIR`, the embedded default) or an S3-compatible object store
// (`s3://bucket?endpoint=…&region=…`: AWS S3, Cloudflare R2, MinIO). docs/storage.md has every option.
//
//   auto store = daira::blob::Store::Open("file:./daira-blobs");      // or "s3://media?endpoint=…"
//   if (!store.ok()) { std::cerr << store.status() << "\n"; return 1; }
//   daira::RequestContext ctx;
//   auto info = (*store)->Put(ctx, "videos/42/original.mp4", bytes, {.content_type = "video/mp4"});
//   auto head = (*store)->GetRange(ctx, "videos/42/original.mp4", 0, 1024);   // the first KiB
//   auto page = (*store)->List(ctx, "videos/42/", {.limit = 100});         // page->objects, next_token
//   auto url = (*store)->Url(ctx, "videos/42/original.mp4", std::chrono::hours(1));  // presigned on S3
//
// Keys are relative, '/'-separated names (ValidateKey): never empty, at most kMaxKeyBytes bytes, no
// NUL, no leading '/', no empty, "." or ".." segment, no backslash. A bad key is InvalidArgument naming
// the key, on every backend, before anything is touched.
//
// Guarantees (docs/storage.md, proved by tests/conformance/blob_test.cc): a Put is all or nothing —
// a reader sees the old object or the new one, never a part; Delete of a missing key is OK; a missing
// object is NotFound naming the key; every call is bounded in time (the backend's timeout and the
// request's deadline).
//
// Thread-safety: a Store is safe to use from any number of threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daira/core/request_context.h"

namespace daira::inline v0::blob {

// The longest key accepted, in bytes (S3's limit).
inline constexpr size_t kMaxKeyBytes = 1024;

// OK, or InvalidArgument "<op>: key \"<key>\" <what is wrong>" (the key also rides as the field payload).
absl::Status ValidateKey(std::string_view op, std::string_view key);

// What a store knows about one object.
struct ObjectInfo {
  std::string key{};
  int64_t size = 0;  // bytes
  // The MIME type given at Put (S3); on file: derived from the key's extension (docs/storage.md).
  std::string content_type{};
  // An opaque version tag that changes whenever the content changes (S3: the object's ETag without
  // quotes; file: size and modification time in hex).
  std::string etag{};
  std::chrono::system_clock::time_point modified{};  // last write (second precision on S3)
};

struct PutOptions {
  // MIME type stored with the object (S3 Content-Type). Default application/octet-stream.
  std::string content_type = "application/octet-stream";
};

struct ListOptions {
  // Continue after this token (ListPage::next_token of the previous page); "" for the first page.
  std::string page_token{};
  // Objects per page, 1..1000. Default 1000.
  int limit = 1000;
};

struct ListPage {
  std::vector<ObjectInfo> objects{};  // in key order (bytewise)
  std::string next_token{};           // "" when this is the last page
};

class Store {
 public:
  // Opens the store a URL names: `file:DIR` or `s3://bucket?…` (docs/storage.md lists the options).
  // InvalidArgument for an unknown scheme or a bad option (naming it; secrets never echoed);
  // FailedPrecondition when a file: root cannot be created or is not a directory.
  static absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view url);

  virtual ~Store() = default;

  // "file" or "s3".
  virtual std::string_view Name() const = 0;

  // Stores `bytes` under `key`, replacing any object there, atomically. Returns the new object's info.
  // InvalidArgument (key), PermissionDenied/Unauthenticated (credentials), Unavailable (the store
  // cannot be reached; retry), DeadlineExceeded.
  virtual absl::StatusOr<ObjectInfo> Put(const RequestContext& ctx, std::string_view key,
                                         std::string_view bytes, const PutOptions& options = {}) = 0;
  // Stores the contents of the local file `path` under `key`, streamed (memory stays bounded by the
  // part size on S3, by a fixed buffer on file:). NotFound when `path` does not exist; else as Put.
  virtual absl::StatusOr<ObjectInfo> PutFile(const RequestContext& ctx, std::string_view key,
                                             std::string_view path, const PutOptions& options = {}) = 0;

  // The whole object. NotFound naming the key when it does not exist.
  virtual absl::StatusOr<std::string> Get(const RequestContext& ctx, std::string_view key) = 0;
  // Up to `length` bytes from byte `offset` (fewer at the end of the object). InvalidArgument for a
  // negative offset or a length < 1; OutOfRange when offset >= the object's size; NotFound.
  virtual absl::StatusOr<std::string> GetRange(const RequestContext& ctx, std::string_view key,
                                               int64_t offset, int64_t length) = 0;
  // The object's metadata without its content. NotFound.
  virtual absl::StatusOr<ObjectInfo> Stat(const RequestContext& ctx, std::string_view key) = 0;
  // True when an object is stored under `key`.
  virtual absl::StatusOr<bool> Exists(const RequestContext& ctx, std::string_view key) = 0;
  // Removes the object; OK when there was none (idempotent).
  virtual absl::Status Delete(const RequestContext& ctx, std::string_view key) = 0;
  // The objects whose key starts with `prefix` ("" for all), one page at a time in key order.
  // InvalidArgument for a limit outside 1..1000 or a prefix with a NUL.
  virtual absl::StatusOr<ListPage> List(const RequestContext& ctx, std::string_view prefix,
                                        const ListOptions& options = {}) = 0;
  // A URL to read the object: on S3 a presigned GET valid for `expiry` (1 s..7 days, else
  // InvalidArgument), computed locally (the object need not exist); on file: a file:// URL (`expiry`
  // is ignored). The URL carries a signature, never the secret.
  virtual absl::StatusOr<std::string> Url(const RequestContext& ctx, std::string_view key,
                                          std::chrono::seconds expiry) = 0;
};

}  // namespace daira::inline v0::blob
