// Every row of backends/mariadb/error.cpp that a test server can produce, provoked for real, and
// what each error does to the transaction (the core learns it from the server's status flags).

#include "support.hpp"

#include <fmt/format.h>

#include <chrono>
#include <future>
#include <thread>

namespace anydb::mariadb_test {
namespace {

TEST(ErrorMapping, DuplicateKeyNamesTheKeyAndItsColumns) {
  const Table table("dup", "id {id}, a VARCHAR(20), b BIGINT, CONSTRAINT uq_ab UNIQUE (b, a)");
  const auto connection = connect();
  const std::string insert = fmt::format("INSERT INTO {} (a, b) VALUES (?, ?)", table.quoted());
  connection->execute(insert, {Value("x"), Value(1)});
  const auto error =
      expect_error("1062 ER_DUP_ENTRY", {ErrorKind::unique_violation, 1062, "uq_ab"}, [&] {
        (void)connection->execute(insert, {Value("x"), Value(1)});
      });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->constraint(), "uq_ab");
  EXPECT_EQ(error->columns(), (std::vector<std::string>{"b", "a"}));  // the key's order
  EXPECT_EQ(error->sqlstate(), "23000");
  EXPECT_FALSE(error->is_transient());
  const auto primary =
      expect_error("1062 on the primary key", {ErrorKind::unique_violation, 1062, "PRIMARY"}, [&] {
        (void)connection->execute(
            fmt::format("INSERT INTO {} (id, a, b) VALUES (1, 'y', 2)", table.quoted()));
      });
  ASSERT_TRUE(primary);
  EXPECT_EQ(primary->columns(), (std::vector<std::string>{"id"}));
}

TEST(ErrorMapping, NotNull) {
  const Table table("nn", "id {id}, v VARCHAR(5) NOT NULL, w INT NOT NULL");
  const auto connection = connect();
  const auto error =
      expect_error("1048 ER_BAD_NULL_ERROR", {ErrorKind::not_null_violation, 1048, "'v'"}, [&] {
        (void)connection->execute(
            fmt::format("INSERT INTO {} (v, w) VALUES (?, 1)", table.quoted()), {Value()});
      });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->columns(), (std::vector<std::string>{"v"}));
  (void)expect_error(
      "1364 ER_NO_DEFAULT_FOR_FIELD", {ErrorKind::not_null_violation, 1364, "'w'"}, [&] {
        (void)connection->execute(fmt::format("INSERT INTO {} (v) VALUES ('x')", table.quoted()));
      });
}

TEST(ErrorMapping, ForeignKeyBothWays) {
  const Table parent("parent", "id BIGINT PRIMARY KEY");
  const Table child("child",
                    fmt::format("id BIGINT PRIMARY KEY, p BIGINT, CONSTRAINT fk_p FOREIGN KEY (p) "
                                "REFERENCES {} (id)",
                                parent.quoted()));
  const auto connection = connect();
  const auto missing = expect_error(
      "1452 ER_NO_REFERENCED_ROW_2", {ErrorKind::foreign_key_violation, 1452, "fk_p"}, [&] {
        (void)connection->execute(fmt::format("INSERT INTO {} VALUES (1, 7)", child.quoted()));
      });
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->constraint(), "fk_p");
  connection->execute_script(fmt::format("INSERT INTO {} VALUES (7)", parent.quoted()));
  connection->execute_script(fmt::format("INSERT INTO {} VALUES (1, 7)", child.quoted()));
  (void)expect_error(
      "1451 ER_ROW_IS_REFERENCED_2", {ErrorKind::foreign_key_violation, 1451, "fk_p"},
      [&] { (void)connection->execute(fmt::format("DELETE FROM {}", parent.quoted())); });
}

TEST(ErrorMapping, Check) {
  const Table table("chk", "v INT, CONSTRAINT positive CHECK (v > 0)");
  const auto connection = connect();
  const auto error = expect_error(
      "4025 ER_CONSTRAINT_FAILED", {ErrorKind::check_violation, 4025, "positive"}, [&] {
        (void)connection->execute(fmt::format("INSERT INTO {} VALUES (?)", table.quoted()),
                                  {Value(-1)});
      });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->constraint(), "positive");
}

TEST(ErrorMapping, StatementsAndData) {
  const Table table("stmt", "v VARCHAR(3), t TINYINT");
  const auto connection = connect();
  (void)expect_error("1146 ER_NO_SUCH_TABLE", {ErrorKind::undefined_object, 1146, "doesn't exist"},
                     [&] { (void)connection->execute("SELECT * FROM no_such_table_here"); });
  (void)expect_error("1054 ER_BAD_FIELD_ERROR", {ErrorKind::undefined_object, 1054, "nope"}, [&] {
    (void)connection->execute(fmt::format("SELECT nope FROM {}", table.quoted()));
  });
  (void)expect_error("1064 ER_PARSE_ERROR", {ErrorKind::syntax_error, 1064, "syntax"},
                     [&] { (void)connection->execute("SELEC 1"); });
  (void)expect_error("1406 ER_DATA_TOO_LONG", {ErrorKind::data_error, 1406, "'v'"}, [&] {
    (void)connection->execute(fmt::format("INSERT INTO {} (v) VALUES (?)", table.quoted()),
                              {Value("abcdef")});
  });
  (void)expect_error("1264 ER_WARN_DATA_OUT_OF_RANGE", {ErrorKind::data_error, 1264, "'t'"}, [&] {
    (void)connection->execute(fmt::format("INSERT INTO {} (t) VALUES (?)", table.quoted()),
                              {Value(1000)});
  });
  // Anything the table does not list: database_error, with the server's number and text.
  const auto other = expect_error("1222 (unlisted)",
                                  {ErrorKind::database_error, 1222, "different number of columns"},
                                  [&] { (void)connection->execute("SELECT 1 UNION SELECT 1, 2"); });
  ASSERT_TRUE(other);
  EXPECT_EQ(other->sqlstate(), "21000");
}

TEST(ErrorMapping, WriteInReadOnlyTransaction) {
  const Table table("ro", "v INT");
  const auto connection = connect();
  connection->begin(AccessMode::read_only);
  (void)expect_error(
      "1792 read-only transaction", {ErrorKind::permission_denied, 1792, "READ ONLY"},
      [&] { (void)connection->execute(fmt::format("INSERT INTO {} VALUES (1)", table.quoted())); });
  // Only the statement failed: the transaction goes on.
  EXPECT_EQ(connection->transaction_state(), TransactionState::active);
  EXPECT_EQ(connection->execute("SELECT 1").rows.size(), 1u);
  connection->rollback();
}

// Two sessions lock rows 1 and 2 in opposite orders; InnoDB picks a victim and rolls its whole
// transaction back. The victim's connection is then `aborted`: nothing runs until rollback().
TEST(ErrorMapping, DeadlockAbortsTheVictimsTransaction) {
  const Table table("dl", "id INT PRIMARY KEY, v INT");
  const auto setup = connect();
  setup->execute_script(fmt::format("INSERT INTO {} VALUES (1, 0), (2, 0)", table.quoted()));
  const auto a = connect();
  const auto b = connect();
  const std::string update = fmt::format("UPDATE {} SET v = v + 1 WHERE id = ?", table.quoted());
  a->begin();
  b->begin();
  a->execute(update, {Value(1)});
  b->execute(update, {Value(2)});
  auto a_second = std::async(std::launch::async, [&]() -> std::optional<Error> {
    try {
      a->execute(update, {Value(2)});  // waits for b
      return std::nullopt;
    } catch (const Error& error) {
      return error;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::optional<Error> b_error;
  try {
    b->execute(update, {Value(1)});  // closes the cycle
  } catch (const Error& error) {
    b_error = error;
  }
  std::optional<Error> a_error = a_second.get();
  ASSERT_NE(a_error.has_value(), b_error.has_value()) << "exactly one victim";
  const Error& victim_error = a_error ? *a_error : *b_error;
  Connection& victim = a_error ? *a : *b;
  Connection& survivor = a_error ? *b : *a;
  std::printf("[ server   ] 1213 ER_LOCK_DEADLOCK: %s\n", victim_error.what());
  EXPECT_EQ(victim_error.kind(), ErrorKind::deadlock);
  EXPECT_EQ(victim_error.native_code(), 1213);
  EXPECT_TRUE(victim_error.is_transient());
  EXPECT_TRUE(victim_error.transaction_aborted());
  EXPECT_EQ(victim.transaction_state(), TransactionState::aborted);
  EXPECT_THROW((void)victim.execute("SELECT 1"), TransactionAborted);
  victim.rollback();
  EXPECT_EQ(victim.transaction_state(), TransactionState::idle);
  survivor.commit();
  EXPECT_EQ(setup->execute(fmt::format("SELECT CAST(SUM(v) AS SIGNED) FROM {}", table.quoted()))
                .rows.at(0)[0]
                .as_int(),
            2);
}

// A lock wait timeout undoes only the statement (innodb_rollback_on_timeout is off): the
// transaction stays usable.
TEST(ErrorMapping, LockWaitTimeoutKeepsTheTransaction) {
  const Table table("lw", "id INT PRIMARY KEY, v INT");
  const auto holder = connect();
  holder->execute_script(fmt::format("INSERT INTO {} VALUES (1, 0), (2, 0)", table.quoted()));
  const auto waiter = connect();
  waiter->execute_script("SET SESSION innodb_lock_wait_timeout = 1");
  const std::string update = fmt::format("UPDATE {} SET v = v + 1 WHERE id = ?", table.quoted());
  holder->begin();
  holder->execute(update, {Value(1)});
  waiter->begin();
  waiter->execute(update, {Value(2)});
  const auto error =
      expect_error("1205 ER_LOCK_WAIT_TIMEOUT", {ErrorKind::busy, 1205, "Lock wait timeout"},
                   [&] { (void)waiter->execute(update, {Value(1)}); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->is_transient());
  EXPECT_FALSE(error->transaction_aborted());
  EXPECT_EQ(waiter->transaction_state(), TransactionState::active);
  holder->rollback();
  waiter->commit();  // its first update survived
  EXPECT_EQ(holder->execute(fmt::format("SELECT v FROM {} WHERE id = 2", table.quoted()))
                .rows.at(0)[0]
                .as_int(),
            1);
}

std::int64_t connection_id(Connection& connection) {
  return connection.execute("SELECT CONNECTION_ID()").rows.at(0)[0].as_int();
}

TEST(ErrorMapping, KilledConnectionIsLost) {
  const auto victim = connect();
  const auto admin = connect(admin_uri());
  admin->execute_script(fmt::format("KILL CONNECTION {}", connection_id(*victim)));
  const auto error = expect_error("KILL CONNECTION", {ErrorKind::connection_lost, std::nullopt, ""},
                                  [&] { (void)victim->execute("SELECT 1"); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->is_connection_error());
  const int code = static_cast<int>(error->native_code().value_or(0));
  EXPECT_TRUE(code == 2013 || code == 2006 || code == 1927 || code == 4031) << code;
  // Later calls fail at once, without touching the dead socket.
  EXPECT_THROW((void)victim->execute("SELECT 1"), ConnectionLost);
  EXPECT_THROW(victim->begin(), ConnectionLost);
}

TEST(ErrorMapping, KilledDuringTransactionAbortsIt) {
  const Table table("kill", "v INT");
  const auto victim = connect();
  const auto admin = connect(admin_uri());
  victim->begin();
  victim->execute(fmt::format("INSERT INTO {} VALUES (1)", table.quoted()));
  admin->execute_script(fmt::format("KILL CONNECTION {}", connection_id(*victim)));
  EXPECT_THROW((void)victim->execute("SELECT 1"), ConnectionLost);
  EXPECT_EQ(victim->transaction_state(), TransactionState::aborted);
  victim->rollback();  // only tidies up
  EXPECT_EQ(table.count(), 0);
}

// KILL QUERY ends the statement, not the session: 1317 ER_QUERY_INTERRUPTED is a plain
// database_error and the connection stays usable.
TEST(ErrorMapping, KilledQueryKeepsTheConnection) {
  const auto victim = connect();
  const auto admin = connect(admin_uri());
  const std::int64_t id = connection_id(*victim);
  auto sleeper = std::async(std::launch::async, [&] { return victim->execute("SELECT SLEEP(5)"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  admin->execute_script(fmt::format("KILL QUERY {}", id));
  try {
    const Result result = sleeper.get();  // SLEEP() returns 1 when interrupted
    EXPECT_EQ(result.rows.at(0)[0].as_int(), 1);
  } catch (const Error& error) {
    EXPECT_FALSE(error.is_connection_error()) << error.what();
  }
  EXPECT_EQ(victim->execute("SELECT 2").rows.at(0)[0].as_int(), 2);
}

}  // namespace
}  // namespace anydb::mariadb_test
