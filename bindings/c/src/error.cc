// The error object, library strings (daira_free), version and code names.
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "daira/core/status.h"
#include "daira/core/validation.h"
#include "daira/version.h"
#include "internal.h"

namespace daira::cabi {

daira_code Finish(const absl::Status& status, daira_error_t** err) noexcept {
  const auto code = static_cast<daira_code>(status.code());
  if (err == nullptr) return code;
  delete *err;  // an earlier call's error (or null)
  *err = nullptr;
  if (status.ok()) return DAIRA_OK;
  try {
    auto e = std::make_unique<daira_error>();
    e->code = code;
    e->message = std::string(ToStd(status.message()));
    e->field = StatusField(status);
    std::vector<Violation> violations = StatusViolations(status);
    if (e->field.empty() && !violations.empty()) e->field = violations.front().field;
    JsonWriter w;
    w.BeginArray();
    for (const Violation& v : violations) {
      w.BeginObject().Key("field").String(v.field).Key("message").String(v.message).EndObject();
    }
    w.EndArray();
    e->violations = w.Take();
    *err = e.release();
  } catch (...) {
    // Out of memory while describing the error: the code still reaches the caller.
  }
  return code;
}

absl::Status NullArgument(std::string_view op, std::string_view field) {
  return InvalidField(op, field, "must not be NULL");
}

absl::Status RequestTooLarge(std::string_view op, size_t size, size_t max) {
  return InvalidField(op, "request_json",
                      absl::StrCat("is ", size, " bytes, more than max_request_bytes allows (", max,
                                   "; an option of daira_platform_open)"));
}

absl::Status BufferTooSmall(std::string_view op, size_t cap, size_t needed) {
  absl::Status s = absl::ResourceExhaustedError(
      absl::StrCat(ToAbsl(op), ": buf is too small for the record (got cap ", cap, "; it needs ", needed,
                   " bytes, the size len now holds: call again with a buffer that large)"));
  s.SetPayload(ToAbsl(kFieldPayloadUrl), absl::Cord("buf"));
  return s;
}

absl::Status NullBuffer(std::string_view op, size_t cap) {
  return InvalidField(
      op, "buf", absl::StrCat("must not be NULL when cap is ", cap, " (NULL with cap 0 asks for the size)"));
}

absl::StatusOr<std::string_view> Text(std::string_view op, std::string_view param, const char* data, size_t len) {
  if (data == nullptr) {
    if (len == 0) return std::string_view();
    return InvalidField(op, param, absl::StrCat("must not be NULL when its length is ", len));
  }
  return std::string_view(data, len);
}

char* CopyOut(const std::string& json) noexcept {
  char* out = static_cast<char*>(std::malloc(json.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, json.data(), json.size());
  out[json.size()] = '\0';
  return out;
}

}  // namespace daira::cabi

extern "C" {

const char* daira_version(void) { return DAIRA_VERSION_STRING; }

const char* daira_code_name(daira_code code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return (i >= 0 && i < static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) ? kNames[i] : "UNKNOWN";
}

void daira_free(void* ptr) { std::free(ptr); }

daira_code daira_error_code(const daira_error_t* err) { return err == nullptr ? DAIRA_OK : err->code; }
const char* daira_error_message(const daira_error_t* err) { return err == nullptr ? "" : err->message.c_str(); }
const char* daira_error_field(const daira_error_t* err) { return err == nullptr ? "" : err->field.c_str(); }
const char* daira_error_violations(const daira_error_t* err) {
  return err == nullptr ? "[]" : err->violations.c_str();
}

void daira_error_free(daira_error_t** err) {
  if (err == nullptr) return;
  delete *err;
  *err = nullptr;
}

}  // extern "C"
