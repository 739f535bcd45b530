#include "daira/store/result_set.h"

#include <cassert>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daira/core/json.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "store/json_array.h"

namespace daira::inline v0::store {

namespace {
const Value& NullValue() {
  static const Value kNull;
  return kNull;
}
}  // namespace

std::optional<int> ResultSet::ColumnIndex(std::string_view name) const {
  const std::vector<std::string>& cols = *columns_;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

const Value& Row::operator[](int col) const {
  assert(col >= 0 && col < rs_->column_count());
  if (col < 0 || col >= rs_->column_count()) return NullValue();
  return rs_->at(index_, col);
}

const Value& Row::Get(std::string_view name) const {
  std::optional<int> col = rs_->ColumnIndex(name);
  assert(col.has_value() && "no such column");
  if (!col.has_value()) return NullValue();
  return rs_->at(index_, *col);
}

namespace {

// 2^63 as a double: every double in [-2^63, 2^63) converts to int64 exactly (after truncation).
constexpr double kTwo63 = 9223372036854775808.0;

bool DoubleFitsInt64(double d) { return std::isfinite(d) && d >= -kTwo63 && d < kTwo63; }

int64_t ToInt64(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt64: return v.int64();
    case ValueType::kDouble: return DoubleFitsInt64(v.dbl()) ? static_cast<int64_t>(v.dbl()) : 0;
    case ValueType::kText: {
      int64_t out = 0;
      return absl::SimpleAtoi(v.text(), &out) ? out : 0;
    }
    default: return 0;
  }
}

double ToDouble(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt64: return static_cast<double>(v.int64());
    case ValueType::kDouble: return v.dbl();
    case ValueType::kText: {
      double out = 0;
      return absl::SimpleAtod(v.text(), &out) ? out : 0;
    }
    default: return 0;
  }
}

std::string ToText(const Value& v) {
  switch (v.type()) {
    case ValueType::kInt64: return absl::StrCat(v.int64());
    case ValueType::kDouble: return absl::StrCat(v.dbl());
    case ValueType::kText: return v.text();
    case ValueType::kBlob: return v.blob();
    case ValueType::kJson: return v.json();
    default: return std::string();
  }
}

std::vector<int64_t> ToInt64Array(const Value& v) {
  if (v.type() == ValueType::kInt64Array) return v.int64_array();
  std::vector<int64_t> out;
  if (v.type() == ValueType::kText || v.type() == ValueType::kJson) {
    const std::string_view text = v.type() == ValueType::kText ? v.text() : v.json();
    if (auto simple = internal::ReadSimpleInt64Array(text)) return *std::move(simple);
    auto parsed = ParseJson(text);
    if (parsed.ok()) {
      for (const JsonValue& e : parsed->AsArray()) out.push_back(e.AsInt());
    }
  }
  return out;
}

std::vector<std::string> ToTextArray(const Value& v) {
  if (v.type() == ValueType::kTextArray) return v.text_array();
  std::vector<std::string> out;
  if (v.type() == ValueType::kText || v.type() == ValueType::kJson) {
    const std::string_view text = v.type() == ValueType::kText ? v.text() : v.json();
    if (auto simple = internal::ReadSimpleTextArray(text)) return *std::move(simple);
    auto parsed = ParseJson(text);
    if (parsed.ok()) {
      for (const JsonValue& e : parsed->AsArray()) out.push_back(e.AsString());
    }
  }
  return out;
}

std::string ValueForMessage(const Value& v) {
  if (v.type() == ValueType::kText) return QuoteForMessage(v.text());
  if (v.type() == ValueType::kDouble) return absl::StrCat(v.dbl());
  return std::string(ValueTypeName(v.type()));
}

}  // namespace

absl::StatusOr<int64_t> Row::CheckedInt64(int col) const {
  if (col < 0 || col >= rs_->column_count()) {
    return absl::InternalError(absl::StrCat("row: no column ", col, " in this result"));
  }
  const Value& v = rs_->at(index_, col);
  switch (v.type()) {
    case ValueType::kNull: return 0;
    case ValueType::kInt64: return v.int64();
    case ValueType::kDouble:
      if (DoubleFitsInt64(v.dbl()) && std::trunc(v.dbl()) == v.dbl()) return static_cast<int64_t>(v.dbl());
      break;
    case ValueType::kText: {
      int64_t out = 0;
      if (absl::SimpleAtoi(v.text(), &out)) return out;
      break;
    }
    default: break;
  }
  return absl::DataLossError(absl::StrCat("column ", rs_->columns()[col], " does not hold an integer (got ",
                                          ValueForMessage(v), ")"));
}

absl::StatusOr<double> Row::CheckedDouble(int col) const {
  if (col < 0 || col >= rs_->column_count()) {
    return absl::InternalError(absl::StrCat("row: no column ", col, " in this result"));
  }
  const Value& v = rs_->at(index_, col);
  switch (v.type()) {
    case ValueType::kNull: return 0.0;
    case ValueType::kInt64: return static_cast<double>(v.int64());
    case ValueType::kDouble:
      if (std::isfinite(v.dbl())) return v.dbl();
      break;
    case ValueType::kText: {
      double out = 0;
      if (absl::SimpleAtod(v.text(), &out) && std::isfinite(out)) return out;
      break;
    }
    default: break;
  }
  return absl::DataLossError(absl::StrCat("column ", rs_->columns()[col], " does not hold a finite number (got ",
                                          ValueForMessage(v), ")"));
}

absl::StatusOr<int64_t> Row::CheckedInt64(std::string_view name) const {
  std::optional<int> col = rs_->ColumnIndex(name);
  if (!col.has_value()) {
    return absl::InternalError(absl::StrCat("row: no column ", ToAbsl(name), " in this result"));
  }
  return CheckedInt64(*col);
}

absl::StatusOr<double> Row::CheckedDouble(std::string_view name) const {
  std::optional<int> col = rs_->ColumnIndex(name);
  if (!col.has_value()) {
    return absl::InternalError(absl::StrCat("row: no column ", ToAbsl(name), " in this result"));
  }
  return CheckedDouble(*col);
}

int64_t Row::Int64(int col) const { return ToInt64((*this)[col]); }
int64_t Row::Int64(std::string_view name) const { return ToInt64(Get(name)); }
double Row::Double(int col) const { return ToDouble((*this)[col]); }
double Row::Double(std::string_view name) const { return ToDouble(Get(name)); }
std::string Row::Text(int col) const { return ToText((*this)[col]); }
std::string Row::Text(std::string_view name) const { return ToText(Get(name)); }
std::string Row::Blob(int col) const { return ToText((*this)[col]); }
std::string Row::Blob(std::string_view name) const { return ToText(Get(name)); }
std::vector<int64_t> Row::Int64Array(int col) const { return ToInt64Array((*this)[col]); }
std::vector<int64_t> Row::Int64Array(std::string_view name) const { return ToInt64Array(Get(name)); }
std::vector<std::string> Row::TextArray(int col) const { return ToTextArray((*this)[col]); }
std::vector<std::string> Row::TextArray(std::string_view name) const { return ToTextArray(Get(name)); }
std::string Row::Json(int col) const { return ToText((*this)[col]); }
std::string Row::Json(std::string_view name) const { return ToText(Get(name)); }

}  // namespace daira::inline v0::store
