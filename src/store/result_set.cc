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
#include "store/result_source.h"

namespace daira::inline v0::store {

namespace {
const Value& NullValue() {
  static const Value kNull;
  return kNull;
}
}  // namespace

const std::vector<Value>& ResultSource::Values(size_t rows, int cols) const {
  std::call_once(once_, [&] {
    values_.reserve(rows * static_cast<size_t>(cols));
    for (size_t r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) values_.push_back(ValueAt(r, c));
    }
  });
  return values_;
}

ResultSet::ResultSet(std::shared_ptr<const std::vector<std::string>> columns,
                     std::shared_ptr<const ResultSource> source, size_t rows)
    : columns_(std::move(columns)), source_(std::move(source)), source_rows_(rows) {}

const Value& ResultSet::SourceAt(size_t row, int col) const {
  return source_->Values(source_rows_, column_count())[row * columns_->size() + col];
}

void ResultSet::Detach() {
  values_ = source_->Values(source_rows_, column_count());
  source_.reset();
  source_rows_ = 0;
}

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

// An array stored as JSON array text (SQLite's arrays, JSON columns); empty when `text` is no array.
std::vector<int64_t> Int64ArrayFromText(std::string_view text) {
  if (auto simple = internal::ReadSimpleInt64Array(text)) return *std::move(simple);
  std::vector<int64_t> out;
  auto parsed = ParseJson(text);
  if (parsed.ok()) {
    for (const JsonValue& e : parsed->AsArray()) out.push_back(e.AsInt());
  }
  return out;
}

std::vector<std::string> TextArrayFromText(std::string_view text) {
  if (auto simple = internal::ReadSimpleTextArray(text)) return *std::move(simple);
  std::vector<std::string> out;
  auto parsed = ParseJson(text);
  if (parsed.ok()) {
    for (const JsonValue& e : parsed->AsArray()) out.push_back(e.AsString());
  }
  return out;
}

std::vector<int64_t> ToInt64Array(const Value& v) {
  if (v.type() == ValueType::kInt64Array) return v.int64_array();
  if (v.type() == ValueType::kText) return Int64ArrayFromText(v.text());
  if (v.type() == ValueType::kJson) return Int64ArrayFromText(v.json());
  return {};
}

std::vector<std::string> ToTextArray(const Value& v) {
  if (v.type() == ValueType::kTextArray) return v.text_array();
  if (v.type() == ValueType::kText) return TextArrayFromText(v.text());
  if (v.type() == ValueType::kJson) return TextArrayFromText(v.json());
  return {};
}

std::string ValueForMessage(const Value& v) {
  if (v.type() == ValueType::kText) return QuoteForMessage(v.text());
  if (v.type() == ValueType::kDouble) return absl::StrCat(v.dbl());
  return std::string(ValueTypeName(v.type()));
}

// Checked conversions of a Value, naming `column` in the error.
absl::StatusOr<int64_t> CheckedInt64Of(const Value& v, std::string_view column) {
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
  return absl::DataLossError(
      absl::StrCat("column ", ToAbsl(column), " does not hold an integer (got ", ValueForMessage(v), ")"));
}

absl::StatusOr<double> CheckedDoubleOf(const Value& v, std::string_view column) {
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
  return absl::DataLossError(
      absl::StrCat("column ", ToAbsl(column), " does not hold a finite number (got ", ValueForMessage(v), ")"));
}

using Cell = ResultSource::Cell;

// The source holding `rs`'s cells when `col` is one of its columns; null otherwise (the Value path then
// handles both materialized results and out-of-range columns).
const ResultSource* CellSource(const ResultSet& rs, int col) {
  const ResultSource* s = rs.source();  // null first: a Values result pays one test
  return s != nullptr && col >= 0 && col < rs.column_count() ? s : nullptr;
}

}  // namespace

absl::StatusOr<int64_t> Row::CheckedInt64(int col) const {
  if (col < 0 || col >= rs_->column_count()) {
    return absl::InternalError(absl::StrCat("row: no column ", col, " in this result"));
  }
  if (const ResultSource* s = rs_->source(); s != nullptr) {
    if (const ResultSource::FlatCell* f = s->Flat(index_, col); f != nullptr && f->kind == Cell::Kind::kInt64) {
      return f->int64;
    }
    const Cell c = s->Read(index_, col);
    if (c.kind == Cell::Kind::kInt64) return c.int64;
    if (c.kind == Cell::Kind::kNull) return 0;
    return CheckedInt64Of(s->ValueAt(index_, col), rs_->columns()[col]);
  }
  return CheckedInt64Of(rs_->at(index_, col), rs_->columns()[col]);
}

absl::StatusOr<double> Row::CheckedDouble(int col) const {
  if (col < 0 || col >= rs_->column_count()) {
    return absl::InternalError(absl::StrCat("row: no column ", col, " in this result"));
  }
  if (const ResultSource* s = rs_->source(); s != nullptr) {
    const Cell c = s->Read(index_, col);
    if (c.kind == Cell::Kind::kInt64) return static_cast<double>(c.int64);
    if (c.kind == Cell::Kind::kNull) return 0.0;
    return CheckedDoubleOf(s->ValueAt(index_, col), rs_->columns()[col]);
  }
  return CheckedDoubleOf(rs_->at(index_, col), rs_->columns()[col]);
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

namespace {
// The index of `name` in `rs`, or -1 (a programming error: the Value path asserts and reads NULL).
int NamedColumn(const ResultSet& rs, std::string_view name) {
  std::optional<int> col = rs.ColumnIndex(name);
  assert(col.has_value() && "no such column");
  return col.value_or(-1);
}
}  // namespace

namespace {

// The in-place reads of a source cell, out of line so that the accessors' Values path (SQLite) stays
// as small as it was before sources existed.
[[gnu::noinline]] int64_t SourceInt64(const ResultSource& s, size_t row, int col) {
  const Cell c = s.Read(row, col);
  switch (c.kind) {
    case Cell::Kind::kNull: return 0;
    case Cell::Kind::kInt64: return c.int64;
    case Cell::Kind::kText: {
      int64_t out = 0;
      return absl::SimpleAtoi(ToAbsl(c.text), &out) ? out : 0;
    }
    case Cell::Kind::kOther: break;
  }
  return ToInt64(s.ValueAt(row, col));
}

[[gnu::noinline]] double SourceDouble(const ResultSource& s, size_t row, int col) {
  const Cell c = s.Read(row, col);
  switch (c.kind) {
    case Cell::Kind::kNull: return 0;
    case Cell::Kind::kInt64: return static_cast<double>(c.int64);
    case Cell::Kind::kText: {
      double out = 0;
      return absl::SimpleAtod(ToAbsl(c.text), &out) ? out : 0;
    }
    case Cell::Kind::kOther: break;
  }
  return ToDouble(s.ValueAt(row, col));
}

[[gnu::noinline]] std::string SourceText(const ResultSource& s, size_t row, int col) {
  const Cell c = s.Read(row, col);
  switch (c.kind) {
    case Cell::Kind::kNull: return std::string();
    case Cell::Kind::kInt64: return absl::StrCat(c.int64);
    case Cell::Kind::kText: return std::string(c.text);
    case Cell::Kind::kOther: break;
  }
  return ToText(s.ValueAt(row, col));
}

// Arrays: the source's own decoder, else JSON array text read in place (SQLite's arrays), else the Value.
[[gnu::noinline]] std::vector<int64_t> SourceInt64Array(const ResultSource& s, size_t row, int col) {
  std::vector<int64_t> out;
  if (s.Int64ArrayAt(row, col, &out)) return out;
  const Cell c = s.Read(row, col);
  if (c.kind == Cell::Kind::kText) return Int64ArrayFromText(c.text);
  if (c.kind == Cell::Kind::kNull) return out;
  return ToInt64Array(s.ValueAt(row, col));
}

[[gnu::noinline]] std::vector<std::string> SourceTextArray(const ResultSource& s, size_t row, int col) {
  std::vector<std::string> out;
  if (s.TextArrayAt(row, col, &out)) return out;
  const Cell c = s.Read(row, col);
  if (c.kind == Cell::Kind::kText) return TextArrayFromText(c.text);
  if (c.kind == Cell::Kind::kNull) return out;
  return ToTextArray(s.ValueAt(row, col));
}

}  // namespace

bool Row::IsNull(int col) const {
  if (const ResultSource* s = CellSource(*rs_, col)) return s->IsNull(index_, col);
  return (*this)[col].is_null();
}

// The accessors read a flat cell of the common kind inline (an integer, a text) and leave every
// other cell to the out-of-line Source* readers: ~30 instructions less per read on Postgres results.
int64_t Row::Int64(int col) const {
  if (const ResultSource* s = CellSource(*rs_, col)) {
    if (const ResultSource::FlatCell* f = s->Flat(index_, col); f != nullptr && f->kind == Cell::Kind::kInt64) {
      return f->int64;
    }
    return SourceInt64(*s, index_, col);
  }
  return ToInt64((*this)[col]);
}

double Row::Double(int col) const {
  if (const ResultSource* s = CellSource(*rs_, col)) return SourceDouble(*s, index_, col);
  return ToDouble((*this)[col]);
}

std::string Row::Text(int col) const {
  if (const ResultSource* s = CellSource(*rs_, col)) {
    if (const ResultSource::FlatCell* f = s->Flat(index_, col); f != nullptr && f->kind == Cell::Kind::kText) {
      return std::string(f->text, f->size);
    }
    return SourceText(*s, index_, col);
  }
  return ToText((*this)[col]);
}

std::vector<int64_t> Row::Int64Array(int col) const {
  if (const ResultSource* s = CellSource(*rs_, col)) return SourceInt64Array(*s, index_, col);
  return ToInt64Array((*this)[col]);
}

std::vector<std::string> Row::TextArray(int col) const {
  if (const ResultSource* s = CellSource(*rs_, col)) return SourceTextArray(*s, index_, col);
  return ToTextArray((*this)[col]);
}

// Blobs and JSON read as their text (ToText), as Text does.
std::string Row::Blob(int col) const { return Text(col); }
std::string Row::Json(int col) const { return Text(col); }

bool Row::IsNull(std::string_view name) const { return IsNull(NamedColumn(*rs_, name)); }
int64_t Row::Int64(std::string_view name) const { return Int64(NamedColumn(*rs_, name)); }
double Row::Double(std::string_view name) const { return Double(NamedColumn(*rs_, name)); }
std::string Row::Text(std::string_view name) const { return Text(NamedColumn(*rs_, name)); }
std::string Row::Blob(std::string_view name) const { return Blob(NamedColumn(*rs_, name)); }
std::vector<int64_t> Row::Int64Array(std::string_view name) const { return Int64Array(NamedColumn(*rs_, name)); }
std::vector<std::string> Row::TextArray(std::string_view name) const { return TextArray(NamedColumn(*rs_, name)); }
std::string Row::Json(std::string_view name) const { return Json(NamedColumn(*rs_, name)); }

}  // namespace daira::inline v0::store
