#include "daira/core/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace daira {
namespace {

TEST(Utf8Test, ValidTextOfEveryWidth) {
  EXPECT_TRUE(Utf8Valid(""));
  EXPECT_TRUE(Utf8Valid("plain ascii"));
  EXPECT_TRUE(Utf8Valid("Zo\xC3\xAB"));                 // ë (2 bytes)
  EXPECT_TRUE(Utf8Valid("\xE4\xB8\xAD\xE6\x96\x87"));   // 中文 (3 bytes each)
  EXPECT_TRUE(Utf8Valid("\xF0\x9F\x8C\x8D"));           // 🌍 (4 bytes)
  EXPECT_TRUE(Utf8Valid("\xF4\x8F\xBF\xBF"));           // U+10FFFF, the last code point
  EXPECT_TRUE(Utf8Valid("\xEE\x80\x80"));               // U+E000, just after the surrogates
  EXPECT_TRUE(Utf8Valid(std::string("a\0b", 3)));       // NUL is valid UTF-8
}

TEST(Utf8Test, RejectsOverlongForms) {
  EXPECT_FALSE(Utf8Valid("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(Utf8Valid("\xC1\xBF"));          // overlong U+007F
  EXPECT_FALSE(Utf8Valid("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(Utf8Valid("\xE0\x9F\xBF"));      // overlong U+07FF
  EXPECT_FALSE(Utf8Valid("\xF0\x8F\xBF\xBF"));  // overlong U+FFFF
}

TEST(Utf8Test, RejectsSurrogatesAndOutOfRange) {
  EXPECT_FALSE(Utf8Valid("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(Utf8Valid("\xED\xBF\xBF"));      // U+DFFF
  EXPECT_FALSE(Utf8Valid("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(Utf8Valid("\xF5\x80\x80\x80"));
  EXPECT_FALSE(Utf8Valid("\xFF"));
}

TEST(Utf8Test, RejectsTruncatedAndStrayBytes) {
  EXPECT_FALSE(Utf8Valid("\xE4\xB8"));       // truncated 3-byte sequence
  EXPECT_FALSE(Utf8Valid("\xF0\x9F\x8C"));   // truncated 4-byte sequence
  EXPECT_FALSE(Utf8Valid("\x80"));           // lone continuation byte
  EXPECT_FALSE(Utf8Valid("\xC3("));          // lead byte followed by ASCII
}

TEST(Utf8Test, FindInvalidReportsTheByteOffset) {
  EXPECT_EQ(FindInvalidUtf8("hello"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\x80"), 2u);
  EXPECT_EQ(FindInvalidUtf8("\xC3\xAB" "x\xED\xA0\x80"), 3u);
}

TEST(Utf8Test, LengthCountsCodePointsNotBytes) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("Zo\xC3\xAB \xF0\x9F\x8C\x8D"), 5u);  // "Zoë 🌍": 9 bytes, 5 characters
  EXPECT_EQ(Utf8Length("\xE4\xB8\xAD\xE6\x96\x87"), 2u);
  // Grapheme-agnostic: "e" + combining acute is two characters; a flag is two regional indicators.
  EXPECT_EQ(Utf8Length("e\xCC\x81"), 2u);
  EXPECT_EQ(Utf8Length("\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5"), 2u);
  EXPECT_EQ(Utf8Length("ab\xFF"), std::nullopt);
  EXPECT_EQ(Utf8LengthLenient("ab\xFF"), 3u);
  EXPECT_EQ(Utf8LengthLenient("\xF0\x9F\x8C"), 3u);  // each byte of a bad sequence counts once
}

TEST(Utf8Test, DecodeAdvancesOneByteOnInvalidInput) {
  std::string_view s = "\xC0\x80" "A";
  size_t pos = 0;
  EXPECT_EQ(Utf8Decode(s, &pos), kUtf8Invalid);
  EXPECT_EQ(pos, 1u);
  EXPECT_EQ(Utf8Decode(s, &pos), kUtf8Invalid);
  EXPECT_EQ(pos, 2u);
  EXPECT_EQ(Utf8Decode(s, &pos), U'A');
  EXPECT_EQ(pos, 3u);
  std::string_view globe = "\xF0\x9F\x8C\x8D";
  pos = 0;
  EXPECT_EQ(Utf8Decode(globe, &pos), U'\U0001F30D');
  EXPECT_EQ(pos, 4u);
}

TEST(Utf8Test, TrimRemovesUnicodeWhitespace) {
  EXPECT_EQ(TrimWhitespace("  hi  "), "hi");
  EXPECT_EQ(TrimWhitespace("\xC2\xA0\t hi there\n\xE3\x80\x80"), "hi there");  // NBSP, ideographic space
  EXPECT_EQ(TrimWhitespace("\xEF\xBB\xBF" "x" "\xE2\x80\x8B"), "x");           // BOM, zero-width space
  EXPECT_EQ(TrimWhitespace("   "), "");
  EXPECT_EQ(TrimWhitespace(""), "");
  EXPECT_EQ(TrimLeadingWhitespace("  a  "), "a  ");
  EXPECT_EQ(TrimTrailingWhitespace("  a  "), "  a");
  EXPECT_EQ(TrimTrailingWhitespace("a \xFF "), "a \xFF");  // invalid bytes are kept
  EXPECT_EQ(TrimAsciiWhitespace("\r\n a b \v"), "a b");
  EXPECT_EQ(TrimAsciiWhitespace("\xC2\xA0" "a"), "\xC2\xA0" "a");
}

TEST(Utf8Test, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("hello world"));
  EXPECT_FALSE(HasControlCharacters("line one\nline two\r\n\tindented"));
  EXPECT_TRUE(HasControlCharacters("line\n", /*allow_line_breaks=*/false));
  EXPECT_TRUE(HasControlCharacters("bell\x07"));
  EXPECT_TRUE(HasControlCharacters(std::string("nul\0", 4)));
  EXPECT_TRUE(HasControlCharacters("del\x7F"));
  EXPECT_TRUE(HasControlCharacters("c1 \xC2\x85"));      // U+0085 NEL is a C1 control
  EXPECT_FALSE(HasControlCharacters("\xC2\xA0 nbsp"));  // U+00A0 is not
  EXPECT_FALSE(HasControlCharacters("\xE4\xB8\xAD"));
  EXPECT_TRUE(IsControlCharacter(U'\t', false));
  EXPECT_FALSE(IsControlCharacter(U'\t', true));
  EXPECT_TRUE(IsUnicodeWhitespace(0x2003));
  EXPECT_FALSE(IsUnicodeWhitespace(U'x'));
}

}  // namespace
}  // namespace daira
