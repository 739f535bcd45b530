// `daira keys rotate|list`: the cursor signing keys kept in the database (store::CursorKeys,
// docs/reliability.md "Ids and cursor keys across instances"). `rotate` makes a new random key
// current; every running instance signs with it after its next heartbeat and keeps accepting the
// previous key for its cursor_key_grace_ms. `list` shows the keys' ids and dates, never their bytes.
#include <ctime>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/cli.h"
#include "daira/core/request_context.h"
#include "daira/store/cursor_keys.h"
#include "fmt/format.h"

namespace daira::inline v0::cli {
namespace {

struct KeysArgs {
  CLI::App* rotate = nullptr;
  CLI::App* list = nullptr;
};

std::string FormatTime(Clock::TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(ToUnixMicros(t) / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

int Run(const GlobalOptions& globals, const KeysArgs& args) {
  auto db = OpenDatabase(globals.database);
  if (!db.ok()) return FailStatus("", db.status());
  RequestContext ctx({.correlation_id = "", .caller = "cli:keys", .timeout = std::chrono::milliseconds(0)});
  if (args.rotate->parsed()) {
    // A database that never had a key gets its first one, then the rotation: there is always a
    // previous key to retire, as the message says.
    if (absl::Status s = store::CursorKeys::Ensure(**db, ctx); !s.ok()) return FailStatus("keys rotate", s);
    auto fresh = store::CursorKeys::Rotate(**db, ctx);
    if (!fresh.ok()) return FailStatus("keys rotate", fresh.status());
    fmt::print("cursor key {} is now current; running instances sign with it after their next heartbeat "
               "(node_heartbeat_ms) and accept key {} for cursor_key_grace_ms more ({})\n",
               fresh->id, fresh->id - 1, (*db)->endpoint());
    return kExitOk;
  }
  auto keys = store::CursorKeys::List(**db, ctx);
  if (!keys.ok()) return FailStatus("keys list", keys.status());
  if (keys->empty()) {
    fmt::print("no cursor keys yet: the first Platform::Open or `daira migrate` creates one ({})\n", (*db)->endpoint());
    return kExitOk;
  }
  for (const auto& k : *keys) {
    fmt::print("key {:<4}  created {}  {}\n", k.id, FormatTime(k.created_at),
               k.retired_at.has_value() ? "retired " + FormatTime(*k.retired_at) : std::string("current"));
  }
  return kExitOk;
}

}  // namespace

Command AddKeysCommand(CLI::App& root, const GlobalOptions& globals) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* app = root.add_subcommand("keys", "cursor signing keys: rotate makes a new current key, list shows them");
  app->require_subcommand(1);
  args->rotate = app->add_subcommand("rotate", "make a new random cursor key current (the previous one stays "
                                               "accepted for each instance's cursor_key_grace_ms)");
  args->list = app->add_subcommand("list", "list the cursor keys (ids and dates; never the key bytes)");
  return {app, [&globals, args] { return Run(globals, *args); }};
}

}  // namespace daira::inline v0::cli
