// Private to the search service and its tests: the user-search statement.
#pragma once

#include <string>

#include "daira/query/keyset.h"
#include "daira/store/dialect.h"

namespace daira::inline v0::services::internal {

// The keyset query for a user search of `q` (already trimmed, '@' dropped, ASCII lower-cased).
query::KeysetQuery UserSearchQuery(store::Backend backend, const std::string& q);

}  // namespace daira::inline v0::services::internal
