// Values through the binary protocol that the generic suite does not reach: unsigned and decimal
// columns, a text longer than the first fetch buffer, 4-byte UTF-8, and UPDATE's row count.

#include "support.hpp"

#include <fmt/format.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include <unistd.h>

namespace anydb::mariadb_test {
namespace {

TEST(Values, ExactNumbers) {
  const Table table("num", "u BIGINT UNSIGNED, d DECIMAL(30,10), i BIGINT, r DOUBLE");
  const auto connection = connect();
  const std::string insert = fmt::format("INSERT INTO {} VALUES (?, ?, ?, ?)", table.quoted());
  connection->execute(insert,
                      {Value("18446744073709551615"), Value("12345678901234567890.0123456789"),
                       Value(std::numeric_limits<std::int64_t>::min()), Value(DBL_TRUE_MIN)});
  connection->execute(insert, {Value(7), Value("0.1"),
                               Value(std::numeric_limits<std::int64_t>::max()), Value(0.1)});
  const Result result =
      connection->execute(fmt::format("SELECT u, d, i, r FROM {} ORDER BY u DESC", table.quoted()));
  ASSERT_EQ(result.rows.size(), 2u);
  EXPECT_EQ(result.rows[0][0], Value("18446744073709551615"));  // beyond int64: exact text
  EXPECT_EQ(result.rows[0][1], Value("12345678901234567890.0123456789"));
  EXPECT_EQ(result.rows[0][2], Value(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(result.rows[0][3], Value(DBL_TRUE_MIN));
  EXPECT_EQ(result.rows[1][0], Value(7));  // within int64: an integer
  EXPECT_EQ(result.rows[1][2], Value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(result.rows[1][3], Value(0.1));
}

TEST(Values, TextAndBlobsOfEveryLength) {
  const Table table("txt", "id {id}, t LONGTEXT, b {blob}");
  const auto connection = connect();
  const std::string insert = fmt::format("INSERT INTO {} (t, b) VALUES (?, ?)", table.quoted());
  const std::string emoji = "h\xF0\x9F\x98\x80llo \xE4\xB8\xAD";  // 4-byte and 3-byte UTF-8
  std::string long_text;
  for (int i = 0; long_text.size() < 70'000; ++i)
    long_text += fmt::format("{} \xF0\x9F\x98\x80 ", i);
  const Blob nul_blob{std::byte{0}, std::byte{1}, std::byte{0}, std::byte{255}};
  Blob long_blob(100'000);
  for (std::size_t i = 0; i < long_blob.size(); ++i) long_blob[i] = static_cast<std::byte>(i % 251);
  connection->execute(insert, {Value(emoji), Value(nul_blob)});
  connection->execute(insert, {Value(long_text), Value(long_blob)});
  connection->execute(insert, {Value(""), Value(Blob{})});
  connection->execute(insert, {Value(), Value()});
  const Result result =
      connection->execute(fmt::format("SELECT t, b FROM {} ORDER BY id", table.quoted()));
  ASSERT_EQ(result.rows.size(), 4u);
  EXPECT_EQ(result.rows[0][0], Value(emoji));
  EXPECT_EQ(result.rows[0][1], Value(nul_blob));
  EXPECT_EQ(result.rows[1][0], Value(long_text));  // past the first fetch buffer
  EXPECT_EQ(result.rows[1][1], Value(long_blob));
  EXPECT_EQ(result.rows[2][0], Value(""));  // empty, not NULL
  EXPECT_EQ(result.rows[2][1], Value(Blob{}));
  EXPECT_TRUE(result.rows[3][0].is_null());
  EXPECT_TRUE(result.rows[3][1].is_null());
}

TEST(Values, UpdateCountsMatchedRows) {
  const Table table("upd", "v INT");
  const auto connection = connect();
  connection->execute_script(fmt::format("INSERT INTO {} VALUES (1), (1), (2)", table.quoted()));
  // CLIENT_FOUND_ROWS: rows that already held the value count too, as on every other backend.
  EXPECT_EQ(connection->execute(fmt::format("UPDATE {} SET v = 1 WHERE v >= 1", table.quoted()))
                .rows_affected,
            3);
  EXPECT_EQ(connection->execute(fmt::format("SELECT v FROM {}", table.quoted())).rows_affected, 0);
}

TEST(Values, ScriptsRunEveryStatementAndStopAtTheFirstError) {
  const Table table("scr", "v INT");
  const auto connection = connect();
  connection->execute_script(
      fmt::format("INSERT INTO {0} VALUES (1); INSERT INTO {0} VALUES (2)", table.quoted()));
  EXPECT_EQ(table.count(), 2);
  EXPECT_THROW(
      connection->execute_script(fmt::format(
          "INSERT INTO {0} VALUES (3); SELEC 1; INSERT INTO {0} VALUES (4)", table.quoted())),
      SyntaxError);
  EXPECT_EQ(table.count(), 3);
  EXPECT_EQ(connection->execute("SELECT 5").rows.at(0)[0].as_int(), 5);  // in sync again
}

// A CALL's first result set is the statement's result; the rest (and the final status) are read
// and dropped, so that the next statement finds the connection in sync.
TEST(Values, CallReturnsItsFirstResultSet) {
  const auto connection = connect();
  const std::string procedure = fmt::format("my_proc_{}", ::getpid());
  connection->execute_script(
      fmt::format("CREATE PROCEDURE {}(IN x BIGINT) BEGIN SELECT x + 1 AS y; "
                  "SELECT 0 AS z; END",
                  procedure));
  const Result result = connection->execute(fmt::format("CALL {}(?)", procedure), {Value(41)});
  EXPECT_EQ(result.rows.at(0)[0].as_int(), 42);
  EXPECT_EQ(
      connection->execute(fmt::format("CALL {}(?)", procedure), {Value(1)}).rows.at(0)[0].as_int(),
      2);
  EXPECT_EQ(connection->execute("SELECT 5").rows.at(0)[0].as_int(), 5);
  connection->execute_script(fmt::format("DROP PROCEDURE {}", procedure));
}

}  // namespace
}  // namespace anydb::mariadb_test
