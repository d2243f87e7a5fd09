// Values only PostgreSQL makes special (the conformance suite covers the common round trips):
// text cannot hold a NUL byte, and bytea must carry every byte value unchanged.

#include "pg_support.hpp"

#include <fmt/format.h>

namespace anydb::pgtest {
namespace {

using Values = PgTest;

TEST_F(Values, NulByteInTextIsADataErrorThatSaysWhatToDo) {
  const Table table("nul", "id INT PRIMARY KEY, s TEXT");
  ConnectionPtr connection = connect();
  const std::string with_nul("before\0after", 12);
  try {
    (void)connection->execute(fmt::format("INSERT INTO {} (id, s) VALUES (1, $1)", table.sql()),
                              {Value(with_nul)});
    FAIL() << "text with a NUL byte was accepted";
  } catch (const DataError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("NUL"), std::string::npos) << message;
    EXPECT_NE(message.find("$1"), std::string::npos) << message;
    EXPECT_NE(message.find("blob"), std::string::npos) << message;
    EXPECT_EQ(message.find('\0'), std::string::npos);
    EXPECT_EQ(error.backend(), "postgresql");
    std::printf("[ info     ] %s\n", message.c_str());
  }
  // Refused before anything was sent: in a transaction, nothing was aborted.
  connection->begin();
  EXPECT_THROW(
      (void)connection->execute(fmt::format("INSERT INTO {} (id, s) VALUES (2, $1)", table.sql()),
                                {Value(with_nul)}),
      DataError);
  (void)connection->execute(fmt::format("INSERT INTO {} (id, s) VALUES (3, $1)", table.sql()),
                            {Value("ok")});
  connection->commit();
  EXPECT_EQ(table.count_rows(), 1);
}

TEST_F(Values, ByteaCarriesEveryByteValue) {
  const Table table("bytea", "id INT PRIMARY KEY, b BYTEA NOT NULL");
  ConnectionPtr connection = connect();
  Blob every;
  for (int i = 0; i < 256; ++i) every.push_back(static_cast<std::byte>(i));
  Blob reversed(every.rbegin(), every.rend());

  (void)connection->execute(
      fmt::format("INSERT INTO {} (id, b) VALUES ($1, $2), ($3, $4)", table.sql()),
      {Value(1), Value(every), Value(2), Value(reversed)});
  const Result stored =
      connection->execute(fmt::format("SELECT b, length(b) FROM {} ORDER BY id", table.sql()));
  ASSERT_EQ(stored.rows.size(), 2u);
  EXPECT_EQ(stored.rows[0][0].as_blob(), every);
  EXPECT_EQ(stored.rows[0][1].as_int(), 256);
  EXPECT_EQ(stored.rows[1][0].as_blob(), reversed);
  // The server saw the bytes themselves (binary parameter), not a text rendering of them.
  EXPECT_EQ(scalar(*connection,
                   fmt::format("SELECT count(*) FROM {} WHERE id = 1 AND get_byte(b, 0) = 0 AND "
                               "get_byte(b, 255) = 255",
                               table.sql())),
            1);
  // A blob parameter whose type the server would infer as something else is sent as bytea.
  const Result echoed = connection->execute("SELECT $1::bytea", {Value(every)});
  EXPECT_EQ(echoed.rows.at(0)[0].as_blob(), every);
  // Lookup by a bytea key.
  EXPECT_EQ(scalar(*connection, fmt::format("SELECT id FROM {} WHERE b = $1", table.sql()),
                   {Value(reversed)}),
            2);
}

// Parameters go out as text of unspecified type, so the server infers each one's type from its
// context; with no context at all it is text, and so is the result column.
TEST_F(Values, AnUntypedParameterComesBackAsTextUnlessCast) {
  ConnectionPtr connection = connect();
  const Value untyped = connection->execute("SELECT $1", {Value(5)}).rows.at(0)[0];
  EXPECT_EQ(untyped.type(), Value::Type::text);
  EXPECT_EQ(untyped.as_text(), "5");
  const Value cast = connection->execute("SELECT $1::bigint", {Value(5)}).rows.at(0)[0];
  EXPECT_EQ(cast.type(), Value::Type::integer);
  EXPECT_EQ(cast.as_int(), 5);
  // A text key matches an integer column: the server infers $1 as that column's type.
  EXPECT_EQ(
      scalar(*connection, "SELECT count(*) FROM (VALUES (42)) AS v(n) WHERE n = $1", {Value("42")}),
      1);
}

}  // namespace
}  // namespace anydb::pgtest
