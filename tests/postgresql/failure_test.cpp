// Failures that need a real server and a second session: a backend killed in the middle of a
// transaction, and the rows of the SQLSTATE mapping (backends/postgresql/error.cpp) that the
// conformance suite cannot provoke on its own: 40001, 40P01, 55P03, 57014, 25P02, and a COMMIT
// of an aborted transaction.

#include "pg_support.hpp"

#include <fmt/format.h>

#include <exception>
#include <future>
#include <optional>
#include <vector>

namespace anydb::pgtest {
namespace {

// What a statement threw: the anydb::Error (sliced to the base, for its queries) and the
// exception itself, to check its class.
struct Caught {
  std::optional<Error> error;
  std::exception_ptr exception;

  explicit operator bool() const noexcept { return error.has_value(); }
  const Error* operator->() const { return &*error; }
  const Error& operator*() const { return *error; }
  template <class T>
  [[nodiscard]] bool is_a() const {
    try {
      std::rethrow_exception(exception);
    } catch (const T&) {
      return true;
    } catch (...) {
      return false;
    }
  }
};

// Runs `fn` and returns the anydb::Error it throws; fails the test when it throws nothing.
template <class Fn>
Caught error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return Caught{error, std::current_exception()};
  }
  ADD_FAILURE() << "no anydb::Error was thrown";
  return {};
}

// ---------------------------------------------------------------------------------------------
// A backend terminated by an administrator (pg_terminate_backend) mid-transaction.

class KilledBackend : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    table = std::make_unique<Table>("killed");
    admin = connect_admin();
    a = connect();
    a->set_cleanup_error_handler(
        [this](std::string_view message) { cleanup_errors.emplace_back(message); });
    a_pid = backend_pid(*a);
  }

  void insert_rows(Connection& connection, int first) const {
    for (int k = first; k < first + 3; ++k)
      (void)connection.execute(
          fmt::format("INSERT INTO {} (k, name) VALUES ($1, 'doomed')", table->sql()), {Value(k)});
  }

  void kill_a() const {
    EXPECT_EQ(scalar(*admin, "SELECT pg_terminate_backend($1::int)", {Value(a_pid)}), 1);
    ASSERT_TRUE(wait_until_gone(*admin, a_pid)) << "the terminated backend did not go away";
  }

  std::unique_ptr<Table> table;
  ConnectionPtr admin;
  ConnectionPtr a;
  std::int64_t a_pid = 0;
  std::vector<std::string> cleanup_errors;
};

TEST_F(KilledBackend, NextStatementAndCommitThrowConnectionLostAndNothingIsCommitted) {
  a->begin();
  insert_rows(*a, 1);
  kill_a();

  const auto statement = error_of([&] { insert_rows(*a, 10); });
  ASSERT_TRUE(statement);
  EXPECT_EQ(statement->kind(), ErrorKind::connection_lost) << statement->what();
  EXPECT_TRUE(statement->is_connection_error());
  EXPECT_FALSE(statement->is_transient());
  EXPECT_TRUE(statement.is_a<ConnectionLost>());
  std::printf("[ info     ] statement after the kill: %s (sqlstate '%s')\n", statement->what(),
              statement->sqlstate().c_str());

  // The lost connection ended the transaction before COMMIT was ever sent: its outcome is
  // known, nothing was committed.
  EXPECT_EQ(a->transaction_state(), TransactionState::aborted);
  const auto commit = error_of([&] { a->commit(); });
  ASSERT_TRUE(commit);
  EXPECT_EQ(commit->kind(), ErrorKind::transaction_aborted) << commit->what();
  EXPECT_TRUE(commit.is_a<TransactionAborted>());
  EXPECT_TRUE(commit->transaction_aborted());
  EXPECT_FALSE(commit->commit_outcome_unknown());
  EXPECT_FALSE(RetryPolicy{}.should_retry(*commit, 1));
  EXPECT_FALSE(a->in_transaction());
  // Everything later fails the same way, at once.
  EXPECT_THROW((void)a->execute("SELECT 1"), ConnectionLost);
  EXPECT_THROW(a->begin(), ConnectionLost);

  EXPECT_EQ(table->count_rows(), 0) << "rows of the killed transaction became visible";
}

TEST_F(KilledBackend, CommitAsTheFirstStatementAfterTheKillHasAnUnknownOutcome) {
  a->begin();
  insert_rows(*a, 1);
  kill_a();

  const auto commit = error_of([&] { a->commit(); });
  ASSERT_TRUE(commit);
  EXPECT_EQ(commit->kind(), ErrorKind::connection_lost) << commit->what();
  EXPECT_TRUE(commit->is_connection_error());
  // COMMIT was sent and its answer never came: anydb cannot know, and a retry loop must not
  // re-run the transaction blindly.
  EXPECT_TRUE(commit->commit_outcome_unknown());
  EXPECT_FALSE(RetryPolicy{}.should_retry(*commit, 1));
  std::printf("[ info     ] commit after the kill: %s (sqlstate '%s', outcome unknown: %d)\n",
              commit->what(), commit->sqlstate().c_str(), commit->commit_outcome_unknown());
  EXPECT_EQ(table->count_rows(), 0);
}

TEST_F(KilledBackend, TransactionGuardOnTheDeadConnectionNeitherCrashesNorThrows) {
  {
    Transaction guard(*a);
    insert_rows(*a, 1);
    kill_a();
    // The guard's destructor rolls back on a connection that died under it: the failure goes to
    // the cleanup-error handler, never out of the destructor.
  }
  {
    // The same after a statement has already reported the loss.
    ConnectionPtr c = connect();
    std::vector<std::string> c_errors;
    c->set_cleanup_error_handler([&](std::string_view message) { c_errors.emplace_back(message); });
    const std::int64_t c_pid = backend_pid(*c);
    try {
      Transaction guard(*c);
      insert_rows(*c, 20);
      EXPECT_EQ(scalar(*admin, "SELECT pg_terminate_backend($1::int)", {Value(c_pid)}), 1);
      ASSERT_TRUE(wait_until_gone(*admin, c_pid));
      insert_rows(*c, 30);
      ADD_FAILURE() << "a statement on the killed connection succeeded";
    } catch (const ConnectionLost&) {
    }
    EXPECT_TRUE(c_errors.empty()) << c_errors.front();  // nothing to roll back any more
  }
  // The first guard's ROLLBACK found the connection dead: reported, not thrown.
  for (const auto& message : cleanup_errors)
    std::printf("[ info     ] cleanup error: %s\n", message.c_str());
  EXPECT_EQ(cleanup_errors.size(), 1u);
  EXPECT_EQ(table->count_rows(), 0);
}

// ---------------------------------------------------------------------------------------------
// The SQLSTATE mapping, one row at a time.

class ErrorMapping : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    table = std::make_unique<Table>("errors", "id BIGINT PRIMARY KEY, v BIGINT NOT NULL");
    ConnectionPtr setup = connect();
    (void)setup->execute(fmt::format("INSERT INTO {} (id, v) VALUES (1, 0), (2, 0)", table->sql()));
  }

  [[nodiscard]] std::string update(int id) const {
    return fmt::format("UPDATE {} SET v = v + 1 WHERE id = {}", table->sql(), id);
  }

  std::unique_ptr<Table> table;
};

TEST_F(ErrorMapping, ConcurrentUpdateAtRepeatableReadIs40001SerializationFailure) {
  ConnectionPtr a = connect(IsolationLevel::repeatable_read);
  ConnectionPtr b = connect();
  a->begin();
  EXPECT_EQ(scalar(*a, fmt::format("SELECT v FROM {} WHERE id = 1", table->sql())), 0);  // snapshot
  (void)b->execute(update(1));  // autocommit
  const auto error = error_of([&] { (void)a->execute(update(1)); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::serialization_failure) << error->what();
  EXPECT_EQ(error->sqlstate(), "40001");
  EXPECT_TRUE(error->is_transient());
  EXPECT_TRUE(error->transaction_aborted());
  a->rollback();
}

TEST_F(ErrorMapping, WriteSkewAtSerializableIs40001SerializationFailure) {
  ConnectionPtr a = connect(IsolationLevel::serializable);
  ConnectionPtr b = connect(IsolationLevel::serializable);
  const std::string sum = fmt::format("SELECT sum(v)::bigint FROM {}", table->sql());
  a->begin();
  b->begin();
  EXPECT_EQ(scalar(*a, sum), 0);
  EXPECT_EQ(scalar(*b, sum), 0);
  (void)a->execute(update(1));
  // Each read what the other writes: one of them must fail, at its write or at its COMMIT.
  const auto error = error_of([&] {
    (void)b->execute(update(2));
    a->commit();
    b->commit();
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::serialization_failure) << error->what();
  EXPECT_EQ(error->sqlstate(), "40001");
  EXPECT_TRUE(error->is_transient());
  EXPECT_FALSE(error->commit_outcome_unknown());
  std::printf("[ info     ] write skew: %s\n", error->what());
  if (a->in_transaction()) a->rollback();
  if (b->in_transaction()) b->rollback();
  EXPECT_LE(scalar(*connect(), sum), 1);
}

TEST_F(ErrorMapping, LockCycleIs40P01DeadlockDetected) {
  ConnectionPtr admin = connect_admin();
  ConnectionPtr a = connect();
  ConnectionPtr b = connect();
  const std::int64_t a_pid = backend_pid(*a);
  a->begin();
  b->begin();
  (void)a->execute(update(1));
  (void)b->execute(update(2));
  auto a_second = std::async(std::launch::async, [&]() -> Caught {
    try {
      (void)a->execute(update(2));  // waits for B
      return {};
    } catch (const Error& error) {
      return Caught{error, std::current_exception()};
    }
  });
  ASSERT_TRUE(wait_until_lock_wait(*admin, a_pid));
  Caught b_error;
  try {
    (void)b->execute(update(1));  // closes the cycle; the deadlock detector runs after 1 s
  } catch (const Error& error) {
    b_error = Caught{error, std::current_exception()};
  }
  // The victim's locks are released at once (its transaction is aborted), so the other
  // session's statement completes.
  const Caught a_error = a_second.get();

  ASSERT_NE(static_cast<bool>(a_error), static_cast<bool>(b_error))
      << "exactly one session must be the victim";
  const Caught& victim = a_error ? a_error : b_error;
  EXPECT_EQ(victim->kind(), ErrorKind::deadlock) << victim->what();
  EXPECT_EQ(victim->sqlstate(), "40P01");
  EXPECT_TRUE(victim->is_transient());
  EXPECT_TRUE(victim->transaction_aborted());
  EXPECT_TRUE(victim.is_a<DeadlockDetected>());
  std::printf("[ info     ] deadlock victim: %s\n", a_error ? "A (waited first)" : "B");
  if (a->in_transaction()) a->rollback();
  if (b->in_transaction()) b->rollback();
}

TEST_F(ErrorMapping, ForUpdateNowaitOnALockedRowIs55P03Busy) {
  ConnectionPtr a = connect();
  ConnectionPtr b = connect();
  b->begin();
  (void)b->execute(fmt::format("SELECT v FROM {} WHERE id = 1 FOR UPDATE", table->sql()));
  a->begin();
  const auto error = error_of([&] {
    (void)a->execute(fmt::format("SELECT v FROM {} WHERE id = 1 FOR UPDATE NOWAIT", table->sql()));
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::busy) << error->what();
  EXPECT_EQ(error->sqlstate(), "55P03");
  EXPECT_TRUE(error->is_transient());
  a->rollback();
  b->rollback();
}

TEST_F(ErrorMapping, LockTimeoutIs55P03Busy) {
  ConnectionPtr a = connect();
  ConnectionPtr b = connect();
  b->begin();
  (void)b->execute(update(1));
  a->execute_script("SET lock_timeout = '100ms'");
  const auto error = error_of([&] { (void)a->execute(update(1)); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::busy) << error->what();
  EXPECT_EQ(error->sqlstate(), "55P03");
  EXPECT_TRUE(error->is_transient());
  b->rollback();
}

TEST_F(ErrorMapping, StatementTimeoutIs57014Busy) {
  ConnectionPtr a = connect();
  a->execute_script("SET statement_timeout = '100ms'");
  const auto error = error_of([&] { (void)a->execute("SELECT pg_sleep(5)"); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::busy) << error->what();
  EXPECT_EQ(error->sqlstate(), "57014");
  EXPECT_TRUE(error->is_transient());
  EXPECT_FALSE(error->transaction_aborted());  // no transaction was open
  a->execute_script("RESET statement_timeout");
  EXPECT_EQ(scalar(*a, "SELECT 1"), 1);  // the connection is fine
}

TEST_F(ErrorMapping, StatementTimeoutWhileWaitingForALockIs57014Busy) {
  ConnectionPtr a = connect();
  ConnectionPtr b = connect();
  b->begin();
  (void)b->execute(update(2));
  a->execute_script("SET statement_timeout = '100ms'");
  a->begin();
  const auto error = error_of([&] { (void)a->execute(update(2)); });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ErrorKind::busy) << error->what();
  EXPECT_EQ(error->sqlstate(), "57014");
  EXPECT_TRUE(error->transaction_aborted());
  a->rollback();
  b->rollback();
}

// PostgreSQL fails the transaction on any error (it would answer 25P02 to the next statement): the
// core refuses the next statement itself, without sending it.
TEST_F(ErrorMapping, StatementAfterAnErrorInATransactionIsTransactionAborted) {
  ConnectionPtr a = connect();
  a->begin();
  (void)a->execute(update(1));
  const auto first = error_of([&] { (void)a->execute("SELECT 1 / $1::int", {Value(0)}); });
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind(), ErrorKind::data_error) << first->what();
  EXPECT_EQ(first->sqlstate(), "22012");
  EXPECT_TRUE(first->transaction_aborted());

  const auto next = error_of([&] { (void)a->execute("SELECT 1"); });
  ASSERT_TRUE(next);
  EXPECT_EQ(next->kind(), ErrorKind::transaction_aborted) << next->what();
  EXPECT_TRUE(next->transaction_aborted());
  EXPECT_FALSE(next->is_transient());
  EXPECT_TRUE(next.is_a<TransactionAborted>());
  EXPECT_EQ(a->transaction_state(), TransactionState::failed);
  EXPECT_TRUE(a->in_transaction());
  a->rollback();
  EXPECT_EQ(scalar(*a, fmt::format("SELECT v FROM {} WHERE id = 1", table->sql())), 0);
}

TEST_F(ErrorMapping, CommitOfAnAbortedTransactionIsAnErrorNotASilentRollback) {
  ConnectionPtr a = connect();
  a->begin();
  (void)a->execute(update(1));
  EXPECT_THROW((void)a->execute("SELECT 1 / $1::int", {Value(0)}), DataError);
  const auto error = error_of([&] { a->commit(); });
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->transaction_aborted()) << error->what();
  EXPECT_FALSE(error->commit_outcome_unknown());
  EXPECT_FALSE(error->is_transient());
  std::printf("[ info     ] commit of an aborted transaction: %s: %s\n",
              std::string(to_string(error->kind())).c_str(), error->what());
  EXPECT_FALSE(a->in_transaction());  // PostgreSQL ended it
  EXPECT_EQ(scalar(*a, fmt::format("SELECT v FROM {} WHERE id = 1", table->sql())), 0);

  // Through the guard: commit() throws, and the destructor has nothing left to roll back.
  std::vector<std::string> cleanup;
  a->set_cleanup_error_handler([&](std::string_view message) { cleanup.emplace_back(message); });
  {
    Transaction guard(*a);
    (void)a->execute(update(1));
    EXPECT_THROW((void)a->execute("SELECT 1 / $1::int", {Value(0)}), DataError);
    EXPECT_THROW(guard.commit(), Error);
    EXPECT_FALSE(guard.active());
  }
  EXPECT_TRUE(cleanup.empty());
  EXPECT_EQ(scalar(*a, fmt::format("SELECT v FROM {} WHERE id = 1", table->sql())), 0);
}

}  // namespace
}  // namespace anydb::pgtest
