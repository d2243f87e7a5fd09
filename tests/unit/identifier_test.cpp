// anydb::validate_identifier, Dialect::quote_identifier, Dialect::placeholder and printable():
// what an identifier may be, how it is quoted, and how hostile bytes appear in messages.
#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include "unit_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using anydb::Dialect;
using anydb::ErrorKind;
using anydb::InvalidArgument;
using anydb::printable;
using anydb::validate_identifier;
using anydb_test::Contains;
using namespace std::string_literals;

std::string identifier_error(const std::string& name) {
  return anydb_test::what_of<InvalidArgument>([&] { validate_identifier(name); },
                                              ErrorKind::invalid_argument);
}

Dialect with_quote(char quote) {
  Dialect dialect;
  dialect.identifier_quote = quote;
  return dialect;
}

TEST(Identifier, OrdinaryNamesAreAccepted) {
  for (const std::string name :
       {"t", "items", "Items", "_x", "a1", "order", "select", "a b", "x.y", "123", "with-dash"}) {
    EXPECT_NO_THROW(validate_identifier(name)) << name;
  }
}

TEST(Identifier, QuotesSemicolonsAndSqlAreAcceptedBecauseAlwaysQuoted) {
  for (const std::string name :
       {"x\"; DROP TABLE t; --", "a`b", "it's", "x;y", "/* c */", "\\", "%s", "?", "$1"}) {
    EXPECT_NO_THROW(validate_identifier(name)) << name;
  }
}

TEST(Identifier, ValidMultibyteUtf8IsAccepted) {
  for (const std::string name : {"café", "Ärger", "名前", "таблица", "emoji_😀", "\u00a0x"}) {
    EXPECT_NO_THROW(validate_identifier(name)) << name;
  }
}

TEST(Identifier, LengthLimitIs128Bytes) {
  EXPECT_NO_THROW(validate_identifier(std::string(128, 'a')));
  EXPECT_TRUE(Contains(identifier_error(std::string(129, 'a')), "128"));
  // The limit counts bytes, not characters: 43 three-byte characters are 129 bytes.
  std::string wide;
  for (int i = 0; i < 43; ++i) wide += "名";
  EXPECT_TRUE(Contains(identifier_error(wide), "128"));
}

TEST(Identifier, EmptyIsRefused) { EXPECT_TRUE(Contains(identifier_error(""), "empty")); }

TEST(Identifier, NulByteIsRefusedAndShownEscaped) {
  const std::string message = identifier_error("a\0b"s);
  EXPECT_TRUE(Contains(message, "NUL"));
  EXPECT_TRUE(Contains(message, "a\\x00b"));
  EXPECT_EQ(message.find('\0'), std::string::npos);
}

TEST(Identifier, ControlCharactersAreRefused) {
  for (const std::string name : {"a\nb", "\tx", "x\r", "\x1b[31m", "x\x7f"}) {
    const std::string message = identifier_error(name);
    EXPECT_TRUE(Contains(message, "control character")) << message;
    EXPECT_EQ(message.find_first_of("\n\t\r\x1b\x7f"), std::string::npos) << message;
  }
}

TEST(Identifier, InvalidUtf8IsRefused) {
  for (const std::string& name : {
           "a\xff"s,             // a byte that never occurs in UTF-8
           "\xc0\x80"s,          // overlong NUL
           "\xe0\x80\xaf"s,      // overlong '/'
           "\xed\xa0\x80"s,      // UTF-16 surrogate U+D800
           "\xf4\x90\x80\x80"s,  // past U+10FFFF
           "\xc3"s,              // truncated sequence
           "x\x80y"s,            // lone continuation byte
       }) {
    EXPECT_TRUE(Contains(identifier_error(name), "UTF-8")) << printable(name);
  }
}

TEST(Identifier, MessageEscapesTheOffendingBytes) {
  EXPECT_TRUE(Contains(identifier_error("\xed\xa0\x80"s), "\\xed\\xa0\\x80"));
}

TEST(QuoteIdentifier, DoubleQuotes) {
  const Dialect dialect = with_quote('"');
  EXPECT_EQ(dialect.quote_identifier("items"), "\"items\"");
  EXPECT_EQ(dialect.quote_identifier("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
  EXPECT_EQ(dialect.quote_identifier("\"\""), "\"\"\"\"\"\"");
  EXPECT_EQ(dialect.quote_identifier("a`b"), "\"a`b\"");
  EXPECT_EQ(dialect.quote_identifier("café"), "\"café\"");
}

TEST(QuoteIdentifier, Backticks) {
  const Dialect dialect = with_quote('`');
  EXPECT_EQ(dialect.quote_identifier("items"), "`items`");
  EXPECT_EQ(dialect.quote_identifier("x`; DROP TABLE t; --"), "`x``; DROP TABLE t; --`");
  EXPECT_EQ(dialect.quote_identifier("x\"; DROP TABLE t; --"), "`x\"; DROP TABLE t; --`");
}

TEST(QuoteIdentifier, DefaultDialectUsesDoubleQuotes) {
  EXPECT_EQ(Dialect{}.quote_identifier("t"), "\"t\"");
}

TEST(QuoteIdentifier, ValidatesFirst) {
  const Dialect dialect;
  EXPECT_THROW((void)dialect.quote_identifier(""), InvalidArgument);
  EXPECT_THROW((void)dialect.quote_identifier("a\0b"s), InvalidArgument);
  EXPECT_THROW((void)dialect.quote_identifier(std::string(129, 'x')), InvalidArgument);
  EXPECT_THROW((void)dialect.quote_identifier("\xff"s), InvalidArgument);
}

TEST(Placeholder, QuestionMark) {
  Dialect dialect;
  dialect.placeholders = Dialect::Placeholders::question_mark;
  EXPECT_EQ(dialect.placeholder(1), "?");
  EXPECT_EQ(dialect.placeholder(7), "?");
}

TEST(Placeholder, DollarNumbered) {
  Dialect dialect;
  dialect.placeholders = Dialect::Placeholders::dollar_numbered;
  EXPECT_EQ(dialect.placeholder(1), "$1");
  EXPECT_EQ(dialect.placeholder(2), "$2");
  EXPECT_EQ(dialect.placeholder(12), "$12");
}

TEST(Printable, PrintableTextUnchanged) {
  EXPECT_EQ(printable("hello world"), "hello world");
  EXPECT_EQ(printable("café 名前 😀"), "café 名前 😀");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesNulControlAndBackslash) {
  EXPECT_EQ(printable("a\0b"s), "a\\x00b");
  EXPECT_EQ(printable("line\nnext"), "line\\x0anext");
  EXPECT_EQ(printable("\t\r\x1b\x7f"), "\\x09\\x0d\\x1b\\x7f");
  EXPECT_EQ(printable("a\\b"), "a\\x5cb");
}

TEST(Printable, EscapesInvalidUtf8ByteByByte) {
  EXPECT_EQ(printable("\xff"s), "\\xff");
  EXPECT_EQ(printable("\xc0\x80"s), "\\xc0\\x80");
  EXPECT_EQ(printable("ok\xed\xa0\x80!"s), "ok\\xed\\xa0\\x80!");
}

TEST(Printable, TruncatesWithEllipsis) {
  EXPECT_EQ(printable(std::string(100, 'a'), 10), std::string(10, 'a') + "...");
  EXPECT_EQ(printable("abc", 2), "ab...");
  EXPECT_EQ(printable("ab", 2), "ab");
  EXPECT_EQ(printable(std::string(80, 'x')), std::string(80, 'x'));
  EXPECT_EQ(printable(std::string(81, 'x')), std::string(80, 'x') + "...");
}

TEST(Printable, NeverSplitsAMultibyteCharacter) {
  // Cutting after 1 byte must not emit half of "é" (two bytes).
  const std::string out = printable("xé", 2);
  EXPECT_TRUE(out == "xé" || out == "x...") << out;
  EXPECT_TRUE(anydb_test::Lacks(printable("éééé", 3), "\\x"));
}

}  // namespace
