#include "daira/core/json.h"
#include "core/json_internal.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "simdjson.h"

namespace daira::inline v0 {
namespace {

const std::string& EmptyString() {
  static const std::string* const s = new std::string();
  return *s;
}
const JsonValue::Array& EmptyArray() {
  static const JsonValue::Array* const a = new JsonValue::Array();
  return *a;
}
const JsonValue::Object& EmptyObject() {
  static const JsonValue::Object* const o = new JsonValue::Object();
  return *o;
}

void AppendInt(std::string& out, int64_t i) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), i);
  (void)ec;
  out.append(buf, end);
}

// Shortest text that parses back to the same double; keeps a '.' or exponent so it parses back as a
// double, not an integer. NaN and infinities have no JSON form: null.
void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  (void)ec;
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void SerializeTo(const JsonValue& v, std::string& out) {
  switch (v.type()) {
    case JsonValue::Type::kNull:
      out += "null";
      return;
    case JsonValue::Type::kBool:
      out += v.AsBool() ? "true" : "false";
      return;
    case JsonValue::Type::kInt:
      AppendInt(out, v.AsInt());
      return;
    case JsonValue::Type::kDouble:
      AppendDouble(out, v.AsDouble());
      return;
    case JsonValue::Type::kString:
      AppendJsonString(out, v.AsString());
      return;
    case JsonValue::Type::kArray: {
      out += '[';
      bool first = true;
      for (const JsonValue& e : v.AsArray()) {
        if (!first) out += ',';
        first = false;
        SerializeTo(e, out);
      }
      out += ']';
      return;
    }
    case JsonValue::Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.AsObject()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, k);
        out += ':';
        SerializeTo(e, out);
      }
      out += '}';
      return;
    }
  }
}

absl::Status JsonError(simdjson::error_code error) {
  return InvalidField("parse_json", "json",
                      absl::StrCat("is not valid JSON (", simdjson::error_message(error), ")"));
}

// Copies a simdjson DOM element into an owned JsonValue. Depth is bounded by the parser's maximum
// depth (1024), so recursion is safe.
absl::StatusOr<JsonValue> Convert(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE:
      return JsonValue();
    case element_type::BOOL: {
      bool b = false;
      if (auto err = e.get_bool().get(b); err) return JsonError(err);
      return JsonValue::Bool(b);
    }
    case element_type::INT64: {
      int64_t i = 0;
      if (auto err = e.get_int64().get(i); err) return JsonError(err);
      return JsonValue::Int(i);
    }
    case element_type::UINT64: {
      // Above INT64_MAX: no lossless home in JsonValue, kept as the nearest double.
      uint64_t u = 0;
      if (auto err = e.get_uint64().get(u); err) return JsonError(err);
      return JsonValue::Double(static_cast<double>(u));
    }
    case element_type::DOUBLE: {
      double d = 0;
      if (auto err = e.get_double().get(d); err) return JsonError(err);
      return JsonValue::Double(d);
    }
    case element_type::STRING: {
      std::string_view s;
      if (auto err = e.get_string().get(s); err) return JsonError(err);
      return JsonValue::String(std::string(s));
    }
    case element_type::ARRAY: {
      simdjson::dom::array arr;
      if (auto err = e.get_array().get(arr); err) return JsonError(err);
      JsonValue::Array out;
      out.reserve(arr.size());
      for (simdjson::dom::element child : arr) {
        DAIRA_ASSIGN_OR_RETURN(JsonValue v, Convert(child));
        out.push_back(std::move(v));
      }
      return JsonValue::MakeArray(std::move(out));
    }
    case element_type::OBJECT: {
      simdjson::dom::object obj;
      if (auto err = e.get_object().get(obj); err) return JsonError(err);
      JsonValue::Object out;
      out.reserve(obj.size());
      for (simdjson::dom::key_value_pair field : obj) {
        DAIRA_ASSIGN_OR_RETURN(JsonValue v, Convert(field.value));
        out.emplace_back(std::string(field.key), std::move(v));
      }
      return JsonValue::MakeObject(std::move(out));
    }
  }
  return InvalidField("parse_json", "json", "has a value of unknown type");
}

}  // namespace

JsonValue JsonValue::Bool(bool b) {
  JsonValue v;
  v.v_ = b;
  return v;
}
JsonValue JsonValue::Int(int64_t i) {
  JsonValue v;
  v.v_ = i;
  return v;
}
JsonValue JsonValue::Double(double d) {
  JsonValue v;
  v.v_ = d;
  return v;
}
JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.v_ = std::move(s);
  return v;
}
JsonValue JsonValue::MakeArray(Array a) {
  JsonValue v;
  v.v_ = std::make_shared<Array>(std::move(a));
  return v;
}
JsonValue JsonValue::MakeObject(Object o) {
  JsonValue v;
  v.v_ = std::make_shared<Object>(std::move(o));
  return v;
}

JsonValue::Type JsonValue::type() const {
  switch (v_.index()) {
    case 1:
      return Type::kBool;
    case 2:
      return Type::kInt;
    case 3:
      return Type::kDouble;
    case 4:
      return Type::kString;
    case 5:
      return Type::kArray;
    case 6:
      return Type::kObject;
    default:
      return Type::kNull;
  }
}

bool JsonValue::AsBool() const {
  const bool* b = std::get_if<bool>(&v_);
  return b != nullptr && *b;
}

int64_t JsonValue::AsInt() const {
  if (const int64_t* i = std::get_if<int64_t>(&v_)) return *i;
  if (const double* d = std::get_if<double>(&v_)) {
    // Truncate, saturating instead of invoking undefined behaviour out of range.
    if (std::isnan(*d)) return 0;
    if (*d >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
    if (*d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(*d);
  }
  return 0;
}

double JsonValue::AsDouble() const {
  if (const double* d = std::get_if<double>(&v_)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  return 0;
}

const std::string& JsonValue::AsString() const {
  const std::string* s = std::get_if<std::string>(&v_);
  return s != nullptr ? *s : EmptyString();
}

const JsonValue::Array& JsonValue::AsArray() const {
  const auto* a = std::get_if<std::shared_ptr<Array>>(&v_);
  return a != nullptr && *a ? **a : EmptyArray();
}

const JsonValue::Object& JsonValue::AsObject() const {
  const auto* o = std::get_if<std::shared_ptr<Object>>(&v_);
  return o != nullptr && *o ? **o : EmptyObject();
}

const JsonValue* JsonValue::Get(std::string_view key) const {
  const Object& obj = AsObject();
  // With duplicate keys the last one wins, as in JavaScript's JSON.parse.
  for (auto it = obj.rbegin(); it != obj.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

std::string JsonValue::Serialize() const {
  std::string out;
  SerializeTo(*this, out);
  return out;
}

namespace {

// One parser per thread: its buffers are reused across calls; the DOM it returns is copied into
// the owned JsonValue tree before ParseJson returns, so nothing outlives the parser. A parser grows
// to the largest document it has seen (several bytes of buffers per input byte) and never shrinks by
// itself: after a document larger than kJsonParserKeepCapacity its buffers are released, so one large
// request does not pin that memory on every thread that ever served one.
simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// The input copied with simdjson's padding, per thread, reused across calls: a simdjson::padded_string
// per call was a malloc, a copy and a free on every request the C ABI reads (about half of parsing a
// small request). Released after a document over kJsonParserKeepCapacity, like the parser.
std::string& ThreadPaddedInput() {
  thread_local std::string input;
  return input;
}

}  // namespace

size_t internal::ThreadJsonParserCapacity() { return ThreadParser().capacity(); }

namespace {

// Parses `text` with the calling thread's parser and hands the root to `use` (which must not keep it).
template <typename Use>
auto WithParsed(std::string_view text, Use use) -> decltype(use(simdjson::dom::element())) {
  simdjson::dom::parser& parser = ThreadParser();
  std::string& input = ThreadPaddedInput();
  struct Shrink {
    simdjson::dom::parser& parser;
    std::string& input;
    ~Shrink() {
      if (parser.capacity() > internal::kJsonParserKeepCapacity) parser = simdjson::dom::parser();
      if (input.capacity() > internal::kJsonParserKeepCapacity + simdjson::SIMDJSON_PADDING) {
        std::string().swap(input);
      }
    }
  } shrink{parser, input};
  input.assign(text.data(), text.size());
  input.append(simdjson::SIMDJSON_PADDING, '\0');  // simdjson reads up to this far past the end
  simdjson::dom::element root;
  if (auto err = parser.parse(input.data(), text.size(), /*realloc_if_needed=*/false).get(root); err) {
    return JsonError(err);
  }
  return use(root);
}

}  // namespace

absl::StatusOr<JsonValue> ParseJson(std::string_view text) { return WithParsed(text, Convert); }

namespace {

// A scalar recogniser for the plainest JSON — what bus payloads and results nearly always are — that
// needs none of simdjson's set-up (about a fifth of its instructions on a 25-byte object). It accepts a
// strict subset of what simdjson accepts: printable ASCII strings without escapes, integers of at
// most 18 digits (no fraction or exponent), true/false/null, objects and arrays nested at most
// kPlainMaxDepth deep, JSON whitespace. Anything else — including every invalid text — returns false
// and is left to simdjson, which gives the verdict and the error message.
// The bytes PlainJson's strings hold as they are: printable ASCII but '"' and '\\'.
struct PlainBytes {
  bool ok[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c <= 0x7e; ++c) ok[c] = c != '"' && c != '\\';
  }
};
constexpr PlainBytes kPlain{};

// JSON whitespace.
struct SpaceBytes {
  bool ok[256] = {};
  constexpr SpaceBytes() { ok[' '] = ok['\n'] = ok['\t'] = ok['\r'] = true; }
};
constexpr SpaceBytes kSpace{};

// One pass over the text without recursion or building anything: a loop over three steps (a value is
// expected; an object key is expected; a value just ended), the open containers kept as a bit stack.
class PlainJson {
 public:
  static bool Accepts(std::string_view text) {
    const char* p = text.data();
    const char* const end = p + text.size();
    uint32_t objects = 0;  // bit d: the container at depth d is an object
    int depth = 0;         // containers open
    auto skip = [&p, end] {
      while (p < end && kSpace.ok[static_cast<unsigned char>(*p)]) ++p;
    };
    enum class Step { kValue, kKey, kAfterValue } step = Step::kValue;
    while (true) {
      switch (step) {
        case Step::kValue:
          skip();
          if (p == end) return false;
          switch (*p) {
            case '"':
              if (!String(p, end)) return false;
              break;
            case 't':
              if (!Literal(p, end, "true")) return false;
              break;
            case 'f':
              if (!Literal(p, end, "false")) return false;
              break;
            case 'n':
              if (!Literal(p, end, "null")) return false;
              break;
            case '{':
            case '[': {
              if (depth >= kPlainMaxDepth) return false;
              const bool object = *p == '{';
              objects = (objects & ~(uint32_t{1} << depth)) | (uint32_t{object} << depth);
              ++depth;
              ++p;
              skip();
              if (p < end && *p == (object ? '}' : ']')) {  // empty
                ++p;
                --depth;
                break;
              }
              step = object ? Step::kKey : Step::kValue;
              continue;
            }
            default:
              if (!Integer(p, end)) return false;
              break;
          }
          step = Step::kAfterValue;
          continue;
        case Step::kKey:  // at a non-space byte
          if (p == end || *p != '"' || !String(p, end)) return false;
          skip();
          if (p == end || *p != ':') return false;
          ++p;
          step = Step::kValue;
          continue;
        case Step::kAfterValue: {
          skip();
          if (depth == 0) return p == end;
          if (p == end) return false;
          const bool object = (objects >> (depth - 1)) & 1;
          if (*p == ',') {
            ++p;
            if (object) {
              skip();
              step = Step::kKey;
            } else {
              step = Step::kValue;
            }
            continue;
          }
          if (*p != (object ? '}' : ']')) return false;
          ++p;
          --depth;
          continue;
        }
      }
    }
  }

 private:
  static constexpr int kPlainMaxDepth = 32;  // containers open at once (fits the bit stack)
  static bool String(const char*& p, const char* end) {  // at '"'
    ++p;
    while (p < end && kPlain.ok[static_cast<unsigned char>(*p)]) ++p;
    if (p == end || *p != '"') return false;  // the end, an escape or a byte outside the subset
    ++p;
    return true;
  }
  static bool Integer(const char*& p, const char* end) {
    if (*p == '-') ++p;
    const char* start = p;
    while (p < end && *p >= '0' && *p <= '9') ++p;
    const ptrdiff_t digits = p - start;
    if (digits == 0 || digits > 18 || (digits > 1 && *start == '0')) return false;
    return !(p < end && (*p == '.' || *p == 'e' || *p == 'E'));
  }
  static bool Literal(const char*& p, const char* end, std::string_view word) {
    if (static_cast<size_t>(end - p) < word.size() || std::memcmp(p, word.data(), word.size()) != 0) return false;
    p += word.size();
    return true;
  }
};

}  // namespace

bool internal::PlainJsonAccepts(std::string_view text) { return PlainJson::Accepts(text); }

// Convert fails only where the parse already did (each element is read as the type simdjson gave it),
// so a successful parse is the whole check. Short plain texts are recognised without simdjson first.
absl::Status internal::ValidateJson(std::string_view text) {
  if (text.size() <= kPlainJsonMaxSize && PlainJson::Accepts(text)) return absl::OkStatus();
  return WithParsed(text, [](simdjson::dom::element) { return absl::OkStatus(); });
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  assert(!first_.empty() && !after_key_);
  out_ += '}';
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  assert(!first_.empty() && !after_key_);
  out_ += ']';
  if (!first_.empty()) first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  assert(!after_key_);
  Separate();
  AppendJsonString(out_, key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  Separate();
  AppendJsonString(out_, s);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t i) {
  Separate();
  AppendInt(out_, i);
  return *this;
}

JsonWriter& JsonWriter::Double(double d) {
  Separate();
  AppendDouble(out_, d);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool b) {
  Separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  return *this;
}

}  // namespace daira::inline v0
