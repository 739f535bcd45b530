// Platform handle: open (URL + options JSON), shutdown, close, ping.
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "internal.h"

namespace daira::cabi {
namespace {

constexpr std::string_view kOpen = "platform.open";

struct OpenOptions {
  PlatformOptions options;
  Config config;  // the instance options (node_id, cursor_key); the URL is set by the caller
};

absl::StatusOr<OpenOptions> ParseOptions(std::string_view text) {
  DAIRA_ASSIGN_OR_RETURN(Request r, Request::Parse(kOpen, text, "options_json"));
  OpenOptions open;
  PlatformOptions& options = open.options;
  options.migrate = r.OptBool("migrate").value_or(true);
  const std::string cost = r.String("password_cost", "interactive");
  std::optional<int64_t> access_ttl = r.OptInt("access_token_ttl_s");
  std::optional<int64_t> refresh_ttl = r.OptInt("refresh_token_ttl_s");
  std::optional<int64_t> node_id = r.OptInt("node_id");
  std::optional<std::string> cursor_key = r.OptString("cursor_key");
  DAIRA_RETURN_IF_ERROR(r.Finish());
  if (node_id) {
    if (*node_id < 0 || *node_id > 1023) {
      return InvalidField(kOpen, "node_id", absl::StrCat("must be in [0, 1023] (got ", *node_id, ")"));
    }
    open.config.node_id = static_cast<int>(*node_id);
  }
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
    if (*access_ttl <= 0) return InvalidField(kOpen, "access_token_ttl_s", absl::StrCat("must be > 0 (got ", *access_ttl, ")"));
    options.accounts.access_token_ttl = std::chrono::seconds(*access_ttl);
  }
  if (refresh_ttl) {
    if (*refresh_ttl <= 0) return InvalidField(kOpen, "refresh_token_ttl_s", absl::StrCat("must be > 0 (got ", *refresh_ttl, ")"));
    options.accounts.refresh_token_ttl = std::chrono::seconds(*refresh_ttl);
  }
  return open;
}

absl::Status Shutdown(daira_platform_t* handle) {
  handle->closing.store(true, std::memory_order_release);  // new calls fail fast from here on
  std::unique_lock<std::shared_mutex> lock(handle->mu);
  if (handle->platform == nullptr) return absl::OkStatus();
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
    DAIRA_ASSIGN_OR_RETURN(daira::cabi::OpenOptions open, daira::cabi::ParseOptions(options_text));
    open.config.database = std::string(url, url_len);
    auto platform = daira::Platform::Open(open.config, open.options);
    if (!platform.ok()) return daira::Annotate(platform.status(), kOpen);
    auto handle = std::make_unique<daira_platform>();
    handle->platform = *std::move(platform);
    *out = handle.release();
    return absl::OkStatus();
  });
}

daira_code daira_platform_shutdown(daira_platform_t* platform, daira_error_t** err) {
  return Guarded(err, [&]() -> absl::Status {
    if (platform == nullptr) return NullArgument("platform.shutdown", "platform");
    return daira::cabi::Shutdown(platform);
  });
}

daira_code daira_platform_close(daira_platform_t** platform, daira_error_t** err) {
  return Guarded(err, [&]() -> absl::Status {
    if (platform == nullptr) return NullArgument("platform.close", "platform");
    if (*platform == nullptr) return absl::OkStatus();
    absl::Status closed = daira::cabi::Shutdown(*platform);
    delete *platform;
    *platform = nullptr;
    return closed;
  });
}

daira_code daira_platform_ping(daira_platform_t* platform, daira_error_t** err) {
  return Guarded(err, [&]() -> absl::Status {
    if (platform == nullptr) return NullArgument("platform.ping", "platform");
    if (platform->closing.load(std::memory_order_acquire)) {
      return absl::FailedPreconditionError("platform.ping: platform is closed");
    }
    std::shared_lock<std::shared_mutex> lock(platform->mu);
    if (platform->platform == nullptr) return absl::FailedPreconditionError("platform.ping: platform is closed");
    daira::RequestContext ctx;
    return platform->platform->Ping(ctx);
  });
}

}  // extern "C"
