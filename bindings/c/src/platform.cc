// Platform handle: open (URL + options JSON), shutdown, close, ping.
#include <algorithm>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "internal.h"

namespace daira::cabi {
namespace {

constexpr std::string_view kOpen = "platform.open";

constexpr size_t kMaxOptionsBytes = size_t{1} << 20;
constexpr int64_t kMaxRequestBytesLimit = int64_t{1} << 30;

struct OpenOptions {
  PlatformOptions platform;
  Config config;  // the instance options (node_id, cursor_key); the URL is set by the caller
  size_t max_request_bytes = size_t{1} << 20;
};

absl::StatusOr<OpenOptions> ParseOptions(std::string_view text) {
  if (text.size() > kMaxOptionsBytes) return RequestTooLarge(kOpen, text.size(), kMaxOptionsBytes);
  DAIRA_ASSIGN_OR_RETURN(Request r, Request::Parse(kOpen, text, "options_json"));
  OpenOptions open;
  PlatformOptions& options = open.platform;
  options.migrate = r.OptBool("migrate").value_or(true);
  const std::string cost = r.String("password_cost", "interactive");
  std::optional<int64_t> access_ttl = r.OptInt("access_token_ttl_s");
  std::optional<int64_t> refresh_ttl = r.OptInt("refresh_token_ttl_s");
  std::optional<int64_t> max_request = r.OptInt("max_request_bytes");
  std::optional<int64_t> max_hashes = r.OptInt("max_concurrent_password_hashes");
  std::optional<int64_t> hash_wait = r.OptInt("password_hash_wait_ms");
  std::optional<int64_t> grace = r.OptInt("refresh_reuse_grace_s");
  std::optional<int64_t> node_id = r.OptInt("node_id");
  std::optional<std::string> cursor_key = r.OptString("cursor_key");
  // Service options (the Config entries of the same names; upper bounds checked by Platform::Open).
  const std::tuple<const char*, std::optional<int64_t>, int64_t Config::*> service_options[] = {
      {"moderation_auto_hide_threshold", r.OptInt("moderation_auto_hide_threshold"),
       &Config::moderation_auto_hide_threshold},
      {"tip_fee_bps", r.OptInt("tip_fee_bps"), &Config::tip_fee_bps},
      {"money_idempotency_retention_s", r.OptInt("money_idempotency_retention_s"),
       &Config::money_idempotency_retention_s},
      {"money_max_attempts", r.OptInt("money_max_attempts"), &Config::money_max_attempts}};
  // The other concerns' URLs (Config; each defaults as in Platform::Open).
  std::optional<std::string> cache_url = r.OptString("cache");
  std::optional<std::string> bus_url = r.OptString("bus");
  std::optional<std::string> realtime_url = r.OptString("realtime");
  std::optional<std::string> blobs_url = r.OptString("blobs");
  DAIRA_RETURN_IF_ERROR(ParseRateLimits(kOpen, r, options.rate_limits));
  DAIRA_RETURN_IF_ERROR(ParsePayments(kOpen, r, options.payments));
  DAIRA_RETURN_IF_ERROR(r.Finish());
  if (max_request) {
    if (*max_request < 2 || *max_request > kMaxRequestBytesLimit) {
      return InvalidField(kOpen, "max_request_bytes",
                          absl::StrCat("must be between 2 and ", kMaxRequestBytesLimit, " (got ", *max_request, ")"));
    }
    open.max_request_bytes = static_cast<size_t>(*max_request);
  }
  if (node_id) {
    if (*node_id < 0 || *node_id > 1023) {
      return InvalidField(kOpen, "node_id", absl::StrCat("must be in [0, 1023] (got ", *node_id, ")"));
    }
    open.config.node_id = static_cast<int>(*node_id);
  }
  for (const auto& [name, value, field] : service_options) {
    if (!value) continue;
    if (*value < 0) return InvalidField(kOpen, name, absl::StrCat("must be >= 0 (got ", *value, ")"));
    open.config.*field = *value;
  }
  if (cache_url) open.config.cache = *cache_url;
  if (bus_url) open.config.bus = *bus_url;
  if (realtime_url) open.config.realtime = *realtime_url;
  if (blobs_url) open.config.blobs = *blobs_url;
  if (cursor_key) {
    if (cursor_key->empty()) return InvalidField(kOpen, "cursor_key", "must be 64 hex digits (got an empty string)");
    open.config.cursor_key = *cursor_key;  // checked by Platform::Open (never echoed)
  }
  if (cost == "test") {
    options.accounts = services::AccountsOptions::ForTesting();
  } else if (cost != "interactive") {
    return InvalidField(kOpen, "password_cost", absl::StrCat("must be \"interactive\" or \"test\" (got \"", cost, "\")"));
  }
  if (access_ttl) {
    options.accounts.access_token_ttl = std::chrono::seconds(*access_ttl);
  }
  if (refresh_ttl) {
    options.accounts.refresh_token_ttl = std::chrono::seconds(*refresh_ttl);
  }
  // Narrowed with a range check: AccountsOptions::Validate then names any value out of its bounds.
  auto narrow = [](int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, -1, 1 << 20)); };
  if (max_hashes) options.accounts.max_concurrent_password_hashes = narrow(*max_hashes);
  if (hash_wait) options.accounts.password_hash_wait = std::chrono::milliseconds(std::clamp<int64_t>(*hash_wait, -1, int64_t{1} << 40));
  if (grace) options.accounts.refresh_reuse_grace = std::chrono::seconds(std::clamp<int64_t>(*grace, -1, int64_t{1} << 40));
  if (max_hashes && (*max_hashes < 0 || *max_hashes > 4096)) {
    return InvalidField(kOpen, "max_concurrent_password_hashes",
                        absl::StrCat("must be between 0 and 4096 (got ", *max_hashes, ")"));
  }
  // Token TTLs and the rest (an INT64_MAX TTL would overflow the expiry into the past).
  absl::Status valid = options.accounts.Validate();
  if (!valid.ok()) {
    const std::string field = StatusField(valid);
    std::string message(valid.message());
    const std::string prefix = "accounts options: ";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    if (!field.empty() && message.rfind(field + " ", 0) == 0) message.erase(0, field.size() + 1);
    return InvalidField(kOpen, field.empty() ? "options_json" : field, message);
  }
  return open;
}

absl::Status TransactionHandle(std::string_view op) {
  return InvalidField(op, "platform",
                      "is a transaction handle: end it with daira_transaction_commit or daira_transaction_rollback");
}

absl::Status Shutdown(daira_platform_t* handle) {
  handle->closing.store(true, std::memory_order_release);  // new calls fail fast from here on
  std::unique_lock<std::shared_mutex> lock(handle->mu);
  if (handle->platform == nullptr) return absl::OkStatus();
  RollBackTransactions(*handle);  // their connections go back before the pool closes
  absl::Status closed = handle->platform->Close();
  handle->platform.reset();
  return closed;
}

}  // namespace
}  // namespace daira::cabi

using daira::cabi::Guarded;
using daira::cabi::NullArgument;

extern "C" {

daira_code daira_platform_open(const char* url, size_t url_len, const char* options_json, size_t options_len,
                               daira_platform_t** out, daira_error_t** err) {
  return Guarded(err, [&]() -> absl::Status {
    using daira::cabi::kOpen;
    if (out == nullptr) return NullArgument(kOpen, "out");
    *out = nullptr;
    if (url == nullptr) return NullArgument(kOpen, "url");
    DAIRA_ASSIGN_OR_RETURN(std::string_view options_text,
                           daira::cabi::Text(kOpen, "options_json", options_json, options_len));
    DAIRA_ASSIGN_OR_RETURN(daira::cabi::OpenOptions options, daira::cabi::ParseOptions(options_text));
    options.config.database = std::string(url, url_len);
    auto platform = daira::Platform::Open(options.config, options.platform);
    if (!platform.ok()) return daira::Annotate(platform.status(), kOpen);
    auto handle = std::make_unique<daira_platform>();
    handle->max_request_bytes = options.max_request_bytes;
    handle->platform = *std::move(platform);
    *out = handle.release();
    return absl::OkStatus();
  });
}

daira_code daira_platform_shutdown(daira_platform_t* platform, daira_error_t** err) {
  return Guarded(err, [&]() -> absl::Status {
    if (platform == nullptr) return NullArgument("platform.shutdown", "platform");
    if (platform->parent != nullptr) return daira::cabi::TransactionHandle("platform.shutdown");
    return daira::cabi::Shutdown(platform);
  });
}

daira_code daira_platform_close(daira_platform_t** platform, daira_error_t** err) {
  return Guarded(err, [&]() -> absl::Status {
    if (platform == nullptr) return NullArgument("platform.close", "platform");
    if (*platform == nullptr) return absl::OkStatus();
    if ((*platform)->parent != nullptr) return daira::cabi::TransactionHandle("platform.close");
    absl::Status closed = daira::cabi::Shutdown(*platform);
    // With transaction handles still open the root stays allocated until the last of them ends.
    if (daira::cabi::ReleaseRoot(**platform)) delete *platform;
    *platform = nullptr;
    return closed;
  });
}

daira_code daira_platform_ping(daira_platform_t* platform, daira_error_t** err) {
  // A call like any other: on a transaction handle, the round trip runs on the transaction's connection.
  return daira::cabi::PlatformCall(
      platform, "platform.ping", nullptr, 0, nullptr, err,
      [](daira::Platform& p, std::string_view, const daira::RequestContext& ctx) -> absl::StatusOr<std::string> {
        DAIRA_RETURN_IF_ERROR(p.Ping(ctx));
        return std::string();
      });
}

}  // extern "C"
