// Rules shared by the request types of several service areas (private to src/services).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daira/core/validation.h"

namespace daira::inline v0::services::internal {

// Text of 1..max characters that is not only whitespace, without control characters (tab/LF/CR
// allowed when `multiline`).
bool NonBlankText(Violations& v, std::string_view field, std::string_view value, size_t max, bool multiline);

// Text of 0..max characters (1..max when `required`), not blank when required.
bool BodyText(Violations& v, std::string_view field, std::string_view value, size_t max, bool multiline,
              bool required);

// `min`..`max` printable ASCII characters without spaces (opaque tokens, cursors, provider ids).
bool OpaqueAscii(Violations& v, std::string_view field, std::string_view value, size_t min, size_t max);

// A list of at most `max` http(s) URLs; each bad one is reported as "<field>[i]".
void UrlList(Violations& v, std::string_view field, const std::vector<std::string>& urls, size_t max);

// Each id > 0 and none repeated; reported as "<field>[i]".
void DistinctIds(Violations& v, std::string_view field, const std::vector<int64_t>& ids);

// `other_field` (== `other`) must differ from `field` (== `value`): "<other_field> must differ from
// <field> (got <other>)". Skipped when either id is not positive (already reported).
bool Different(Violations& v, std::string_view field, int64_t value, std::string_view other_field, int64_t other);

// limit 1..kMaxPageLimit and an optional cursor.
void PageRules(Violations& v, int64_t limit, std::string_view cursor);

// amount, currency and idempotency key of a money-moving request.
void MoneyRules(Violations& v, int64_t amount, std::string_view currency, std::string_view idempotency_key);

}  // namespace daira::inline v0::services::internal
