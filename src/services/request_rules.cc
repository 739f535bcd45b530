#include "services/request_rules.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/core/utf8.h"
#include "daira/query/page_request.h"
#include "daira/services/listing_requests.h"
#include "daira/services/wallet_requests.h"

namespace daira::inline v0::services::internal {

bool NonBlankText(Violations& v, std::string_view field, std::string_view value, size_t max, bool multiline) {
  return BodyText(v, field, value, max, multiline, /*required=*/true);
}

bool BodyText(Violations& v, std::string_view field, std::string_view value, size_t max, bool multiline,
              bool required) {
  if (!v.Length(field, value, required ? 1 : 0, max)) return false;
  if (required && TrimWhitespace(value).empty()) {
    v.Add(field, "must not be blank");
    return false;
  }
  return v.NoControlCharacters(field, value, multiline);
}

bool OpaqueAscii(Violations& v, std::string_view field, std::string_view value, size_t min, size_t max) {
  return v.OpaqueAscii(field, value, min, max);
}

void UrlList(Violations& v, std::string_view field, const std::vector<std::string>& urls, size_t max) {
  v.Count(field, urls.size(), 0, max);
  for (size_t i = 0; i < urls.size(); ++i) v.Url(absl::StrCat(ToAbsl(field), "[", i, "]"), urls[i]);
}

void DistinctIds(Violations& v, std::string_view field, const std::vector<int64_t>& ids) {
  std::unordered_map<int64_t, size_t> first_index;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string item = absl::StrCat(ToAbsl(field), "[", i, "]");
    if (!v.Id(item, ids[i])) continue;
    auto [it, inserted] = first_index.emplace(ids[i], i);
    if (!inserted) {
      v.Add(item, absl::StrCat("repeats ", ToAbsl(field), "[", it->second, "] (got ", ids[i], ")"));
    }
  }
}

bool Different(Violations& v, std::string_view field, int64_t value, std::string_view other_field, int64_t other) {
  if (value <= 0 || other <= 0 || value != other) return true;
  v.Add(other_field, absl::StrCat("must differ from ", ToAbsl(field), " (got ", other, ")"));
  return false;
}

void PageRules(Violations& v, int64_t limit, std::string_view cursor) {
  query::AddPageViolations(v, limit, cursor);
}

void MoneyRules(Violations& v, int64_t amount, std::string_view currency, std::string_view idempotency_key) {
  v.Amount("amount", amount, kMaxTransferAmount);
  v.Currency("currency", currency);
  v.Token("idempotency_key", idempotency_key, kMinIdempotencyKeyLength, kMaxIdempotencyKeyLength);
}

}  // namespace daira::inline v0::services::internal
