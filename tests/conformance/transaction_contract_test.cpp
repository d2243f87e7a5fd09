// The transaction contract the core owns (docs/architecture.md, "The transaction contract"),
// proven on a real database: what happens when the database ends a transaction by itself, what
// transaction_aborted() means, and cached statements across a schema change.

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <optional>
#include <thread>
#include <tuple>

namespace anydb::conformance {
namespace {

using namespace std::chrono_literals;

[[nodiscard]] bool is_sqlite() { return context().product() == "sqlite"; }
[[nodiscard]] bool is_postgresql() { return context().product() == "postgresql"; }

class TransactionContract : public ::testing::Test {
 protected:
  ScratchTable locks{"locks", "id {id}, k BIGINT NOT NULL UNIQUE, v BIGINT"};
  ScratchTable work{"work", "id {id}, k BIGINT NOT NULL UNIQUE, v BIGINT NOT NULL"};

  void SetUp() override {
    const auto setup = context().connect();
    for (int k : {1, 2})
      setup->execute(fmt::format("INSERT INTO {} (k, v) VALUES ({}, 0)", locks.quoted(), param(1)),
                     {Value(k)});
  }
  void lock_row(Connection& connection, std::int64_t k) {
    connection.execute(
        fmt::format("UPDATE {} SET v = v + 1 WHERE k = {}", locks.quoted(), param(1)), {Value(k)});
  }
  void insert_work(Connection& connection, std::int64_t k) {
    connection.execute(
        fmt::format("INSERT INTO {} (k, v) VALUES ({}, {})", work.quoted(), param(1), param(2)),
        {Value(k), Value(k)});
  }
  GetOrCreateResult get_work(Connection& connection, std::int64_t k) {
    return get_or_create(connection, work.name(), {{"k", Value(k)}}, {{"v", Value(k)}});
  }
};

// What one side of a deadlock saw.
struct Side {
  ConnectionPtr connection = context().connect();
  std::optional<Error> error;
};

// A deadlock between two sides that each hold one lock and want the other's.
struct Deadlock {
  Side* victim = nullptr;
  Side* survivor = nullptr;
  // The survivor may go on waiting for locks the victim still holds (PostgreSQL keeps the
  // transaction's locks when only get-or-create's savepoint was rolled back): wait for this
  // after the test has ended the victim's transaction, before using the survivor.
  std::future<void> survivor_done;
};

[[nodiscard]] std::future<void> wait_for_lock(Side& side, std::function<void(Side&)> wants) {
  return std::async(std::launch::async, [&side, wants = std::move(wants)] {
    try {
      wants(side);
    } catch (const Error& error) {
      side.error = error;
    }
  });
}

// a starts waiting first, so that PostgreSQL (which checks after deadlock_timeout, in the
// process that has waited longest) picks it; InnoDB picks a victim by its own rules.
[[nodiscard]] Deadlock make_deadlock(Side& a, Side& b, std::function<void(Side&)> a_wants,
                                     std::function<void(Side&)> b_wants) {
  std::future<void> a_done = wait_for_lock(a, std::move(a_wants));
  std::this_thread::sleep_for(300ms);
  std::future<void> b_done = wait_for_lock(b, std::move(b_wants));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (auto [side, other, done, other_done] :
         {std::tuple{&a, &b, &a_done, &b_done}, std::tuple{&b, &a, &b_done, &a_done}}) {
      if (done->wait_for(5ms) != std::future_status::ready) continue;
      done->get();
      if (!side->error) {
        // The survivor finished first: the victim's error is on its way.
        if (other_done->wait_for(60s) != std::future_status::ready) break;
        other_done->get();
        return Deadlock{other, side, std::async(std::launch::deferred, [] {})};
      }
      return Deadlock{side, other, std::move(*other_done)};
    }
  }
  ADD_FAILURE() << "no deadlock victim within 60 s";
  std::abort();  // the waiting threads hold references to this frame
}

TEST_F(TransactionContract, DeadlockVictimIsAbortedUntilItRollsBack) {
  if (is_sqlite())
    GTEST_SKIP() << "SQLite has one writer at a time (BEGIN IMMEDIATE queues): no deadlock; its "
                    "automatic rollback is tested by SqliteAutomaticRollbackIsAborted";
  Side a, b;
  a.connection->begin();
  lock_row(*a.connection, 1);
  b.connection->begin();
  lock_row(*b.connection, 2);
  Deadlock deadlock = make_deadlock(
      a, b, [&](Side& side) { lock_row(*side.connection, 2); },
      [&](Side& side) { lock_row(*side.connection, 1); });
  Side& victim = *deadlock.victim;
  Side& survivor = *deadlock.survivor;
  deadlock.survivor_done.get();  // the victim's locks are gone with its transaction
  ASSERT_FALSE(survivor.error.has_value()) << survivor.error->what();
  EXPECT_EQ(victim.error->kind(), ErrorKind::deadlock) << victim.error->what();
  EXPECT_TRUE(victim.error->transaction_aborted());
  survivor.connection->commit();

  Connection& connection = *victim.connection;
  // The caller's transaction still has to be ended: nothing may run in autocommit meanwhile.
  EXPECT_TRUE(connection.in_transaction());
  EXPECT_NE(connection.transaction_state(), TransactionState::active);
  EXPECT_THROW(insert_work(connection, 10), TransactionAborted);
  EXPECT_THROW((void)get_work(connection, 11), TransactionAborted);
  EXPECT_THROW(connection.savepoint("after_deadlock"), TransactionAborted);
  try {
    connection.commit();
    ADD_FAILURE() << "commit() after the deadlock succeeded";
  } catch (const TransactionAborted& error) {
    EXPECT_TRUE(error.transaction_aborted());
    EXPECT_NE(std::string(error.what()).find("nothing was committed"), std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(connection.in_transaction());
  EXPECT_EQ(work.count_rows(), 0) << "a row of the victim's transaction became durable";

  // The connection is usable again, in a transaction of its own.
  EXPECT_TRUE(get_work(connection, 12).created);
  EXPECT_EQ(work.count_rows(), 1);
}

TEST_F(TransactionContract, GuardRollsBackAnAbortedTransactionQuietly) {
  if (is_sqlite()) GTEST_SKIP() << "SQLite cannot deadlock (one writer at a time)";
  Side a, b;
  std::optional<Transaction> a_guard(std::in_place, *a.connection);
  std::optional<Transaction> b_guard(std::in_place, *b.connection);
  lock_row(*a.connection, 1);
  lock_row(*b.connection, 2);
  Deadlock deadlock = make_deadlock(
      a, b, [&](Side& side) { lock_row(*side.connection, 2); },
      [&](Side& side) { lock_row(*side.connection, 1); });
  const bool a_lost = deadlock.victim == &a;
  std::optional<Transaction>& victim_guard = a_lost ? a_guard : b_guard;
  std::optional<Transaction>& survivor_guard = a_lost ? b_guard : a_guard;
  Connection& victim = *deadlock.victim->connection;
  deadlock.survivor_done.get();
  survivor_guard->commit();
  {
    // A nested guard cannot start in an aborted transaction.
    EXPECT_THROW(Transaction nested(victim), TransactionAborted);
  }
  victim_guard.reset();  // the destructor rolls back, reporting nothing
  EXPECT_FALSE(victim.in_transaction());
  EXPECT_TRUE(get_work(victim, 20).created);
}

// An error that anydb recovers from inside get-or-create (its savepoint) leaves the caller's
// transaction usable, so the error must not claim otherwise.
TEST_F(TransactionContract, ErrorRecoveredInsideGetOrCreateDoesNotAbortTheCaller) {
  const auto connection = context().connect();
  connection->begin();
  insert_work(*connection, 1);
  try {
    // v is NOT NULL and gets no default: the insert fails inside get-or-create's savepoint.
    (void)get_or_create(*connection, work.name(), {{"k", Value(2)}});
    ADD_FAILURE() << "get-or-create without a NOT NULL column succeeded";
  } catch (const Error& error) {
    EXPECT_TRUE(error.kind() == ErrorKind::not_null_violation ||
                error.kind() == ErrorKind::integrity_violation)
        << error.what();
    EXPECT_FALSE(error.transaction_aborted()) << error.what();
  }
  EXPECT_EQ(connection->transaction_state(), TransactionState::active);
  insert_work(*connection, 3);
  connection->commit();
  EXPECT_EQ(work.count_rows(), 2);
}

// The same error raised by the caller's own statement, outside any savepoint: on PostgreSQL the
// transaction can no longer commit; elsewhere only the statement was undone.
TEST_F(TransactionContract, ErrorInTheCallersOwnStatementReportsWhatTheDatabaseDid) {
  const auto connection = context().connect();
  connection->begin();
  insert_work(*connection, 1);
  try {
    connection->execute(fmt::format("INSERT INTO {} (k) VALUES ({})", work.quoted(), param(1)),
                        {Value(2)});
    ADD_FAILURE() << "an insert without a NOT NULL column succeeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.transaction_aborted(), is_postgresql()) << error.what();
    EXPECT_EQ(connection->transaction_state(),
              is_postgresql() ? TransactionState::failed : TransactionState::active);
  }
  if (is_postgresql()) {
    EXPECT_THROW(insert_work(*connection, 3), TransactionAborted);
    EXPECT_THROW(connection->commit(), TransactionAborted);
    EXPECT_EQ(work.count_rows(), 0);
  } else {
    insert_work(*connection, 3);
    connection->commit();
    EXPECT_EQ(work.count_rows(), 2);
  }
}

// A deadlock inside get-or-create's own savepoint: on PostgreSQL anydb rolls back to its
// savepoint and the caller's transaction goes on (transaction_aborted() false); on MariaDB
// InnoDB has rolled back the whole transaction (true). Either way the flag tells the truth.
TEST_F(TransactionContract, DeadlockInsideGetOrCreateReportsWhetherTheCallerCanCommit) {
  if (is_sqlite()) GTEST_SKIP() << "SQLite cannot deadlock (one writer at a time)";
  Side a, b;
  a.connection->begin();
  lock_row(*a.connection, 1);
  b.connection->begin();
  ASSERT_TRUE(get_work(*b.connection, 7).created);  // b holds key 7 uncommitted
  Deadlock deadlock = make_deadlock(
      a, b, [&](Side& side) { (void)get_work(*side.connection, 7); },  // waits for b
      [&](Side& side) { lock_row(*side.connection, 1); });             // waits for a
  if (deadlock.victim == &a) {
    // The victim was inside get-or-create.
    EXPECT_EQ(a.error->kind(), ErrorKind::deadlock) << a.error->what();
    const bool whole_transaction_gone = !is_postgresql();
    EXPECT_EQ(a.error->transaction_aborted(), whole_transaction_gone) << a.error->what();
    if (whole_transaction_gone) {
      EXPECT_THROW(a.connection->commit(), TransactionAborted);
    } else {
      EXPECT_EQ(a.connection->transaction_state(), TransactionState::active);
      insert_work(*a.connection, 8);
      a.connection->commit();  // the work before and after the handled error is durable
    }
    // b's UPDATE was waiting for a: it finishes now (or fails to serialise at RR/SER).
    deadlock.survivor_done.get();
    try {
      b.connection->commit();
    } catch (const Error& error) {
      EXPECT_TRUE(error.is_transient() || error.kind() == ErrorKind::transaction_aborted)
          << error.what();
    }
  } else {
    EXPECT_EQ(b.error->kind(), ErrorKind::deadlock) << b.error->what();
    EXPECT_TRUE(b.error->transaction_aborted());
    EXPECT_THROW(b.connection->commit(), TransactionAborted);
    deadlock.survivor_done.get();
    if (a.error) {
      ADD_FAILURE() << "both sides failed: " << a.error->what();
    } else {
      a.connection->commit();
    }
  }
  const auto check = context().connect();
  const Result sevens =
      check->execute(fmt::format("SELECT COUNT(*) FROM {} WHERE k = 7", work.quoted()));
  EXPECT_LE(sevens.rows.at(0)[0].as_int(), 1);
}

// SQLite rolls a transaction back by itself after some errors (SQLITE_FULL here): the
// connection must not go on in autocommit.
TEST_F(TransactionContract, SqliteAutomaticRollbackIsAborted) {
  if (!is_sqlite()) GTEST_SKIP() << "SQLite's automatic rollback after SQLITE_FULL";
  const auto connection = context().connect();
  ScratchTable big{"big", "id {id}, payload {text}"};
  const std::int64_t pages = connection->execute("PRAGMA page_count").rows.at(0)[0].as_int();
  connection->execute_script(fmt::format("PRAGMA max_page_count = {}", pages + 2));
  connection->begin();
  insert_work(*connection, 1);
  bool full = false;
  try {
    for (int i = 0; i < 64; ++i)
      connection->execute(
          fmt::format("INSERT INTO {} (payload) VALUES ({})", big.quoted(), param(1)),
          {Value(std::string(64 * 1024, 'x'))});
  } catch (const Error& error) {
    full = true;
    EXPECT_TRUE(error.transaction_aborted()) << error.what();
  }
  ASSERT_TRUE(full) << "the database never filled up";
  EXPECT_EQ(connection->transaction_state(), TransactionState::aborted);
  EXPECT_THROW(insert_work(*connection, 2), TransactionAborted);
  EXPECT_THROW((void)get_work(*connection, 3), TransactionAborted);
  EXPECT_THROW(connection->commit(), TransactionAborted);
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(work.count_rows(), 0);
}

// Another session changes the table under a cached `SELECT *`: outside a transaction the
// statement is prepared again at once; inside one the transient SchemaChanged makes
// run_transaction retry with a fresh statement.
TEST_F(TransactionContract, CachedStatementsSurviveASchemaChange) {
  const auto connection = context().connect();
  const std::string select_all = fmt::format("SELECT * FROM {} ORDER BY k", locks.quoted());
  EXPECT_EQ(connection->execute(select_all).columns->size(), 3U);

  const auto migrator = context().connect();
  migrator->execute_script(
      fmt::format("ALTER TABLE {} ADD COLUMN w INTEGER DEFAULT 7", locks.quoted()));
  const Result after = connection->execute(select_all);
  ASSERT_EQ(after.columns->size(), 4U);
  EXPECT_EQ(after.rows.at(0)[3].as_int(), 7);

  migrator->execute_script(
      fmt::format("ALTER TABLE {} ADD COLUMN x INTEGER DEFAULT 8", locks.quoted()));
  TransactionRunStats stats;
  const std::size_t columns = run_transaction(
      *connection, [&](Connection& c) { return c.execute(select_all).columns->size(); }, {},
      AccessMode::read_write, &stats);
  EXPECT_EQ(columns, 5U);
  EXPECT_LE(stats.attempts, 2);
  EXPECT_FALSE(connection->in_transaction());
}

}  // namespace
}  // namespace anydb::conformance
