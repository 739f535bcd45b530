// A typed SQL value: what statements bind and what result rows hold.
//
//   std::vector<store::Value> params = {int64_t{42}, "alice", nullptr, 3.5,
//                                       store::Value::Blob(bytes), std::vector<int64_t>{1, 2, 3},
//                                       store::Value::Json(R"({"k":1})")};
//
// Arrays bind as native arrays on Postgres (bigint[] / text[]) and as JSON array text on SQLite,
// so `id = ANY(?)` / `json_each(?)` (see Dialect::InArray) work from the same Value.
// Booleans are integers 0/1. Timestamps are int64 microseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace daira::inline v0::store {

enum class ValueType { kNull, kInt64, kDouble, kText, kBlob, kInt64Array, kTextArray, kJson };

std::string_view ValueTypeName(ValueType t);

class Value {
 public:
  Value() = default;  // NULL
  Value(std::nullptr_t) {}
  Value(int v) : v_(int64_t{v}) {}
  Value(int64_t v) : v_(v) {}
  Value(bool v) : v_(int64_t{v ? 1 : 0}) {}
  Value(double v) : v_(v) {}
  Value(const char* s) : v_(Text{std::string(s)}) {}
  Value(std::string_view s) : v_(Text{std::string(s)}) {}
  Value(std::string s) : v_(Text{std::move(s)}) {}
  Value(std::vector<int64_t> a) : v_(std::move(a)) {}
  Value(std::vector<std::string> a) : v_(std::move(a)) {}
  static Value Blob(std::string bytes) { Value v; v.v_ = BlobData{std::move(bytes)}; return v; }
  static Value Json(std::string text) { Value v; v.v_ = JsonData{std::move(text)}; return v; }

  ValueType type() const { return static_cast<ValueType>(v_.index()); }
  bool is_null() const { return v_.index() == 0; }

  // Typed access. Precondition: type() matches (checked by assertion in debug builds); the
  // conversions documented on Row are more forgiving.
  int64_t int64() const { return std::get<int64_t>(v_); }
  double dbl() const { return std::get<double>(v_); }
  const std::string& text() const { return std::get<Text>(v_).s; }  // kText
  const std::string& blob() const { return std::get<BlobData>(v_).bytes; }
  const std::string& json() const { return std::get<JsonData>(v_).text; }
  const std::vector<int64_t>& int64_array() const { return std::get<std::vector<int64_t>>(v_); }
  const std::vector<std::string>& text_array() const { return std::get<std::vector<std::string>>(v_); }

  // A short human form for logs and test failures (blobs as length, long text truncated).
  std::string DebugString() const;
  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  struct Text { std::string s; friend bool operator==(const Text&, const Text&) = default; };
  struct BlobData { std::string bytes; friend bool operator==(const BlobData&, const BlobData&) = default; };
  struct JsonData { std::string text; friend bool operator==(const JsonData&, const JsonData&) = default; };
  // Order matches ValueType.
  std::variant<std::monostate, int64_t, double, Text, BlobData, std::vector<int64_t>,
               std::vector<std::string>, JsonData>
      v_;
};

}  // namespace daira::inline v0::store
