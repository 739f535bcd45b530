// Request validation: collect every violation of a request, then turn them into one status.
//
//   absl::Status Validate(const RegisterRequest& r) {
//     daira::Violations v;
//     v.Email("email", r.email);
//     v.Username("username", r.username);
//     v.Length("password", r.password, 8, 128);
//     return v.ToStatus("register");
//   }
//   // → InvalidArgument "register: email must be a valid email address (got \"x\"); username must be
//   //   3 to 30 characters (got 2)", with payloads a binding can read back:
//   for (const daira::Violation& e : daira::StatusViolations(status)) { /* e.field, e.message */ }
//
// Every rule checks one field, records a Violation {field, message} when it fails, and returns whether
// the value passed, so a caller can skip dependent checks. Nothing stops at the first failure: a
// client sees everything wrong with a request at once.
//
// Lengths are counted in characters (Unicode code points), never bytes: see daira/core/utf8.h. Text
// that is not valid UTF-8 fails with "must be valid UTF-8" instead of a length.
//
// Messages say what is wrong and echo the offending value as "(got …)", quoted, escaped and cut to 64
// characters. Rules that see secrets (Length on a password) echo only counts, never the value.
//
// Thread-safety: a Violations object is not thread-safe; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace daira::inline v0 {

// Payload type URL of the JSON array [{"field": "...", "message": "..."}, ...] that a validation
// status carries (one element per violation, in the order found). The first violation's field also
// rides under kFieldPayloadUrl (daira/core/status.h), like every InvalidField status.
inline constexpr std::string_view kViolationsPayloadUrl = "daira.dev/violations";

// One broken rule: the field at fault (e.g. "email", "media_urls[3]") and what is wrong with it,
// phrased to follow the field name ("must be 3 to 30 characters (got 2)").
struct Violation {
  std::string field;
  std::string message;
  friend bool operator==(const Violation&, const Violation&) = default;
};

// Limits shared by the rules below.
inline constexpr size_t kMaxEmailLength = 254;      // RFC 5321 path limit
inline constexpr size_t kMaxEmailLocalLength = 64;  // RFC 5321
inline constexpr size_t kMinUsernameLength = 3;
inline constexpr size_t kMaxUsernameLength = 30;
inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr size_t kMinPhoneDigits = 8;
inline constexpr size_t kMaxPhoneDigits = 15;  // E.164

// Format predicates (no field, no message), for callers that branch on a value's shape, e.g. a login
// identifier that may be an email, a phone number or a username.
//
// Email: a practical subset of RFC 5322 addr-spec: ASCII only, `local@domain`, at most 254 characters,
// local part 1–64 characters of letters, digits and !#$%&'*+/=?^_`{|}~- separated by single dots (no
// leading/trailing/double dot, no quoted strings, no comments), domain of at least two dot-separated
// labels, each 1–63 letters/digits/hyphens not starting or ending with a hyphen, the last (TLD) two or
// more letters or an IDNA "xn--" label. No IP-literal domains.
bool IsValidEmail(std::string_view s);
// E.164: '+' then 8–15 digits, the first not 0. No spaces, dashes or parentheses.
bool IsValidPhone(std::string_view s);
// 3–30 characters of [a-z0-9_], starting with a letter. Case-sensitive: normalize first.
bool IsValidUsername(std::string_view s);
// Absolute http:// or https:// URL (scheme case-insensitive) of at most 2048 printable ASCII
// characters with a non-empty host (registered name of letters/digits/-/. or a bracketed IPv6
// literal), an optional numeric port 1–65535, and optional userinfo. Non-ASCII must be
// percent-encoded (and hosts punycoded) by the client.
bool IsValidUrl(std::string_view s);
// Exactly three upper-case ASCII letters (ISO 4217 shape; membership in the ISO list is not checked).
bool IsValidCurrency(std::string_view s);

// ASCII lower-casing for usernames (after whitespace trimming). Usernames are stored lower-cased, so
// "Alice" and "alice" are the same account; validate the normalized form.
std::string NormalizeUsername(std::string_view s);

// Quoted, escaped (JSON-style), cut to `max_chars` characters with "…" appended when longer; invalid
// UTF-8 bytes appear as \xNN. For "(got …)" in messages.
std::string QuoteForMessage(std::string_view value, size_t max_chars = 64);

// Collects violations. Each rule returns true when the value passed.
class Violations {
 public:
  // Adds a violation with `message` when `condition` is false.
  bool Require(std::string_view field, bool condition, std::string_view message);
  // Adds a violation unconditionally.
  void Add(std::string_view field, std::string_view message);

  // Text of `min`..`max` characters that is valid UTF-8: "must be 3 to 30 characters (got 42)",
  // "must be at most 300 characters (got 301)", "must not be empty" (min 1, got 0).
  bool Length(std::string_view field, std::string_view value, size_t min, size_t max);
  // Printable ASCII without spaces (an opaque token: cursor, external id, IP, correlation id) of
  // [min, max] characters: "must contain only printable ASCII characters without spaces (got "…")".
  bool OpaqueAscii(std::string_view field, std::string_view value, size_t min, size_t max);
  // Valid UTF-8: "must be valid UTF-8 (bad byte at offset 5)".
  bool Utf8(std::string_view field, std::string_view value);
  // No control characters (see IsControlCharacter): "must not contain control characters (U+0007 at
  // character 4)". Tab/LF/CR allowed when `allow_line_breaks`.
  bool NoControlCharacters(std::string_view field, std::string_view value, bool allow_line_breaks);
  // Length + NoControlCharacters in one call: the usual rule for user-visible text. `multiline`
  // allows tab, LF and CR (bios, posts, messages); single-line text (names, titles) allows none.
  bool Text(std::string_view field, std::string_view value, size_t min, size_t max, bool multiline);

  bool Email(std::string_view field, std::string_view value);     // "must be a valid email address (got …)"
  bool Phone(std::string_view field, std::string_view value);     // "must be an E.164 phone number …"
  // Validates the value as given; callers normalize with NormalizeUsername() first.
  bool Username(std::string_view field, std::string_view value);
  bool Url(std::string_view field, std::string_view value);       // "must be an http(s) URL …"
  bool Currency(std::string_view field, std::string_view value);  // "must be a 3-letter upper-case …"

  // `value` is one of `allowed` (exact, case-sensitive): "must be one of LIKE, LOVE, LAUGH, SAD, ANGRY
  // (got \"x\")".
  bool OneOf(std::string_view field, std::string_view value, std::initializer_list<std::string_view> allowed);
  bool OneOf(std::string_view field, std::string_view value, std::span<const std::string_view> allowed);

  // min <= value <= max: "must be between 1 and 100 (got 0)".
  bool Range(std::string_view field, int64_t value, int64_t min, int64_t max);
  // A money amount in minor units: 0 < value <= cap. "must be greater than 0 (got -5)", "must be at
  // most 100000000 (got 100000001)".
  bool Amount(std::string_view field, int64_t value, int64_t cap);
  // An id: > 0. "must be a positive id (got 0)".
  bool Id(std::string_view field, int64_t value);
  // A list of `min`..`max` items: "must have at most 10 items (got 11)".
  bool Count(std::string_view field, size_t count, size_t min, size_t max);
  // Text holding a JSON object: "must be a JSON object (…)".
  bool JsonObject(std::string_view field, std::string_view value);
  // Characters from [A-Za-z0-9_-] only, `min`..`max` of them (tokens, idempotency keys).
  bool Token(std::string_view field, std::string_view value, size_t min, size_t max);

  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<Violation>& list() const { return list_; }

  // OK when no rule failed. Otherwise InvalidArgument "<op>: <field> <message>; <field> <message>…"
  // listing every violation, with payloads kViolationsPayloadUrl (all of them, JSON) and
  // kFieldPayloadUrl (the first field).
  absl::Status ToStatus(std::string_view op) const;

 private:
  std::vector<Violation> list_;
};

// The violations a status carries: those of its kViolationsPayloadUrl payload, else — for a status
// made by InvalidField() — one violation with its field and the message text after "<op>: <field> ",
// else none (including for OK).
std::vector<Violation> StatusViolations(const absl::Status& status);

}  // namespace daira::inline v0
