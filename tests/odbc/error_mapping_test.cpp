// One test per row of the ODBC backend's error mapping (backends/odbc/error.cpp, and the table in
// docs/backends.md): each triggers the real error through the real driver and checks the kind,
// SQLSTATE, native code and message the backend reports. The printed "[ driver   ]" lines are
// the observed driver behaviour documented in docs/backends.md.

#include "support.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace anydb::odbc_test {
namespace {

using namespace std::chrono_literals;

// The constraint tables every driver gets: a parent, and a child with every kind of constraint.
struct ConstraintTables {
  explicit ConstraintTables(const std::string& uri)
      : parent(uri, "parent", "id BIGINT PRIMARY KEY"),
        child(uri, "child",
              fmt::format("id {{id}}, k BIGINT NOT NULL, code VARCHAR(40), parent_id BIGINT, "
                          "qty BIGINT CHECK (qty >= 0), CONSTRAINT {} UNIQUE (code), "
                          "FOREIGN KEY (parent_id) REFERENCES {} (id)",
                          connect(uri)->dialect().quote_identifier(unique_key), parent.quoted())),
        connection(connect(uri)) {
    connection->execute(fmt::format("INSERT INTO {} (id) VALUES (?)", parent.quoted()), {Value(1)});
    insert(1, "a", 1, 1);
  }
  void insert(const Value& k, const Value& code, const Value& parent_id, const Value& qty) {
    connection->execute(
        fmt::format("INSERT INTO {} (k, code, parent_id, qty) VALUES (?, ?, ?, ?)", child.quoted()),
        {k, code, parent_id, qty});
  }
  std::string unique_key = unique_name("uq");
  Table parent;
  Table child;
  ConnectionPtr connection;
};

// ---------------------------------------------------------------------------------------------
// SQLite ODBC driver (sqliteodbc): SQLSTATE HY000 always; native = SQLite's primary result code.

TEST(SqliteErrors, UniqueConstraintFailedIsUniqueViolationWithColumns) {
  ConstraintTables db(sqlite_uri());
  const auto error = expect_error(
      "sqlite unique", {ErrorKind::unique_violation, "HY000", 19, "UNIQUE constraint failed"},
      [&] { db.insert(2, "a", nullptr, 1); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->columns(), std::vector<std::string>{"code"});
}

TEST(SqliteErrors, NotNullConstraintFailed) {
  ConstraintTables db(sqlite_uri());
  const auto error = expect_error(
      "sqlite not null", {ErrorKind::not_null_violation, "HY000", 19, "NOT NULL constraint failed"},
      [&] { db.insert(nullptr, "b", nullptr, 1); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->columns(), std::vector<std::string>{"k"});
}

TEST(SqliteErrors, ForeignKeyConstraintFailedBecauseFKSupportIsOnByDefault) {
  ConstraintTables db(sqlite_uri());
  expect_error("sqlite foreign key",
               {ErrorKind::foreign_key_violation, "HY000", 19, "FOREIGN KEY constraint failed"},
               [&] { db.insert(2, "b", 999, 1); });
}

TEST(SqliteErrors, CheckConstraintFailed) {
  ConstraintTables db(sqlite_uri());
  expect_error("sqlite check", {ErrorKind::check_violation, "HY000", 19, "CHECK constraint failed"},
               [&] { db.insert(2, "b", nullptr, -1); });
}

TEST(SqliteErrors, OtherConstraintFailureIsAnIntegrityViolation) {
  Table table(sqlite_uri(), "trigger", "id INTEGER PRIMARY KEY, v BIGINT");
  const ConnectionPtr connection = connect(sqlite_uri());
  connection->execute_script(
      fmt::format("CREATE TRIGGER {} BEFORE INSERT ON {} BEGIN "
                  "SELECT RAISE(ABORT, 'rejected by trigger'); END",
                  connection->dialect().quote_identifier(table.name() + "_t"), table.quoted()));
  expect_error(
      "sqlite raise(abort)", {ErrorKind::integrity_violation, "HY000", 19, "rejected by trigger"},
      [&] { connection->execute(fmt::format("INSERT INTO {} (v) VALUES (1)", table.quoted())); });
}

TEST(SqliteErrors, DatabaseIsLockedIsBusyAfterTheTimeout) {
  Table table(sqlite_uri(), "busy", "id INTEGER PRIMARY KEY, v BIGINT");
  const ConnectionPtr holder = connect(sqlite_uri());
  holder->begin();  // BEGIN IMMEDIATE: the write lock, until rollback
  holder->execute(fmt::format("INSERT INTO {} (v) VALUES (1)", table.quoted()));
  const ConnectionPtr waiter = connect(sqlite_uri() + ";Timeout=200");
  const auto start = std::chrono::steady_clock::now();
  const auto error = expect_error(
      "sqlite busy", {ErrorKind::busy, "HY000", 5, "database is locked"},
      [&] { waiter->execute(fmt::format("INSERT INTO {} (v) VALUES (2)", table.quoted())); });
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms) << "Timeout=200 was not honoured";
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->is_transient());
  holder->rollback();
}

TEST(SqliteErrors, TableLockedInASharedCacheIsBusy) {
  // SQLITE_LOCKED needs two connections sharing one cache: an in-memory database by URI name.
  const std::string shared =
      fmt::format("odbc:DRIVER={};Database=file:{}?mode=memory&cache=shared;Timeout=100",
                  driver_of(sqlite_uri()), unique_name("mem"));
  const ConnectionPtr writer = connect(shared);
  const ConnectionPtr reader = connect(shared);
  writer->execute_script("CREATE TABLE shared_t (v BIGINT)");
  writer->begin();
  writer->execute("INSERT INTO shared_t (v) VALUES (1)");
  expect_error("sqlite locked", {ErrorKind::busy, "HY000", 6, "locked"},
               [&] { reader->execute("SELECT v FROM shared_t"); });
  writer->rollback();
}

TEST(SqliteErrors, NoSuchTableOrColumnIsUndefined) {
  Table table(sqlite_uri(), "undef", "id INTEGER PRIMARY KEY");
  const ConnectionPtr connection = connect(sqlite_uri());
  expect_error("sqlite no such table", {ErrorKind::undefined_object, "HY000", 1, "no such table"},
               [&] { connection->execute("SELECT * FROM anydb_no_such_table"); });
  expect_error("sqlite no such column", {ErrorKind::undefined_object, "HY000", 1, "no such column"},
               [&] { connection->execute(fmt::format("SELECT nope FROM {}", table.quoted())); });
}

TEST(SqliteErrors, SyntaxError) {
  const ConnectionPtr connection = connect(sqlite_uri());
  expect_error("sqlite syntax", {ErrorKind::syntax_error, "HY000", 1, "syntax error"},
               [&] { connection->execute("SELEKT 1"); });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL through psqlODBC: the server's SQLSTATE; native code always 1.

TEST(PostgresqlErrors, UniqueViolationNamesConstraintAndColumns) {
  ConstraintTables db(pg_uri());
  const auto error =
      expect_error("psqlodbc unique",
                   {ErrorKind::unique_violation, "23505", std::nullopt, "duplicate key value"},
                   [&] { db.insert(2, "a", nullptr, 1); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->constraint(), db.unique_key);
  EXPECT_EQ(error->columns(), std::vector<std::string>{"code"});
}

TEST(PostgresqlErrors, ForeignKeyNotNullCheck) {
  ConstraintTables db(pg_uri());
  expect_error("psqlodbc foreign key",
               {ErrorKind::foreign_key_violation, "23503", std::nullopt, "foreign key"},
               [&] { db.insert(2, "b", 999, 1); });
  expect_error("psqlodbc not null",
               {ErrorKind::not_null_violation, "23502", std::nullopt, "null value"},
               [&] { db.insert(nullptr, "c", nullptr, 1); });
  expect_error("psqlodbc check",
               {ErrorKind::check_violation, "23514", std::nullopt, "check constraint"},
               [&] { db.insert(3, "d", nullptr, -1); });
}

TEST(PostgresqlErrors, SerializationFailureAtRepeatableRead) {
  Table table(pg_uri(), "ser", "id BIGINT PRIMARY KEY, v BIGINT");
  const ConnectionPtr a = connect(pg_uri() + ";ANYDB_ISOLATION=repeatable_read");
  const ConnectionPtr b = connect(pg_uri());
  b->execute(fmt::format("INSERT INTO {} VALUES (1, 0)", table.quoted()));
  a->begin();
  (void)a->execute(fmt::format("SELECT v FROM {} WHERE id = 1", table.quoted()));  // snapshot
  b->execute(fmt::format("UPDATE {} SET v = 1 WHERE id = 1", table.quoted()));
  const auto error = expect_error(
      "psqlodbc serialization",
      {ErrorKind::serialization_failure, "40001", std::nullopt, "could not serialize"},
      [&] { a->execute(fmt::format("UPDATE {} SET v = 2 WHERE id = 1", table.quoted())); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->is_transient());
  EXPECT_TRUE(error->transaction_aborted());
  a->rollback();
}

// Two transactions lock two rows in opposite orders; the server picks one victim.
template <class LockOther>
int deadlock_victims(const std::string& uri, const Table& table, LockOther&& report) {
  const ConnectionPtr a = connect(uri);
  const ConnectionPtr b = connect(uri);
  a->begin();
  b->begin();
  a->execute(fmt::format("UPDATE {} SET v = v + 1 WHERE id = 1", table.quoted()));
  b->execute(fmt::format("UPDATE {} SET v = v + 1 WHERE id = 2", table.quoted()));
  std::atomic<int> victims{0};
  std::thread other([&] {
    try {
      a->execute(fmt::format("UPDATE {} SET v = v + 1 WHERE id = 2", table.quoted()));
    } catch (const Error& error) {
      ++victims;
      report(*a, error);
    }
  });
  std::this_thread::sleep_for(200ms);  // a is waiting for b's row now
  try {
    b->execute(fmt::format("UPDATE {} SET v = v + 1 WHERE id = 1", table.quoted()));
  } catch (const Error& error) {
    ++victims;
    report(*b, error);
  }
  other.join();
  if (a->in_transaction()) a->rollback();
  if (b->in_transaction()) b->rollback();
  return victims.load();
}

TEST(PostgresqlErrors, DeadlockDetected) {
  Table table(pg_uri(), "deadlock", "id BIGINT PRIMARY KEY, v BIGINT");
  connect(pg_uri())->execute_script(
      fmt::format("INSERT INTO {} VALUES (1, 0), (2, 0)", table.quoted()));
  const int victims = deadlock_victims(pg_uri(), table, [](Connection&, const Error& error) {
    expect_error("psqlodbc deadlock",
                 {ErrorKind::deadlock, "40P01", std::nullopt, "deadlock detected"},
                 [&] { throw error; });
    EXPECT_TRUE(error.transaction_aborted());
  });
  EXPECT_EQ(victims, 1);
}

TEST(PostgresqlErrors, LockNotAvailableIsBusy) {
  Table table(pg_uri(), "nowait", "id BIGINT PRIMARY KEY");
  const ConnectionPtr a = connect(pg_uri());
  const ConnectionPtr b = connect(pg_uri());
  a->execute(fmt::format("INSERT INTO {} VALUES (1)", table.quoted()));
  a->begin();
  (void)a->execute(fmt::format("SELECT id FROM {} WHERE id = 1 FOR UPDATE", table.quoted()));
  expect_error(
      "psqlodbc nowait", {ErrorKind::busy, "55P03", std::nullopt, "could not obtain lock"}, [&] {
        (void)b->execute(
            fmt::format("SELECT id FROM {} WHERE id = 1 FOR UPDATE NOWAIT", table.quoted()));
      });
  a->rollback();
}

TEST(PostgresqlErrors, StatementTimeoutIsBusy) {
  const ConnectionPtr connection = connect(pg_uri());
  connection->execute_script("SET statement_timeout = 100");
  expect_error("psqlodbc statement timeout",
               {ErrorKind::busy, "57014", std::nullopt, "statement timeout"},
               [&] { (void)connection->execute("SELECT pg_sleep(2)"); });
}

// psqlODBC (Protocol=7.4-0) fails the transaction on any error, as libpq does: the core then
// refuses the next statement itself (the server would answer 25P02), sending nothing.
TEST(PostgresqlErrors, StatementInFailedTransactionIsTransactionAborted) {
  const ConnectionPtr connection = connect(pg_uri());
  connection->begin();
  EXPECT_THROW((void)connection->execute("SELECT * FROM anydb_no_such_table"), UndefinedObject);
  EXPECT_EQ(connection->transaction_state(), TransactionState::failed);
  const auto error = expect_error(
      "psqlodbc failed transaction",
      {ErrorKind::transaction_aborted, "", std::nullopt, "the transaction failed earlier"},
      [&] { (void)connection->execute("SELECT 1"); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->transaction_aborted());
  connection->rollback();
}

TEST(PostgresqlErrors, SyntaxAndUndefinedObjects) {
  Table table(pg_uri(), "undef", "id BIGINT PRIMARY KEY");
  const ConnectionPtr connection = connect(pg_uri());
  expect_error("psqlodbc syntax", {ErrorKind::syntax_error, "42601", std::nullopt, "syntax error"},
               [&] { (void)connection->execute("SELEKT 1"); });
  expect_error("psqlodbc undefined table",
               {ErrorKind::undefined_object, "42P01", std::nullopt, "does not exist"},
               [&] { (void)connection->execute("SELECT * FROM anydb_no_such_table"); });
  expect_error("psqlodbc undefined column",
               {ErrorKind::undefined_object, "42703", std::nullopt, "does not exist"}, [&] {
                 (void)connection->execute(fmt::format("SELECT nope FROM {}", table.quoted()));
               });
}

// psqlODBC reports a dead connection in three ways, depending on what it was doing; each is
// pinned here. The superuser terminates the victim's backend over the Unix socket (trust).
std::int64_t terminate_backend(Connection& victim) {
  const std::int64_t pid = victim.execute("SELECT pg_backend_pid()").rows.at(0)[0].as_int();
  const ConnectionPtr admin = connect(fmt::format(
      "odbc:DRIVER={};Servername={};Port={};Database=postgres;UID=postgres", driver_of(pg_uri()),
      uri_from("ANYDB_TEST_PG_SOCKET_DIR"), uri_from("ANYDB_TEST_PG_PORT")));
  (void)admin->execute("SELECT pg_terminate_backend(?)", {Value(pid)});
  std::this_thread::sleep_for(200ms);
  return pid;
}

TEST(PostgresqlErrors, TerminatedBackendIsConnectionLost) {
  const ConnectionPtr victim = connect(pg_uri());
  victim->begin();
  (void)terminate_backend(*victim);
  // The first call to notice gets HY000 with libpq's or psqlODBC's words (it varies with
  // timing); the driver then reports the connection dead.
  const auto error = expect_error(
      "psqlodbc terminated",
      {ErrorKind::connection_lost, "HY000", 1, "the driver reports the connection dead"},
      [&] { (void)victim->execute("SELECT 1"); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->is_connection_error());
  EXPECT_TRUE(error->transaction_aborted());
  // The transaction ended with the connection, but its owner still has to end it.
  EXPECT_EQ(victim->transaction_state(), TransactionState::aborted);
  EXPECT_NO_THROW(victim->rollback());  // quiet: nothing is left to roll back
  EXPECT_FALSE(victim->in_transaction());
  // Later calls: psqlODBC's own 08S01 (native 35), the generic 08 row.
  expect_error("psqlodbc execute after loss",
               {ErrorKind::connection_lost, "08S01", 35, "connection lost"},
               [&] { (void)victim->execute("SELECT 1"); });
}

// ---------------------------------------------------------------------------------------------
// MariaDB Connector/ODBC: native = the server's error number.

TEST(MariadbErrors, DuplicateEntryIsUniqueViolationWithKeyAndColumns) {
  ConstraintTables db(mariadb_uri());
  const auto error =
      expect_error("maodbc unique", {ErrorKind::unique_violation, "23000", 1062, "Duplicate entry"},
                   [&] { db.insert(2, "a", nullptr, 1); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->constraint(), db.unique_key);
  EXPECT_EQ(error->columns(), std::vector<std::string>{"code"});  // looked up by key name
}

TEST(MariadbErrors, NotNullForeignKeysCheck) {
  ConstraintTables db(mariadb_uri());
  expect_error("maodbc not null", {ErrorKind::not_null_violation, "23000", 1048, "cannot be null"},
               [&] { db.insert(nullptr, "b", nullptr, 1); });
  expect_error("maodbc child row",
               {ErrorKind::foreign_key_violation, "23000", 1452, "foreign key constraint fails"},
               [&] { db.insert(2, "c", 999, 1); });
  expect_error("maodbc parent row",
               {ErrorKind::foreign_key_violation, "23000", 1451, "foreign key constraint fails"},
               [&] { db.connection->execute(fmt::format("DELETE FROM {}", db.parent.quoted())); });
  expect_error("maodbc check", {ErrorKind::check_violation, "23000", 4025, "CONSTRAINT"},
               [&] { db.insert(3, "d", nullptr, -1); });
}

TEST(MariadbErrors, DeadlockRollsBackTheWholeTransaction) {
  Table table(mariadb_uri(), "deadlock", "id BIGINT PRIMARY KEY, v BIGINT");
  connect(mariadb_uri())
      ->execute_script(fmt::format("INSERT INTO {} VALUES (1, 0), (2, 0)", table.quoted()));
  const int victims =
      deadlock_victims(mariadb_uri(), table, [](Connection& victim, const Error& error) {
        expect_error("maodbc deadlock", {ErrorKind::deadlock, "40001", 1213, "Deadlock found"},
                     [&] { throw error; });
        EXPECT_TRUE(error.transaction_aborted());
        // InnoDB rolled the transaction back: nothing runs until its owner ends it.
        EXPECT_EQ(victim.transaction_state(), TransactionState::aborted);
        EXPECT_THROW((void)victim.execute("SELECT 1"), TransactionAborted);
        EXPECT_NO_THROW(victim.rollback());  // quiet, as after SQLite's own rollbacks
        EXPECT_FALSE(victim.in_transaction());
      });
  EXPECT_EQ(victims, 1);
}

TEST(MariadbErrors, LockWaitTimeoutIsBusyAndKeepsTheTransaction) {
  Table table(mariadb_uri(), "lockwait", "id BIGINT PRIMARY KEY, v BIGINT");
  const ConnectionPtr a = connect(mariadb_uri());
  const ConnectionPtr b = connect(mariadb_uri());
  a->execute(fmt::format("INSERT INTO {} VALUES (1, 0), (2, 0)", table.quoted()));
  b->execute_script("SET SESSION innodb_lock_wait_timeout = 1");
  a->begin();
  a->execute(fmt::format("UPDATE {} SET v = 1 WHERE id = 1", table.quoted()));
  b->begin();
  b->execute(fmt::format("UPDATE {} SET v = 1 WHERE id = 2", table.quoted()));
  const auto error = expect_error(
      "maodbc lock wait timeout", {ErrorKind::busy, "HY000", 1205, "Lock wait timeout"},
      [&] { b->execute(fmt::format("UPDATE {} SET v = 2 WHERE id = 1", table.quoted())); });
  ASSERT_TRUE(error);
  EXPECT_FALSE(error->transaction_aborted());  // innodb_rollback_on_timeout is off
  EXPECT_TRUE(b->in_transaction());
  a->rollback();
  b->commit();  // the statement before the timeout is kept
  EXPECT_EQ(connect(mariadb_uri())
                ->execute(fmt::format("SELECT v FROM {} WHERE id = 2", table.quoted()))
                .rows.at(0)[0]
                .as_int(),
            1);
}

TEST(MariadbErrors, DataTooLongIsADataErrorByItsSqlstate) {
  Table table(mariadb_uri(), "toolong", "id BIGINT PRIMARY KEY, s VARCHAR(3)");
  const ConnectionPtr connection = connect(mariadb_uri());
  expect_error("maodbc data too long", {ErrorKind::data_error, "22001", 1406, "Data too long"},
               [&] {
                 connection->execute(fmt::format("INSERT INTO {} VALUES (1, ?)", table.quoted()),
                                     {Value("abcd")});
               });
}

TEST(MariadbErrors, SyntaxAndUndefinedObjects) {
  Table table(mariadb_uri(), "undef", "id BIGINT PRIMARY KEY");
  const ConnectionPtr connection = connect(mariadb_uri());
  expect_error("maodbc syntax", {ErrorKind::syntax_error, "42000", 1064, "SQL syntax"},
               [&] { (void)connection->execute("SELEKT 1"); });
  expect_error("maodbc undefined table",
               {ErrorKind::undefined_object, "42S02", 1146, "doesn't exist"},
               [&] { (void)connection->execute("SELECT * FROM anydb_no_such_table"); });
  expect_error(
      "maodbc undefined column", {ErrorKind::undefined_object, "42S22", 1054, "Unknown column"},
      [&] { (void)connection->execute(fmt::format("SELECT nope FROM {}", table.quoted())); });
}

ConnectionPtr mariadb_admin() {
  return connect(fmt::format("odbc:DRIVER={};SERVER=localhost;SOCKET={};UID=root",
                             driver_of(mariadb_uri()), uri_from("ANYDB_TEST_MARIADB_SOCKET")));
}

TEST(MariadbErrors, KilledIdleConnectionHasGoneAway) {
  const ConnectionPtr victim = connect(mariadb_uri());
  victim->begin();
  const std::int64_t id = victim->execute("SELECT CONNECTION_ID()").rows.at(0)[0].as_int();
  mariadb_admin()->execute_script(fmt::format("KILL CONNECTION {}", id));
  std::this_thread::sleep_for(100ms);
  const auto error =
      expect_error("maodbc gone away", {ErrorKind::connection_lost, "", 2006, "gone away"},
                   [&] { (void)victim->execute("SELECT 1"); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->transaction_aborted());
  EXPECT_EQ(victim->transaction_state(), TransactionState::aborted);
  EXPECT_NO_THROW(victim->rollback());
  EXPECT_FALSE(victim->in_transaction());
}

TEST(MariadbErrors, ConnectionKilledDuringAQueryIsLost) {
  const ConnectionPtr victim = connect(mariadb_uri());
  const std::int64_t id = victim->execute("SELECT CONNECTION_ID()").rows.at(0)[0].as_int();
  std::thread killer([&] {
    std::this_thread::sleep_for(300ms);
    mariadb_admin()->execute_script(fmt::format("KILL CONNECTION {}", id));
  });
  expect_error("maodbc lost during query",
               {ErrorKind::connection_lost, "", 2013, "Lost connection"},
               [&] { (void)victim->execute("SELECT SLEEP(5)"); });
  killer.join();
}

// ---------------------------------------------------------------------------------------------
// The generic rows, which serve every product after its own rows (and unknown products alone):
// raised with SIGNAL on MariaDB, whose native code for a SIGNAL (1644) has no row of its own.

TEST(GenericErrors, SqlstatesWithoutAProductRow) {
  const ConnectionPtr connection = connect(mariadb_uri());
  const auto signal = [&](std::string_view state) {
    return [&connection, state] {
      connection->execute_script(
          fmt::format("SIGNAL SQLSTATE '{}' SET MESSAGE_TEXT = 'signalled {}'", state, state));
    };
  };
  expect_error("generic 08S01", {ErrorKind::connection_lost, "08S01", 1644, "signalled"},
               signal("08S01"));
  expect_error("generic 40001", {ErrorKind::serialization_failure, "40001", 1644, "signalled"},
               signal("40001"));
  expect_error("generic 23000", {ErrorKind::integrity_violation, "23000", 1644, "signalled"},
               signal("23000"));
  expect_error("generic 42S02", {ErrorKind::undefined_object, "42S02", 1644, "signalled"},
               signal("42S02"));
  expect_error("generic 42S22", {ErrorKind::undefined_object, "42S22", 1644, "signalled"},
               signal("42S22"));
  expect_error("generic 42000", {ErrorKind::syntax_error, "42000", 1644, "signalled"},
               signal("42000"));
  expect_error("generic HYT00", {ErrorKind::busy, "HYT00", 1644, "signalled"}, signal("HYT00"));
  expect_error("generic 22003", {ErrorKind::data_error, "22003", 1644, "signalled"},
               signal("22003"));
  expect_error("generic HY000", {ErrorKind::database_error, "HY000", 1644, "signalled"},
               signal("HY000"));
}

}  // namespace
}  // namespace anydb::odbc_test
