// AWS Signature Version 4 for S3 (and S3-compatible stores: R2, MinIO), written from the published
// specification: the canonical request, the string to sign, the signing key and the signature, for the
// Authorization header and for presigned (query-string) URLs. HMAC-SHA256 and SHA-256 come from
// libsodium. tests/blob/sigv4_test.cc checks every step against the worked examples in the S3 API
// reference ("Signature Calculations for the Authorization Header" and "Authenticating Requests: Using
// Query Parameters"), with the documentation's example credentials.
//
//   SigningRequest r{.method = "GET", .canonical_uri = "/bucket/a.txt",
//                    .headers = {{"host", "127.0.0.1:9000"}, {"x-amz-content-sha256", kEmptySha256},
//                                {"x-amz-date", amz_date}},
//                    .payload_hash = kEmptySha256};
//   std::string auth = AuthorizationHeader(creds, amz_date, "us-east-1", "s3", r);
//
// Pure functions: safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daira::inline v0::backends::s3 {

// SHA-256 of the empty string, hex: the payload hash of a request without a body.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key;
  std::string secret_key;
  // Temporary credentials (AWS STS): the session token, sent as the x-amz-security-token header of a
  // signed request (the caller adds it to SigningRequest::headers, so it is signed) and as the
  // X-Amz-Security-Token parameter of a presigned URL (PresignQuery signs it, as S3 requires). "" for
  // long-term keys.
  std::string session_token{};
};

// One request as SigV4 sees it. Query values and header values are raw (not yet encoded).
struct SigningRequest {
  std::string method;
  std::string canonical_uri;  // already URI-encoded (UriEncode(path, false)), starting with '/'
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign (names any case)
  std::string payload_hash;                                  // hex SHA-256, or UNSIGNED-PAYLOAD
};

// Lower-case hex of raw bytes.
std::string HexEncode(std::string_view raw);
// Hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
// RFC 3986 percent-encoding as SigV4 wants it: unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte
// %XX (upper-case hex); '/' kept unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);
// "20130524T000000Z" for `t` (UTC).
std::string AmzDate(std::chrono::system_clock::time_point t);

// The canonical query string: parameters encoded, sorted by name then value, joined with '&'.
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);
// The canonical request (six lines); `signed_headers` receives "host;range;x-amz-date…".
std::string CanonicalRequest(const SigningRequest& r, std::string* signed_headers);
// "<yyyymmdd>/<region>/<service>/aws4_request".
std::string Scope(std::string_view amz_date, std::string_view region, std::string_view service);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of the canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// The raw signing key: HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
// Hex HMAC-SHA256(signing_key, string_to_sign).
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);

// The Authorization header value for `r` signed at `amz_date` (which `r` must carry as x-amz-date).
std::string AuthorizationHeader(const Credentials& creds, std::string_view amz_date, std::string_view region,
                                std::string_view service, const SigningRequest& r);

// The query string of a presigned URL (X-Amz-Algorithm … X-Amz-Signature) for `method` on
// `canonical_uri` at `host`, valid for `expires_seconds` from `amz_date`; `extra_query` (e.g. a
// response-content-type) is signed along. Only the host header is signed; the payload is UNSIGNED-PAYLOAD.
// With a session token, X-Amz-Security-Token is one of the signed query parameters.
std::string PresignQuery(const Credentials& creds, std::string_view amz_date, std::string_view region,
                         std::string_view service, std::string_view method, std::string_view canonical_uri,
                         std::string_view host, int64_t expires_seconds,
                         const std::vector<std::pair<std::string, std::string>>& extra_query = {});

}  // namespace daira::inline v0::backends::s3
