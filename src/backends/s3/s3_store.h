// The `s3://bucket` blob store: any S3-compatible object store (AWS S3, Cloudflare R2, MinIO) over
// libcurl, every request signed with AWS Signature V4 (sigv4.h), path-style addressing
// (`<endpoint>/<bucket>/<key>`), multipart upload above a size threshold. docs/storage.md lists the
// URL options and the notes per provider.
//
//   auto store = OpenS3Store(*ParseUrl("s3://media?endpoint=http://127.0.0.1:9000&region=us-east-1"
//                                      "&access_key=…&secret_key=…"));
//
// Credentials come from the URL (access_key + secret_key, and session_token for temporary credentials)
// or, when the URL has neither key, from the environment (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY,
// and AWS_SESSION_TOKEN when set). The secret and the token are never printed.
//
// Thread-safety: the store is safe to use from any number of threads at once (each request takes a
// curl handle from a small pool, so connections are reused).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daira/blob/store.h"
#include "daira/core/url.h"

namespace daira::inline v0::backends {

struct S3StoreOptions {
  // The bucket (the URL's host). Required.
  std::string bucket;
  // A key prefix inside the bucket (the URL's path, e.g. s3://bucket/media → "media/"). Default "".
  std::string prefix;
  // Scheme, host and port of the S3 API (URL `endpoint`). Default https://s3.<region>.amazonaws.com.
  std::string endpoint;
  // The signing region (URL `region`). Default us-east-1; R2 wants "auto".
  std::string region = "us-east-1";
  // Credentials (URL `access_key` and `secret_key`, else env AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
  std::string access_key;
  std::string secret_key;
  // Temporary credentials' session token (URL `session_token`, which needs access_key and secret_key in
  // the URL too; else env AWS_SESSION_TOKEN when the keys come from the environment). Sent as the
  // x-amz-security-token header on every signed request and as X-Amz-Security-Token in presigned
  // URLs. Default "" (long-term keys).
  std::string session_token;
  // Whole-request time limit (URL `timeout_ms`), further cut by the request's deadline. Default 30 s.
  std::chrono::milliseconds timeout{30000};
  // TCP/TLS connect time limit (URL `connect_timeout_ms`). Default 5 s.
  std::chrono::milliseconds connect_timeout{5000};
  // Objects of at least this many bytes are uploaded in parts (URL `multipart_threshold`, bytes,
  // >= part_size). Default 16 MiB.
  int64_t multipart_threshold = int64_t{16} << 20;
  // Size of each part but the last (URL `part_size`, bytes, 5 MiB..5 GiB: S3's limits). Default 8 MiB.
  int64_t part_size = int64_t{8} << 20;
  // Create the bucket at open when it does not exist (URL `create_bucket=1`). Default false.
  bool create_bucket = false;
};

absl::StatusOr<std::unique_ptr<blob::Store>> OpenS3Store(const S3StoreOptions& options);
// From `s3://bucket[/prefix]?endpoint=…&region=…&…` (options above).
absl::StatusOr<std::unique_ptr<blob::Store>> OpenS3Store(const Url& url);

}  // namespace daira::inline v0::backends
