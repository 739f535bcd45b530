#include "core/byte_size_internal.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daira/core/status.h"

namespace daira::inline v0::internal {

absl::StatusOr<int64_t> ParseByteSize(std::string_view op, std::string_view field, std::string_view text,
                                      bool allow_zero) {
  struct Suffix {
    std::string_view s;
    int64_t mult;
  };
  static constexpr Suffix kSuffixes[] = {{"KiB", int64_t{1} << 10},
                                         {"MiB", int64_t{1} << 20},
                                         {"GiB", int64_t{1} << 30},
                                         {"KB", 1000},
                                         {"MB", 1000 * 1000},
                                         {"GB", 1000 * 1000 * 1000},
                                         {"B", 1}};
  std::string_view digits = text;
  int64_t mult = 1;
  for (const Suffix& s : kSuffixes) {
    if (text.size() > s.s.size() && text.substr(text.size() - s.s.size()) == s.s) {
      digits = text.substr(0, text.size() - s.s.size());
      mult = s.mult;
      break;
    }
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(ToAbsl(digits), &n) || n < (allow_zero ? 0 : 1) || n > (int64_t{1} << 50) / mult) {
    return InvalidField(op, field,
                        absl::StrCat("must be a ", allow_zero ? "" : "positive ",
                                     "size in bytes, KiB, MiB or GiB (got '", ToAbsl(text), "')"));
  }
  return n * mult;
}

}  // namespace daira::inline v0::internal
