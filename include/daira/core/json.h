// JSON in and out. Parsing uses simdjson (kept private to one .cc); writing uses a small writer
// that escapes correctly and keeps unicode.
//
//   daira::JsonWriter w;
//   w.BeginObject().Key("name").String("Zoë \"z\"").Key("n").Int(3).EndObject();
//   std::string text = w.Take();                       // {"name":"Zoë \"z\"","n":3}
//   auto v = daira::ParseJson(text);                   // JsonValue tree
//   v->Get("name")->AsString();                        // "Zoë \"z\""
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace daira::inline v0 {

// An owned JSON value tree. Objects keep key order as written.
class JsonValue {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default;  // null
  static JsonValue Bool(bool b);
  static JsonValue Int(int64_t i);
  static JsonValue Double(double d);
  static JsonValue String(std::string s);
  static JsonValue MakeArray(Array a);
  static JsonValue MakeObject(Object o);

  Type type() const;
  bool is_null() const { return type() == Type::kNull; }
  bool AsBool() const;             // false unless kBool
  int64_t AsInt() const;           // kInt, or kDouble truncated; else 0
  double AsDouble() const;         // kDouble or kInt; else 0
  const std::string& AsString() const;  // "" unless kString
  const Array& AsArray() const;    // empty unless kArray
  const Object& AsObject() const;  // empty unless kObject
  // Member `key` of an object, or null when absent / not an object. Valid while *this lives.
  const JsonValue* Get(std::string_view key) const;
  // Compact serialization (round-trips through ParseJson).
  std::string Serialize() const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<Array>,
               std::shared_ptr<Object>>
      v_;
};

// Parses UTF-8 JSON text. InvalidArgument with simdjson's reason and "json" as the field on bad input
// (including invalid UTF-8, lone surrogates, and numbers outside both uint64 and double range).
// Integers above INT64_MAX (up to UINT64_MAX) become the nearest double. With duplicate keys, Get()
// returns the last one; AsObject() keeps them all.
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

// Streaming writer producing compact JSON. Misuse (a value where a key is required) is a programming
// error caught by debug assertions.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);  // escapes ", \, control chars; keeps UTF-8 as is
  JsonWriter& Int(int64_t i);
  JsonWriter& Double(double d);            // shortest round-trip form; NaN/Inf become null
  JsonWriter& Bool(bool b);
  JsonWriter& Null();
  JsonWriter& Raw(std::string_view json);  // pre-serialized JSON, inserted as one value
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `s` JSON-escaped (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace daira::inline v0
