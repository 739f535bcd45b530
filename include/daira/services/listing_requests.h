// Requests that list things: a page of any list, a search, and marking notifications read.
//
//   daira::services::PageRequest page{.limit = 20, .cursor = next_cursor};
//   page.Validate();                                  // OK
//   daira::services::SearchRequest s{.query = "  ", .limit = 500};
//   s.Validate();  // InvalidArgument "search: query must not be blank; limit must be between 1 and 100 (got 500)"
//
// Cursors are opaque strings produced by daira (keyset positions); validation checks only their size
// and alphabet, decoding them is the query layer's job. Rule tables: docs/validation.md.
//
// Thread-safety: requests are plain values; Validate() is const and touches nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "daira/query/page_request.h"

namespace daira::inline v0::services {

// One page type for the whole SDK (daira/query/page_request.h).
using query::kDefaultPageLimit;
using query::kMaxCursorLength;
using query::kMaxPageLimit;
using query::PageRequest;
inline constexpr size_t kMaxSearchQueryLength = 100;
inline constexpr size_t kMaxNotificationIds = 500;

// What a search looks for.
inline constexpr std::array<std::string_view, 5> kSearchScopes = {"ALL", "USERS", "POSTS", "VIDEOS", "HASHTAGS"};

struct SearchRequest {
  std::string query{};                  // 1–100 characters, single line, not blank
  std::string scope = "ALL";          // ALL | USERS | POSTS | VIDEOS | HASHTAGS
  int64_t limit = kDefaultPageLimit;  // 1–100
  std::string cursor{};                 // as PageRequest::cursor
  absl::Status Validate() const;      // op "search"
};

// Marks either the listed notifications or all of them (all = true, notification_ids empty).
struct MarkNotificationsReadRequest {
  int64_t user_id = 0;                    // > 0
  std::vector<int64_t> notification_ids{};  // 1–500 distinct ids > 0, unless all
  bool all = false;
  absl::Status Validate() const;          // op "mark_notifications_read"
};

}  // namespace daira::inline v0::services
