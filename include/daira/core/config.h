// Platform configuration: one URL per concern. Leaving everything out gives the embedded default.
//
//   auto cfg = daira::Config::Embedded("app.db");               // sqlite:app.db, memory cache/bus/realtime
//   auto cfg2 = daira::Config::FromUrls({"database=postgres://app@127.0.0.1:5433/app",
//                                        "cache=redis://127.0.0.1:6380/0"});
//   if (!cfg2.ok()) { /* InvalidArgument naming the concern and what is wrong */ }
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::inline v0 {

struct Config {
  std::string database = "sqlite:./daira.db";  // sqlite:PATH | sqlite::memory: | postgres://...
  std::string cache = "memory:";               // memory: | redis://...
  std::string bus = "sqlite:";                 // sqlite: (same file as database) | postgres: | redis://...
  std::string realtime = "memory:";            // memory: | redis://...
  std::string blobs = "file:./daira-blobs";    // file:DIR | s3://...

  // The embedded default on the SQLite file at `path`.
  static Config Embedded(std::string_view path);
  // Parses "concern=url" entries (database, cache, bus, realtime, blobs); unknown concerns or
  // malformed URLs are InvalidArgument naming the entry.
  static absl::StatusOr<Config> FromUrls(const std::vector<std::string>& entries);
};

}  // namespace daira::inline v0
