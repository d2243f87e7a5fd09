// The portable `?` placeholder, rewritten for PostgreSQL by a scanner that must leave alone
// everything that is not a parameter. Hostile texts first: each `?` below that is not a
// parameter must survive byte for byte.

#include <anydb/error.hpp>
#include <anydb/placeholders.hpp>

#include <gtest/gtest.h>

#include <string>

namespace anydb {
namespace {

std::string pg(std::string_view sql) {
  return to_native_placeholders(sql, Dialect::Placeholders::dollar_numbered);
}

TEST(Placeholders, QuestionMarkDialectsGetTheTextAsWritten) {
  for (const char* sql : {"SELECT ? , '?'", "SELECT $1", "SELECT ??", "x ?1"})
    EXPECT_EQ(to_native_placeholders(sql, Dialect::Placeholders::question_mark), sql);
}

TEST(Placeholders, NumbersEachQuestionMarkInOrder) {
  EXPECT_EQ(pg("SELECT * FROM t WHERE a = ? AND b = ?"), "SELECT * FROM t WHERE a = $1 AND b = $2");
  EXPECT_EQ(pg("INSERT INTO t VALUES (?,?,?)"), "INSERT INTO t VALUES ($1,$2,$3)");
  EXPECT_EQ(pg("?"), "$1");
  EXPECT_EQ(pg(""), "");
  EXPECT_EQ(pg("SELECT 1"), "SELECT 1");
}

TEST(Placeholders, StringLiteralsAreLeftAlone) {
  EXPECT_EQ(pg("SELECT '?', ?"), "SELECT '?', $1");
  EXPECT_EQ(pg("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  // standard_conforming_strings: a backslash ends nothing, the quote after it closes the literal
  EXPECT_EQ(pg("SELECT 'a\\', ?"), "SELECT 'a\\', $1");
  EXPECT_EQ(pg("SELECT '' , ?"), "SELECT '' , $1");
  EXPECT_EQ(pg("SELECT B'1?', X'?', N'?', U&'?', ?"), "SELECT B'1?', X'?', N'?', U&'?', $1");
}

TEST(Placeholders, EscapeStringsHonourBackslashes) {
  EXPECT_EQ(pg("SELECT E'\\'?', ?"), "SELECT E'\\'?', $1");
  EXPECT_EQ(pg("SELECT e'\\\\', ?"), "SELECT e'\\\\', $1");
  EXPECT_EQ(pg("SELECT E'a''?\\\\''?', ?"), "SELECT E'a''?\\\\''?', $1");
  // An E ending an identifier is no escape-string prefix: 'x\' is a standard literal.
  EXPECT_EQ(pg("SELECT typE'x\\', ?"), "SELECT typE'x\\', $1");
}

TEST(Placeholders, QuotedIdentifiersAreLeftAlone) {
  EXPECT_EQ(pg("SELECT \"a?\" , \"b\"\"?\" FROM \"?\" WHERE x = ?"),
            "SELECT \"a?\" , \"b\"\"?\" FROM \"?\" WHERE x = $1");
  EXPECT_EQ(pg("SELECT U&\"?\", ?"), "SELECT U&\"?\", $1");
}

TEST(Placeholders, CommentsAreLeftAlone) {
  EXPECT_EQ(pg("SELECT ? -- why?\n, ?"), "SELECT $1 -- why?\n, $2");
  EXPECT_EQ(pg("SELECT ? -- no newline ?"), "SELECT $1 -- no newline ?");
  EXPECT_EQ(pg("SELECT /* ? */ ?"), "SELECT /* ? */ $1");
  EXPECT_EQ(pg("SELECT /* a /* nested ? */ still ? */ ?"),
            "SELECT /* a /* nested ? */ still ? */ $1");
  EXPECT_EQ(pg("SELECT 1 - -?"), "SELECT 1 - -$1");
  EXPECT_EQ(pg("SELECT '--', ?"), "SELECT '--', $1");
  EXPECT_EQ(pg("SELECT '/*', ? /* '*/"), "SELECT '/*', $1 /* '*/");
}

TEST(Placeholders, DollarQuotesAreLeftAlone) {
  EXPECT_EQ(pg("SELECT $$?$$, ?"), "SELECT $$?$$, $1");
  EXPECT_EQ(pg("SELECT $fn$ it's ? $$ $fn$, ?"), "SELECT $fn$ it's ? $$ $fn$, $1");
  EXPECT_EQ(pg("SELECT $a$ $b$ ? $b$ $a$, ?"), "SELECT $a$ $b$ ? $b$ $a$, $1");
  // Not a dollar quote: '$' inside an identifier, and a lone '$'.
  EXPECT_EQ(pg("SELECT a$b$ FROM t WHERE c = ?"), "SELECT a$b$ FROM t WHERE c = $1");
  EXPECT_EQ(pg("SELECT $ ?"), "SELECT $ $1");
  // Unterminated: everything after the opening tag is the string.
  EXPECT_EQ(pg("SELECT $x$ ?"), "SELECT $x$ ?");
}

TEST(Placeholders, CastsAndOperatorsSurvive) {
  EXPECT_EQ(pg("SELECT ?::int, ?::text[]"), "SELECT $1::int, $2::text[]");
  EXPECT_EQ(pg("SELECT a[1:2], b[lo:hi] FROM t WHERE c = ?"),
            "SELECT a[1:2], b[lo:hi] FROM t WHERE c = $1");
  // `??` is the escape for PostgreSQL's own `?` operators (jsonb, geometry), as in pgJDBC.
  EXPECT_EQ(pg("SELECT d ?? 'k', d ??| array['a'], d ??& array['b'] FROM t WHERE id = ?"),
            "SELECT d ? 'k', d ?| array['a'], d ?& array['b'] FROM t WHERE id = $1");
}

TEST(Placeholders, NativeDollarParametersAreSentUnchanged) {
  EXPECT_EQ(pg("SELECT $1, $2"), "SELECT $1, $2");
  // What dialect().placeholder(i) produced before, with a jsonb `?` in it, keeps working.
  EXPECT_EQ(pg("SELECT d ? 'k' FROM t WHERE id = $1"), "SELECT d ? 'k' FROM t WHERE id = $1");
  // $1 inside a literal is no parameter, so the `?` is rewritten.
  EXPECT_EQ(pg("SELECT '$1', ?"), "SELECT '$1', $1");
}

TEST(Placeholders, NumberedQuestionMarksAreRefused) {
  EXPECT_THROW((void)pg("SELECT ?1"), InvalidArgument);
  EXPECT_EQ(pg("SELECT '?1', ?"), "SELECT '?1', $1");
}

TEST(Placeholders, UnterminatedLiteralsAndCommentsSwallowTheRest) {
  // The server reports the syntax error; nothing after the opening quote is rewritten.
  EXPECT_EQ(pg("SELECT ?, 'open ?"), "SELECT $1, 'open ?");
  EXPECT_EQ(pg("SELECT ?, \"open ?"), "SELECT $1, \"open ?");
  EXPECT_EQ(pg("SELECT ?, /* open ?"), "SELECT $1, /* open ?");
  EXPECT_EQ(pg("SELECT ?, E'open \\"), "SELECT $1, E'open \\");
}

TEST(Placeholders, MultibyteTextIsCopiedWhole) {
  EXPECT_EQ(pg("SELECT 'h\xC3\xA9?', \xC3\xA9$$x$$, ?"), "SELECT 'h\xC3\xA9?', \xC3\xA9$$x$$, $1");
}

}  // namespace
}  // namespace anydb
