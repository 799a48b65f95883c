#include <gtest/gtest.h>

#include <string>

#include "control/messages.hpp"

namespace kettle::control {
namespace {

void expect_valid(std::string_view name, std::size_t max = kMaxPersonaNameBytes) {
  auto s = validate_name(name, max);
  EXPECT_TRUE(s.ok()) << '"' << name << "\": " << s.error().to_string();
}

void expect_invalid(std::string_view name, std::string_view why, std::size_t max = kMaxPersonaNameBytes) {
  auto s = validate_name(name, max);
  ASSERT_FALSE(s.ok()) << "accepted \"" << name << '"';
  EXPECT_EQ(s.code(), Errc::invalid_argument);
  EXPECT_NE(s.error().message.find(why), std::string::npos) << s.error().message;
}

TEST(ControlNames, AcceptsOrdinaryNamesInAnyScript) {
  expect_valid("alice");
  expect_valid("Zoë");               // 2-byte sequence
  expect_valid("日本語");            // 3-byte
  expect_valid("🫖");              // 4-byte
  expect_valid(" padded ");          // spaces are fine if something else is there
  expect_valid("\xf4\x8f\xbf\xbf");  // U+10FFFF, the last code point
  expect_valid("\xc2\x80");          // U+0080: C1 controls are not in the rejected set
  expect_valid("\xef\xbf\xbd");      // U+FFFD
}

TEST(ControlNames, LengthIsInBytes) {
  expect_valid(std::string(64, 'a'), 64);
  expect_invalid(std::string(65, 'a'), "over the limit", 64);
  // 21 × "日" (3 bytes) = 63 bytes fits in 64; one more ASCII fits, a 22nd "日" does not.
  std::string cjk;
  for (int i = 0; i < 21; ++i) cjk += "日";
  expect_valid(cjk + "a", 64);
  expect_invalid(cjk + "日", "over the limit", 64);
  expect_invalid("", "empty");
}

TEST(ControlNames, RejectsOverlongEncodings) {
  expect_invalid("\xc0\xaf", "overlong");          // '/' in 2 bytes
  expect_invalid("\xc1\xbf", "overlong");          // U+007F in 2 bytes
  expect_invalid("\xe0\x80\xaf", "overlong");      // '/' in 3 bytes
  expect_invalid("\xe0\x9f\xbf", "overlong");      // U+07FF in 3 bytes
  expect_invalid("\xf0\x80\x80\xaf", "overlong");  // '/' in 4 bytes
  expect_invalid("\xf0\x8f\xbf\xbf", "overlong");  // U+FFFF in 4 bytes
  expect_invalid("a\xc0\x80", "overlong");         // NUL smuggled as C0 80 (modified UTF-8)
}

TEST(ControlNames, RejectsSurrogatesAndOutOfRange) {
  expect_invalid("\xed\xa0\x80", "surrogate");              // U+D800
  expect_invalid("\xed\xbf\xbf", "surrogate");              // U+DFFF
  expect_invalid("\xed\xa0\xbd\xed\xb8\x80", "surrogate");  // CESU-8 pair
  expect_invalid("\xf4\x90\x80\x80", "above U+10FFFF");
  expect_invalid("\xf5\x80\x80\x80", "above U+10FFFF");  // F5..F7 can only start one
  expect_invalid("\xf8\x88\x80\x80\x80", "lead byte");
  expect_invalid("\xff", "lead byte");
}

TEST(ControlNames, RejectsBrokenSequences) {
  expect_invalid("\x80", "lead byte");  // lone continuation
  expect_invalid("ab\xbf", "lead byte");
  expect_invalid("\xe6\x97", "truncated");  // "日" missing its last byte
  expect_invalid("x\xf0\x9f\xab", "truncated");
  expect_invalid("\xc3(", "continuation");  // lead then ASCII
  expect_invalid("\xe6\x97(", "continuation");
}

TEST(ControlNames, RejectsControlCharacters) {
  expect_invalid(std::string_view("a\0b", 3), "control");
  expect_invalid("a\x01", "control");
  expect_invalid("tab\there", "control");
  expect_invalid("new\nline", "control");
  expect_invalid("\x1f", "control");
  expect_invalid("del\x7f", "control");
}

TEST(ControlNames, RejectsBlankNames) {
  expect_invalid(" ", "whitespace");
  expect_invalid("    ", "whitespace");
  expect_invalid("\xc2\xa0", "whitespace");                  // no-break space
  expect_invalid("\xe3\x80\x80", "whitespace");              // ideographic space
  expect_invalid("\xe2\x80\x8b\xe2\x80\x8b", "whitespace");  // zero width spaces
  expect_invalid("\xe3\x85\xa4", "whitespace");              // Hangul filler
  expect_invalid(" \xef\xbb\xbf ", "whitespace");            // BOM between spaces
}

TEST(ControlNames, ErrorsSayWhere) {
  auto s = validate_name("abc\xc0\xaf", 64);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("at byte 3"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace kettle::control
