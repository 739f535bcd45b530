// UTF-8 text helpers for input validation: strict validity, character counts, trimming, and a check
// for control characters.
//
//   std::string_view name = "Zoë 🌍";
//   daira::Utf8Valid(name);                       // true
//   daira::Utf8Length(name);                      // 5 (characters), while name.size() == 9 (bytes)
//   daira::TrimWhitespace("\u00a0 hi \n");        // "hi"
//   daira::HasControlCharacters("a\tb");          // false (tab, CR, LF allowed by default)
//   daira::FindInvalidUtf8("ab\xC0\x80");         // 2 (byte offset of the overlong encoding)
//
// What a "character" is: daira counts Unicode code points (scalar values). One code point is one
// character, whatever the number of bytes it takes (1–4). This is deliberately grapheme-agnostic: a
// flag (two regional indicators), an emoji with a skin-tone modifier, or "e" + combining acute accent
// count as 2; a family emoji joined by ZWJs counts every member and joiner. Code points are what
// PostgreSQL's char_length() and SQLite's length() on TEXT count, so a limit checked here is the
// limit the database sees, and the count never depends on the Unicode version of a segmentation table.
//
// Valid UTF-8 here means RFC 3629: shortest form only (overlong encodings rejected), no UTF-16
// surrogates (U+D800–U+DFFF), nothing above U+10FFFF, no truncated sequences. NUL (U+0000) is valid
// UTF-8; HasControlCharacters() reports it.
//
// Thread-safety: all functions are pure and safe to call from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace daira::inline v0 {

// Returned by Utf8Decode when the bytes at the position do not start a valid sequence.
inline constexpr char32_t kUtf8Invalid = 0xFFFFFFFF;

// Decodes the code point starting at byte `*pos` of `s` and advances `*pos` past it. On an invalid or
// truncated sequence returns kUtf8Invalid and advances `*pos` by one byte, so a loop always ends.
// Precondition: *pos < s.size().
char32_t Utf8Decode(std::string_view s, size_t* pos);

// True when `s` is valid UTF-8 (see above). The empty string is valid.
bool Utf8Valid(std::string_view s);

// Byte offset of the first invalid sequence in `s`, or std::nullopt when `s` is valid UTF-8.
std::optional<size_t> FindInvalidUtf8(std::string_view s);

// Number of characters (code points) in `s`, or std::nullopt when `s` is not valid UTF-8.
std::optional<size_t> Utf8Length(std::string_view s);

// Number of code points in `s`, counting each byte of an invalid sequence as one character. Use it
// only for display (messages); validation should use Utf8Length().
size_t Utf8LengthLenient(std::string_view s);

// True for code points with the Unicode White_Space property (ASCII space, \t \n \v \f \r, U+0085,
// U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). U+FEFF (BOM) and the
// zero-width space U+200B are not White_Space but are also trimmed by TrimWhitespace().
bool IsUnicodeWhitespace(char32_t c);

// `s` without leading and trailing whitespace (IsUnicodeWhitespace, plus U+200B and U+FEFF). Returns a
// view into `s`: valid as long as the text `s` points at. Invalid bytes are never trimmed.
std::string_view TrimWhitespace(std::string_view s);
std::string_view TrimLeadingWhitespace(std::string_view s);
std::string_view TrimTrailingWhitespace(std::string_view s);

// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r). A view into `s`.
std::string_view TrimAsciiWhitespace(std::string_view s);

// True for a control character: C0 controls U+0000–U+001F, DEL U+007F and C1 controls U+0080–U+009F
// (the Unicode general category Cc). Tab, LF and CR count unless `allow_line_breaks` is true.
bool IsControlCharacter(char32_t c, bool allow_line_breaks = true);

// True when `s` contains a control character (see IsControlCharacter). Invalid bytes are not control
// characters; check Utf8Valid() separately.
bool HasControlCharacters(std::string_view s, bool allow_line_breaks = true);

}  // namespace daira::inline v0
