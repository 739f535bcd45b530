// A block: `blocker_id` blocked `blocked_id`. Blocks hide each user from the other everywhere and
// forbid follows in either direction.
//
//   model::Block b{.id = 9, .blocker_id = UserId{1}, .blocked_id = UserId{2}, .reason = "spam"};
//   if (b.reason.has_value()) std::printf("%s\n", b.reason->c_str());
//
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "daira/model/ids.h"

namespace daira::inline v0::model {

struct Block {
  int64_t id = 0;                        // blocks.id (time-ordered)
  UserId blocker_id;
  UserId blocked_id;
  std::optional<std::string> reason{};   // null when none was given
  std::chrono::system_clock::time_point created_at{};
};

}  // namespace daira::inline v0::model
