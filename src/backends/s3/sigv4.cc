#include "backends/s3/sigv4.h"

#include <sodium.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/cat_internal.h"
#include "daira/core/status.h"

namespace daira::inline v0::backends::s3 {
namespace {

}  // namespace

std::string HexEncode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, k, "=", v);
  }
  return out;
}

namespace {

// Trimmed, with runs of spaces collapsed to one (SigV4's Trimall).
std::string TrimAll(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string CanonicalRequest(const SigningRequest& r, std::string* signed_headers) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(r.headers.size());
  for (const auto& [name, value] : r.headers) {
    headers.emplace_back(absl::AsciiStrToLower(name), TrimAll(value));
  }
  std::sort(headers.begin(), headers.end());
  std::string canonical_headers, names;
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&canonical_headers, name, ":", value, "\n");
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  if (signed_headers != nullptr) *signed_headers = names;
  return Cat(r.method, "\n", r.canonical_uri, "\n", CanonicalQuery(r.query), "\n", canonical_headers, "\n",
             names, "\n", r.payload_hash);
}

std::string Scope(std::string_view amz_date, std::string_view region, std::string_view service) {
  return Cat(amz_date.substr(0, 8), "/", region, "/", service, "/aws4_request");
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return Cat("AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n", Sha256Hex(canonical_request));
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = HmacSha256(Cat("AWS4", secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string AuthorizationHeader(const Credentials& creds, std::string_view amz_date, std::string_view region,
                                std::string_view service, const SigningRequest& r) {
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(r, &signed_headers);
  const std::string scope = Scope(amz_date, region, service);
  const std::string signature =
      Signature(SigningKey(creds.secret_key, amz_date.substr(0, 8), region, service),
                StringToSign(amz_date, scope, canonical));
  return Cat("AWS4-HMAC-SHA256 Credential=", creds.access_key, "/", scope, ",SignedHeaders=", signed_headers,
             ",Signature=", signature);
}

std::string PresignQuery(const Credentials& creds, std::string_view amz_date, std::string_view region,
                         std::string_view service, std::string_view method, std::string_view canonical_uri,
                         std::string_view host, int64_t expires_seconds,
                         const std::vector<std::pair<std::string, std::string>>& extra_query) {
  const std::string scope = Scope(amz_date, region, service);
  SigningRequest r;
  r.method = std::string(method);
  r.canonical_uri = std::string(canonical_uri);
  r.query = extra_query;
  r.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  r.query.emplace_back("X-Amz-Credential", Cat(creds.access_key, "/", scope));
  r.query.emplace_back("X-Amz-Date", std::string(amz_date));
  r.query.emplace_back("X-Amz-Expires", Cat(expires_seconds));
  r.query.emplace_back("X-Amz-SignedHeaders", "host");
  if (!creds.session_token.empty()) r.query.emplace_back("X-Amz-Security-Token", creds.session_token);
  r.headers = {{"host", std::string(host)}};
  r.payload_hash = std::string(kUnsignedPayload);
  const std::string canonical = CanonicalRequest(r, nullptr);
  const std::string signature =
      Signature(SigningKey(creds.secret_key, amz_date.substr(0, 8), region, service),
                StringToSign(amz_date, scope, canonical));
  return Cat(CanonicalQuery(r.query), "&X-Amz-Signature=", signature);
}

}  // namespace daira::inline v0::backends::s3
