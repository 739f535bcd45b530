// The UserProfile model: one row of `user_profiles` (display fields, counters, trust, badges).
//
//   model::UserProfile p;                           // usually filled by services::Profiles
//   p.display_name = "Alice";
//   if (p.trust_score < 0.2) { /* hold for review */ }
//   for (const std::string& b : p.badges) { ... }   // e.g. "early_adopter"
//
// Counters (followers_count, …) are maintained by the services that change the edges they count, in
// the same transaction. Nullable text columns read as std::nullopt when NULL.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daira/core/clock.h"
#include "daira/model/ids.h"

namespace daira::inline v0::model {

struct UserProfile {
  UserId user_id;
  std::optional<std::string> display_name;
  std::optional<std::string> bio;
  std::optional<std::string> location;
  std::optional<std::string> website;
  int64_t followers_count = 0;
  int64_t following_count = 0;
  int64_t posts_count = 0;
  int64_t videos_count = 0;
  int64_t likes_received_count = 0;
  double trust_score = 0.5;  // 0..1
  std::vector<std::string> badges;
  Clock::TimePoint created_at{};
  Clock::TimePoint updated_at{};
};

// The counters of a profile: what Profiles::Stats returns (one statement).
struct UserStats {
  UserId user_id;
  int64_t followers = 0;
  int64_t following = 0;
  int64_t posts = 0;
  int64_t videos = 0;
  int64_t likes_received = 0;
};

}  // namespace daira::inline v0::model
