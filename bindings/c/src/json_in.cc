// Requests in: a JSON object read field by field, with type errors and unknown fields named.
#include <algorithm>
#include <charconv>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daira/core/status.h"
#include "internal.h"

namespace daira::cabi {
namespace {

const char* TypeName(const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::kNull: return "null";
    case JsonValue::Type::kBool: return "a boolean";
    case JsonValue::Type::kInt: return "an integer";
    case JsonValue::Type::kDouble: return "a number";
    case JsonValue::Type::kString: return "a string";
    case JsonValue::Type::kArray: return "an array";
    case JsonValue::Type::kObject: return "an object";
  }
  return "a value";
}

// An id from a JSON integer or a string of 1–19 decimal digits.
std::optional<int64_t> IdOf(const JsonValue& v) {
  if (v.type() == JsonValue::Type::kInt) return v.AsInt();
  if (v.type() != JsonValue::Type::kString) return std::nullopt;
  const std::string& s = v.AsString();
  if (s.empty() || s.size() > 19) return std::nullopt;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return out;
}

}  // namespace

int IntLimit(Request& r, std::string_view field, int fallback) {
  const int64_t v = r.Int(field, fallback);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    r.Fail(field, absl::StrCat("must be between 1 and 100 (got ", v, ")"));
    return fallback;
  }
  return static_cast<int>(v);
}

absl::StatusOr<Request> Request::Parse(std::string_view op, std::string_view text, std::string_view param) {
  if (text.empty()) return Request(op, JsonValue::MakeObject({}));
  absl::StatusOr<JsonValue> root = ParseJson(text);
  if (!root.ok()) {
    return InvalidField(op, param, absl::StrCat("is not valid JSON: ", root.status().message()));
  }
  if (root->type() != JsonValue::Type::kObject) {
    return InvalidField(op, param, absl::StrCat("must be a JSON object (got ", TypeName(*root), ")"));
  }
  return Request(op, *std::move(root));
}

const JsonValue* Request::Lookup(std::string_view field) {
  read_.emplace_back(field);
  const JsonValue* v = root_.Get(field);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

void Request::Fail(std::string_view field, std::string_view problem) {
  if (error_.ok()) error_ = InvalidField(op_, field, problem);
}

int64_t Request::Id(std::string_view field) { return OptId(field).value_or(0); }

std::optional<int64_t> Request::OptId(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  std::optional<int64_t> id = IdOf(*v);
  if (!id) Fail(field, absl::StrCat("must be an id (an integer or a string of digits; got ", TypeName(*v), ")"));
  return id;
}

std::vector<int64_t> Request::IdList(std::string_view field) {
  std::vector<int64_t> out;
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return out;
  if (v->type() != JsonValue::Type::kArray) {
    Fail(field, absl::StrCat("must be an array of ids (got ", TypeName(*v), ")"));
    return out;
  }
  for (size_t i = 0; i < v->AsArray().size(); ++i) {
    std::optional<int64_t> id = IdOf(v->AsArray()[i]);
    if (!id) {
      Fail(absl::StrCat(std::string(field), "[", i, "]"), "must be an id (an integer or a string of digits)");
      return out;
    }
    out.push_back(*id);
  }
  return out;
}

int64_t Request::Int(std::string_view field, int64_t fallback) { return OptInt(field).value_or(fallback); }

std::optional<int64_t> Request::OptInt(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kInt) {
    Fail(field, absl::StrCat("must be an integer (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  return v->AsInt();
}

std::optional<double> Request::OptDouble(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kInt && v->type() != JsonValue::Type::kDouble) {
    Fail(field, absl::StrCat("must be a number (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  return v->AsDouble();
}

std::optional<std::vector<double>> Request::OptDoubleList(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kArray) {
    Fail(field, absl::StrCat("must be an array of numbers (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  std::vector<double> out;
  out.reserve(v->AsArray().size());
  for (size_t i = 0; i < v->AsArray().size(); ++i) {
    const JsonValue& item = v->AsArray()[i];
    if (item.type() != JsonValue::Type::kInt && item.type() != JsonValue::Type::kDouble) {
      Fail(absl::StrCat(std::string(field), "[", i, "]"),
           absl::StrCat("must be a number (got ", TypeName(item), ")"));
      return std::nullopt;
    }
    out.push_back(item.AsDouble());
  }
  return out;
}

std::string Request::String(std::string_view field, std::string fallback) {
  return OptString(field).value_or(std::move(fallback));
}

std::optional<std::string> Request::OptString(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kString) {
    Fail(field, absl::StrCat("must be a string (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  return v->AsString();
}

std::optional<bool> Request::OptBool(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kBool) {
    Fail(field, absl::StrCat("must be a boolean (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  return v->AsBool();
}

std::vector<std::string> Request::StringList(std::string_view field) {
  return OptStringList(field).value_or(std::vector<std::string>{});
}

std::optional<std::vector<std::string>> Request::OptStringList(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kArray) {
    Fail(field, absl::StrCat("must be an array of strings (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < v->AsArray().size(); ++i) {
    const JsonValue& item = v->AsArray()[i];
    if (item.type() != JsonValue::Type::kString) {
      Fail(absl::StrCat(std::string(field), "[", i, "]"), absl::StrCat("must be a string (got ", TypeName(item), ")"));
      return std::nullopt;
    }
    out.push_back(item.AsString());
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> Request::OptTime(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  absl::Time t;
  std::string why;
  if (v->type() != JsonValue::Type::kString ||
      !absl::ParseTime(absl::RFC3339_full, v->AsString(), &t, &why)) {
    Fail(field, absl::StrCat("must be an RFC 3339 time such as \"2026-11-29T18:04:05.123Z\" (got ",
                             TypeName(*v), ")"));
    return std::nullopt;
  }
  return absl::ToChronoTime(t);
}

std::optional<std::string> Request::OptObjectText(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kObject) {
    Fail(field, absl::StrCat("must be a JSON object (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  return v->Serialize();
}

std::optional<std::vector<std::string>> Request::OptObjectListTexts(std::string_view field) {
  const JsonValue* v = Lookup(field);
  if (v == nullptr) return std::nullopt;
  if (v->type() != JsonValue::Type::kArray) {
    Fail(field, absl::StrCat("must be an array of JSON objects (got ", TypeName(*v), ")"));
    return std::nullopt;
  }
  std::vector<std::string> out;
  out.reserve(v->AsArray().size());
  for (size_t i = 0; i < v->AsArray().size(); ++i) {
    const JsonValue& item = v->AsArray()[i];
    if (item.type() != JsonValue::Type::kObject) {
      Fail(std::string(field) + "[" + std::to_string(i) + "]", absl::StrCat("must be a JSON object (got ", TypeName(item), ")"));
      return std::nullopt;
    }
    out.push_back(item.Serialize());
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> IdArray(std::string_view op, std::string_view text, std::string_view param) {
  absl::StatusOr<JsonValue> root = ParseJson(text);
  if (!root.ok()) {
    return InvalidField(op, param, absl::StrCat("is not valid JSON: ", root.status().message()));
  }
  if (root->type() != JsonValue::Type::kArray) {
    return InvalidField(op, param, absl::StrCat("must be a JSON array of ids (got ", TypeName(*root), ")"));
  }
  std::vector<int64_t> out;
  out.reserve(root->AsArray().size());
  for (size_t i = 0; i < root->AsArray().size(); ++i) {
    std::optional<int64_t> id = IdOf(root->AsArray()[i]);
    if (!id) {
      return InvalidField(op, absl::StrCat(ToAbsl(param), "[", i, "]"), "must be an id (an integer or a string of digits)");
    }
    out.push_back(*id);
  }
  return out;
}

absl::Status Request::Finish() const {
  if (!error_.ok()) return error_;
  for (const auto& [key, value] : root_.AsObject()) {
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      return InvalidField(op_, key, "is not a field of this request");
    }
  }
  return absl::OkStatus();
}

}  // namespace daira::cabi
