#include "daira/store/value.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace daira::inline v0::store {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNull: return "null";
    case ValueType::kInt64: return "int64";
    case ValueType::kDouble: return "double";
    case ValueType::kText: return "text";
    case ValueType::kBlob: return "blob";
    case ValueType::kInt64Array: return "int64[]";
    case ValueType::kTextArray: return "text[]";
    case ValueType::kJson: return "json";
  }
  return "unknown";
}

namespace {
std::string Truncated(const std::string& s) {
  constexpr size_t kMax = 64;
  if (s.size() <= kMax) return absl::StrCat("\"", s, "\"");
  return absl::StrCat("\"", s.substr(0, kMax), "\"...(", s.size(), " bytes)");
}
}  // namespace

std::string Value::DebugString() const {
  switch (type()) {
    case ValueType::kNull: return "NULL";
    case ValueType::kInt64: return absl::StrCat(int64());
    case ValueType::kDouble: return absl::StrCat(dbl());
    case ValueType::kText: return Truncated(text());
    case ValueType::kBlob: return absl::StrCat("blob(", blob().size(), " bytes)");
    case ValueType::kInt64Array: return absl::StrCat("[", absl::StrJoin(int64_array(), ","), "]");
    case ValueType::kTextArray: return absl::StrCat("[", text_array().size(), " strings]");
    case ValueType::kJson: return absl::StrCat("json:", Truncated(json()));
  }
  return "?";
}

}  // namespace daira::inline v0::store
