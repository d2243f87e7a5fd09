// What the ODBC backend does about each driver's quirks, on the real drivers: isolation levels
// (set, verified, refused), MariaDB's REPEATABLE READ default under get-or-create, psqlODBC's
// transaction semantics, connection strings and DSNs, and pinned driver limitations.

#include "support.hpp"

#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace anydb::odbc_test {
namespace {

using namespace std::chrono_literals;

GetOrCreate key_operation(const Connection& connection, const Table& table) {
  return GetOrCreate(connection.dialect(),
                     GetOrCreateSpec{table.name(), {"k"}, {"name"}, Strategy::safe, {}});
}

// ---------------------------------------------------------------------------------------------
// MariaDB at its default REPEATABLE READ: Django's classic get_or_create failure.

TEST(MariadbRepeatableRead, DefaultIsRepeatableRead) {
  EXPECT_EQ(connect(mariadb_uri())->execute("SELECT @@tx_isolation").rows.at(0)[0].as_text(),
            "REPEATABLE-READ");
}

TEST(MariadbRepeatableRead, CallersTransactionGetsSerializationFailureNeverNotFound) {
  Table table(mariadb_uri(), "rr", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(40)");
  const ConnectionPtr a = connect(mariadb_uri());
  const ConnectionPtr b = connect(mariadb_uri());
  const GetOrCreate operation = key_operation(*a, table);
  a->begin();
  (void)a->execute(fmt::format("SELECT COUNT(*) FROM {}", table.quoted()));  // the snapshot
  b->execute(fmt::format("INSERT INTO {} (k, name) VALUES (?, ?)", table.quoted()),
             {Value(7), Value("b")});
  try {
    (void)operation(*a, std::vector<Value>{Value(7)}, std::vector<Value>{Value("a")});
    FAIL() << "get-or-create returned although the row is invisible to the snapshot";
  } catch (const UniqueViolation& error) {
    FAIL() << "a lost race surfaced as a unique violation: " << error.what();
  } catch (const SerializationFailure& error) {
    std::printf("[ driver   ] mariadb RR caller's transaction: %s\n", error.what());
    EXPECT_TRUE(error.is_transient());
  }
  // The caller's transaction is still usable (the insert ran in a savepoint) and can be undone.
  EXPECT_TRUE(a->in_transaction());
  EXPECT_EQ(
      a->execute(fmt::format("SELECT COUNT(*) FROM {}", table.quoted())).rows.at(0)[0].as_int(), 0);
  a->rollback();
  EXPECT_EQ(table.count(), 1);
}

TEST(MariadbRepeatableRead, RunTransactionRetriesTheWholeUnit) {
  Table table(mariadb_uri(), "rr_run", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(40)");
  const ConnectionPtr a = connect(mariadb_uri());
  const ConnectionPtr b = connect(mariadb_uri());
  const GetOrCreate operation = key_operation(*a, table);
  TransactionRunStats stats;
  const GetOrCreateResult result = run_transaction(
      *a,
      [&](Connection& c) {
        (void)c.execute(fmt::format("SELECT COUNT(*) FROM {}", table.quoted()));  // the snapshot
        if (stats.attempts == 1)  // the other client wins the race during the first attempt only
          b->execute(fmt::format("INSERT INTO {} (k, name) VALUES (?, ?)", table.quoted()),
                     {Value(7), Value("b")});
        return operation(c, std::vector<Value>{Value(7)}, std::vector<Value>{Value("a")});
      },
      RetryPolicy{5, 100us, 1ms}, AccessMode::read_write, &stats);
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.row.at("name").as_text(), "b");
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_EQ(stats.transient_retries, 1);
  EXPECT_EQ(table.count(), 1);
}

TEST(MariadbRepeatableRead, ThreadedRaceInsideRunTransactionCreatesEachKeyOnce) {
  constexpr int threads = 8;
  constexpr int keys = 60;
  Table table(mariadb_uri(), "rr_race", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(40)");
  std::vector<ConnectionPtr> connections;
  for (int t = 0; t < threads; ++t) connections.push_back(connect(mariadb_uri()));
  const GetOrCreate operation = key_operation(*connections[0], table);
  std::vector<std::atomic<int>> creations(keys);
  std::atomic<int> errors{0}, retries{0}, conflicts{0};
  std::mutex first_error_mutex;
  std::string first_error;
  std::barrier sync(threads);
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        Connection& connection = *connections[static_cast<std::size_t>(t)];
        for (int key = 0; key < keys; ++key) {
          sync.arrive_and_wait();
          try {
            TransactionRunStats stats;
            const GetOrCreateResult result = run_transaction(
                connection,
                [&](Connection& c) {
                  // Other work first: the snapshot is taken before the race is decided.
                  (void)c.execute(fmt::format("SELECT COUNT(*) FROM {}", table.quoted()));
                  return operation(c, std::vector<Value>{Value(key)},
                                   std::vector<Value>{Value(fmt::format("t{}", t))});
                },
                RetryPolicy{}, AccessMode::read_write, &stats);
            if (result.created) ++creations[static_cast<std::size_t>(key)];
            retries += stats.transient_retries;
            conflicts += result.conflicts;
          } catch (const std::exception& error) {
            ++errors;
            const std::lock_guard lock(first_error_mutex);
            if (first_error.empty()) first_error = error.what();
          }
        }
      });
    }
  }
  EXPECT_EQ(errors.load(), 0) << first_error;
  for (int key = 0; key < keys; ++key)
    EXPECT_EQ(creations[static_cast<std::size_t>(key)].load(), 1) << key;
  EXPECT_EQ(table.count(), keys);
  EXPECT_GT(retries.load(), 0) << "no thread ever lost the race at REPEATABLE READ";
  std::printf(
      "[ race     ] mariadb REPEATABLE READ, run_transaction: %d threads x %d keys, %d conflicts, "
      "%d transient retries\n",
      threads, keys, conflicts.load(), retries.load());
}

// ---------------------------------------------------------------------------------------------
// psqlODBC with Protocol=7.4-0: PostgreSQL's own transaction semantics.

TEST(Psqlodbc, HandledUniqueViolationKeepsTheCallersTransaction) {
  Table table(pg_uri(), "pg_keep", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(40)");
  Table other(pg_uri(), "pg_other", "id {id}, note VARCHAR(40)");
  const ConnectionPtr a = connect(pg_uri());
  const ConnectionPtr b = connect(pg_uri());
  const GetOrCreate operation = key_operation(*a, table);
  b->begin();
  b->execute(fmt::format("INSERT INTO {} (k, name) VALUES (?, ?)", table.quoted()),
             {Value(7), Value("b")});
  GetOrCreateResult result;
  std::thread caller([&] {
    a->begin();
    a->execute(fmt::format("INSERT INTO {} (note) VALUES (?)", other.quoted()),
               {Value("other work")});
    // Misses b's uncommitted row, inserts, waits for b, then fails with 23505 when b commits.
    result = operation(*a, std::vector<Value>{Value(7)}, std::vector<Value>{Value("a")});
    a->commit();
  });
  std::this_thread::sleep_for(300ms);
  b->commit();
  caller.join();
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.conflicts, 1) << "the insert did not collide: the test proves nothing";
  EXPECT_EQ(result.row.at("name").as_text(), "b");
  EXPECT_EQ(other.count(), 1) << "the caller's other work was lost";
  EXPECT_EQ(table.count(), 1);
}

TEST(Psqlodbc, CommitAfterAnUnhandledErrorRefusesInsteadOfSilentlyRollingBack) {
  Table table(pg_uri(), "pg_abort", "id {id}, v BIGINT");
  const ConnectionPtr connection = connect(pg_uri());
  connection->begin();
  connection->execute(fmt::format("INSERT INTO {} (v) VALUES (1)", table.quoted()));
  EXPECT_THROW((void)connection->execute("SELECT * FROM anydb_no_such_table"), UndefinedObject);
  try {
    connection->commit();
    FAIL() << "commit() reported success for a transaction PostgreSQL rolled back";
  } catch (const Error& error) {
    EXPECT_TRUE(error.transaction_aborted()) << error.what();
    EXPECT_NE(std::string_view(error.what()).find("nothing was committed"), std::string_view::npos);
  }
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count(), 0);
}

TEST(Psqlodbc, RollbackToSavepointRecoversTheTransaction) {
  Table table(pg_uri(), "pg_sp", "id {id}, v BIGINT");
  const ConnectionPtr connection = connect(pg_uri());
  connection->begin();
  connection->execute(fmt::format("INSERT INTO {} (v) VALUES (1)", table.quoted()));
  connection->savepoint("sp");
  EXPECT_THROW((void)connection->execute("SELECT * FROM anydb_no_such_table"), UndefinedObject);
  connection->rollback_to("sp");
  connection->execute(fmt::format("INSERT INTO {} (v) VALUES (2)", table.quoted()));
  connection->commit();
  EXPECT_EQ(table.count(), 2);
}

TEST(Psqlodbc, DsnWithoutProtocolGetsTheSameSemantics) {
  // The DSN names no Protocol; anydb learns the product after connecting and connects again
  // with Protocol=7.4-0, so that an error fails the transaction as with libpq (and the core
  // refuses the next statement).
  const ConnectionPtr connection = connect("odbc:DSN=" + uri_from("ANYDB_TEST_ODBC_PG_DSN"));
  EXPECT_EQ(connection->dialect().identity_column,
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  connection->begin();
  EXPECT_THROW((void)connection->execute("SELECT * FROM anydb_no_such_table"), UndefinedObject);
  EXPECT_THROW((void)connection->execute("SELECT 1"), TransactionAborted);
  connection->rollback();
}

TEST(Psqlodbc, AnExplicitProtocolIsTheUsersChoice) {
  // 7.4-2: psqlODBC wraps each statement in a hidden savepoint; a failed statement is undone
  // alone and the transaction goes on.
  Table table(pg_uri(), "pg_proto", "id {id}, v BIGINT");
  const ConnectionPtr connection = connect(pg_uri() + ";Protocol=7.4-2");
  connection->begin();
  connection->execute(fmt::format("INSERT INTO {} (v) VALUES (1)", table.quoted()));
  try {
    (void)connection->execute("SELECT * FROM anydb_no_such_table");
    FAIL();
  } catch (const UndefinedObject& error) {
    EXPECT_FALSE(error.transaction_aborted());
  }
  EXPECT_EQ(connection->execute("SELECT 1").rows.at(0)[0].as_int(), 1);
  connection->commit();
  EXPECT_EQ(table.count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Isolation levels: set after connecting, verified, refused when the database does not run them.

TEST(Isolation, SqliteOnlyProvidesSerializable) {
  EXPECT_NO_THROW((void)connect(sqlite_uri() + ";ANYDB_ISOLATION=serializable"));
  try {
    (void)connect(sqlite_uri() + ";ANYDB_ISOLATION=read_committed");
    FAIL();
  } catch (const ConfigurationError& error) {
    std::printf("[ driver   ] sqlite isolation refused: %s\n", error.what());
    EXPECT_NE(std::string_view(error.what()).find("only provides serializable"),
              std::string_view::npos);
  }
  EXPECT_THROW(connect(sqlite_uri())->set_isolation_level(IsolationLevel::repeatable_read),
               Unsupported);
}

TEST(Isolation, PostgresqlAppliesAndVerifies) {
  const ConnectionPtr connection = connect(pg_uri() + ";ANYDB_ISOLATION=serializable");
  EXPECT_EQ(connection->execute("SHOW transaction_isolation").rows.at(0)[0].as_text(),
            "serializable");
  connection->set_isolation_level(IsolationLevel::repeatable_read);
  EXPECT_EQ(connection->execute("SHOW transaction_isolation").rows.at(0)[0].as_text(),
            "repeatable read");
  connection->begin();
  EXPECT_THROW(connection->set_isolation_level(IsolationLevel::read_committed), UsageError);
  connection->rollback();
}

TEST(Isolation, PostgresqlRefusesReadUncommittedWhichItRunsAsReadCommitted) {
  try {
    (void)connect(pg_uri() + ";ANYDB_ISOLATION=read_uncommitted");
    FAIL();
  } catch (const ConfigurationError& error) {
    std::printf("[ driver   ] postgresql isolation refused: %s\n", error.what());
    EXPECT_EQ(std::string_view(error.what()).find("PWD=anydb"), std::string_view::npos);
  }
}

TEST(Isolation, MariadbAppliesEveryLevelAndVerifies) {
  for (const auto& [level, shown] : {std::pair{"read_uncommitted", "READ-UNCOMMITTED"},
                                     std::pair{"read_committed", "READ-COMMITTED"},
                                     std::pair{"repeatable_read", "REPEATABLE-READ"},
                                     std::pair{"serializable", "SERIALIZABLE"}}) {
    const ConnectionPtr connection = connect(mariadb_uri() + ";ANYDB_ISOLATION=" + level);
    EXPECT_EQ(connection->execute("SELECT @@tx_isolation").rows.at(0)[0].as_text(), shown);
  }
}

TEST(Isolation, MariadbReadCommittedSeesTheWinnerInsideTheCallersTransaction) {
  // At READ COMMITTED the follow-up SELECT sees the row that beat us: no retry needed.
  Table table(mariadb_uri(), "rc", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(40)");
  const ConnectionPtr a = connect(mariadb_uri() + ";ANYDB_ISOLATION=read_committed");
  const ConnectionPtr b = connect(mariadb_uri());
  const GetOrCreate operation = key_operation(*a, table);
  a->begin();
  (void)a->execute(fmt::format("SELECT COUNT(*) FROM {}", table.quoted()));
  b->execute(fmt::format("INSERT INTO {} (k, name) VALUES (?, ?)", table.quoted()),
             {Value(7), Value("b")});
  const GetOrCreateResult result =
      operation(*a, std::vector<Value>{Value(7)}, std::vector<Value>{Value("a")});
  EXPECT_FALSE(result.created);
  a->commit();
}

// ---------------------------------------------------------------------------------------------
// Connection strings, DSNs, failures.

// No call waits forever: Connector/ODBC's READ_TIMEOUT (anydb adds 300 s when the URI gives
// none) ends a wait for a reply with a lost connection, which callers retry on a new one.
TEST(MariadbTimeout, ReadTimeoutEndsAWaitWithALostConnection) {
  const ConnectionPtr connection = connect(mariadb_uri() + ";READ_TIMEOUT=1");
  try {
    (void)connection->execute("SELECT SLEEP(4)");
    ADD_FAILURE() << "SELECT SLEEP(4) returned although READ_TIMEOUT=1";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::connection_lost) << error.what();
  }
}

TEST(MariadbTimeout, TheDefaultLetsAStatementRunLongerThanASecond) {
  const ConnectionPtr connection = connect(mariadb_uri());
  EXPECT_EQ(connection->execute("SELECT SLEEP(2)").rows.at(0)[0].as_int(), 0);
}

TEST(Connect, BadPasswordIsOneRedactedLine) {
  for (const std::string& uri : {pg_uri(), mariadb_uri()}) {
    std::string bad = uri;
    bad.replace(bad.find("PWD=anydb"), 9, "PWD=wrong-secret");
    try {
      (void)connect(bad);
      FAIL() << "connected with a wrong password";
    } catch (const ConnectionFailed& error) {
      std::printf("[ driver   ] bad password: sqlstate=%s native=%lld: %s\n",
                  error.sqlstate().c_str(), static_cast<long long>(error.native_code().value_or(0)),
                  error.what());
      const std::string_view what = error.what();
      EXPECT_EQ(what.find("wrong-secret"), std::string_view::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string_view::npos) << what;
      EXPECT_NE(what.find("PWD=***"), std::string_view::npos) << what;
    }
  }
}

TEST(Connect, MissingDriverLibrary) {
  try {
    (void)connect("odbc:DRIVER=/nonexistent/libnothing.so;Database=x;PWD=secret");
    FAIL();
  } catch (const ConnectionFailed& error) {
    std::printf("[ driver   ] missing driver: sqlstate=%s: %s\n", error.sqlstate().c_str(),
                error.what());
    EXPECT_NE(std::string_view(error.what()).find("libnothing.so"), std::string_view::npos);
    EXPECT_EQ(std::string_view(error.what()).find("secret"), std::string_view::npos);
  }
}

TEST(Connect, UnknownDataSource) {
  EXPECT_THROW((void)connect("odbc:anydb_no_such_dsn"), ConnectionFailed);
}

TEST(Connect, BareDsnNameAndDsnAttribute) {
  const ConnectionPtr mariadb = connect("odbc:" + uri_from("ANYDB_TEST_ODBC_MARIADB_DSN"));
  EXPECT_EQ(mariadb->dialect().identifier_quote, '`');
  const ConnectionPtr sqlite = connect("odbc:DSN=" + uri_from("ANYDB_TEST_ODBC_SQLITE_DSN"));
  EXPECT_EQ(sqlite->dialect().identity_column, "INTEGER PRIMARY KEY");
  // The reconnect added sqliteodbc's settings: foreign keys on, WAL.
  EXPECT_EQ(sqlite->execute("PRAGMA foreign_keys").rows.at(0)[0].as_int(), 1);
}

TEST(Connect, AnydbOptionsAreCheckedAndRemoved) {
  EXPECT_THROW((void)connect(sqlite_uri() + ";ANYDB_NO_SUCH=1"), ConfigurationError);
  EXPECT_THROW((void)connect(sqlite_uri() + ";ANYDB_STATEMENT_CACHE=lots"), ConfigurationError);
  EXPECT_THROW((void)connect(sqlite_uri() + ";ANYDB_ISOLATION=sometimes"), ConfigurationError);
  EXPECT_THROW((void)connect("odbc://host/db"), ConfigurationError);
  EXPECT_THROW((void)connect("odbc:DRIVER={unterminated;x=1"), ConfigurationError);
  const ConnectionPtr uncached = connect(sqlite_uri() + ";anydb_statement_cache=0");
  for (int i = 0; i < 3; ++i) (void)uncached->execute("SELECT 1");
  EXPECT_LE(uncached->statement_cache_size(), 1u);
}

TEST(Connect, SqliteDefaults) {
  const ConnectionPtr connection = connect(sqlite_uri());
  EXPECT_EQ(connection->execute("PRAGMA journal_mode").rows.at(0)[0].as_text(), "wal");
  EXPECT_EQ(connection->execute("PRAGMA foreign_keys").rows.at(0)[0].as_int(), 1);
}

TEST(Connect, SqliteWaitsFiveSecondsForALockByDefault) {
  // sqliteodbc's own default is 100 s (its busy handler; PRAGMA busy_timeout shows 0).
  Table table(sqlite_uri(), "timeout", "id INTEGER PRIMARY KEY, v BIGINT");
  const ConnectionPtr holder = connect(sqlite_uri());
  holder->begin();
  holder->execute(fmt::format("INSERT INTO {} (v) VALUES (1)", table.quoted()));
  const ConnectionPtr waiter = connect(sqlite_uri());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(waiter->execute(fmt::format("INSERT INTO {} (v) VALUES (2)", table.quoted())), Busy);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 4s);
  EXPECT_LE(waited, 20s);
  holder->rollback();
}

// ---------------------------------------------------------------------------------------------
// Driver limitations, pinned so that a driver update that lifts one is noticed.

TEST(DriverLimits, SqliteodbcReturnsNoRowsForInsertReturning) {
  Table table(sqlite_uri(), "returning", "id INTEGER PRIMARY KEY, v BIGINT");
  const ConnectionPtr connection = connect(sqlite_uri());
  EXPECT_FALSE(connection->dialect().supports_returning);
  const Result result =
      connection->execute(fmt::format("INSERT INTO {} (v) VALUES (1) RETURNING *", table.quoted()));
  EXPECT_TRUE(result.rows.empty());
  EXPECT_EQ(result.rows_affected, 1);
}

TEST(DriverLimits, SqliteodbcRoundsRealsToFifteenDigits) {
  Table table(sqlite_uri(), "reals", "id INTEGER PRIMARY KEY, r DOUBLE PRECISION");
  const ConnectionPtr connection = connect(sqlite_uri());
  connection->execute(fmt::format("INSERT INTO {} (r) VALUES (?)", table.quoted()),
                      {Value(3.141592653589793)});
  // Stored exactly (the bound double goes in as is) ...
  EXPECT_EQ(connection
                ->execute(fmt::format("SELECT COUNT(*) FROM {} WHERE r = ?", table.quoted()),
                          {Value(3.141592653589793)})
                .rows.at(0)[0]
                .as_int(),
            1);
  // ... but read back through the driver's text conversion (SQLite's "%!.15g").
  EXPECT_EQ(connection->execute(fmt::format("SELECT r FROM {}", table.quoted()))
                .rows.at(0)[0]
                .as_double(),
            3.14159265358979);
}

TEST(DriverLimits, MariadbDialectHasNoReturningAndUsesBackticks) {
  const ConnectionPtr connection = connect(mariadb_uri());
  EXPECT_FALSE(connection->dialect().supports_returning);
  EXPECT_EQ(connection->dialect().upsert, Dialect::Upsert::none);
  EXPECT_EQ(connection->dialect().quote_identifier("a`b"), "`a``b`");
}

TEST(Values, UnicodeAndBinaryThroughEveryDriver) {
  const std::string text = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80 \xE4\xB8\xAD";
  const Blob blob{std::byte{0}, std::byte{0xFF}, std::byte{0}, std::byte{0x80}};
  for (const std::string& uri : {sqlite_uri(), pg_uri(), mariadb_uri()}) {
    Table table(uri, "unicode", "id {id}, t TEXT, b {blob}, u BIGINT");
    const ConnectionPtr connection = connect(uri);
    connection->execute(fmt::format("INSERT INTO {} (t, b, u) VALUES (?, ?, ?)", table.quoted()),
                        {Value(text), Value(blob), Value(nullptr)});
    const Row row =
        connection->execute(fmt::format("SELECT t, b, u FROM {}", table.quoted())).rows.at(0);
    EXPECT_EQ(row.at("t").as_text(), text) << uri;
    EXPECT_EQ(row.at("b").as_blob(), blob) << uri;
    EXPECT_TRUE(row.at("u").is_null()) << uri;
    // A parameter compared with the stored text: both directions use the same bytes.
    EXPECT_EQ(connection
                  ->execute(fmt::format("SELECT COUNT(*) FROM {} WHERE t = ?", table.quoted()),
                            {Value(text)})
                  .rows.at(0)[0]
                  .as_int(),
              1)
        << uri;
  }
}

}  // namespace
}  // namespace anydb::odbc_test
