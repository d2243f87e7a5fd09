// run_transaction: the transaction runner re-runs the whole unit of work on transient errors.
// The database is real; the transient error is raised by the unit of work itself, which is
// the one deterministic way to make it happen on every backend.

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace anydb::conformance {
namespace {

class Runner : public ::testing::Test {
 protected:
  ScratchTable table{"runner", "id {id}, k BIGINT NOT NULL UNIQUE"};
  ConnectionPtr connection = context().connect();
  RetryPolicy fast{5, std::chrono::microseconds{100}, std::chrono::microseconds{1000}};

  void insert(Connection& on, std::int64_t key) {
    on.execute(fmt::format("INSERT INTO {} (k) VALUES ({})", table.quoted(), param(1)),
               {Value(key)});
  }
};

TEST_F(Runner, RerunsTheWholeTransactionAfterATransientError) {
  TransactionRunStats stats;
  const int result = run_transaction(
      *connection,
      [&](Connection& c) {
        insert(c, 1);  // must be rolled back with the failed attempt, or attempt 2 collides
        if (stats.attempts < 3) throw_error(ErrorKind::serialization_failure, "injected", "test");
        return 7;
      },
      fast, AccessMode::read_write, &stats);
  EXPECT_EQ(result, 7);
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(stats.transient_retries, 2);
  EXPECT_EQ(table.count_rows(), 1);
}

TEST_F(Runner, GivesUpAfterMaxAttempts) {
  TransactionRunStats stats;
  EXPECT_THROW(run_transaction(
                   *connection,
                   [&](Connection& c) {
                     insert(c, 1);
                     throw_error(ErrorKind::deadlock, "injected", "test");
                   },
                   fast, AccessMode::read_write, &stats),
               DeadlockDetected);
  EXPECT_EQ(stats.attempts, fast.max_attempts);
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_F(Runner, NeverRetriesPermanentErrors) {
  TransactionRunStats stats;
  EXPECT_THROW(run_transaction(
                   *connection,
                   [&](Connection& c) {
                     insert(c, 1);
                     insert(c, 1);
                   },
                   fast, AccessMode::read_write, &stats),
               UniqueViolation);
  EXPECT_EQ(stats.attempts, 1);
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_F(Runner, NeverRetriesACommitOfUnknownOutcome) {
  TransactionRunStats stats;
  ErrorInfo unknown;
  unknown.kind = ErrorKind::serialization_failure;
  unknown.message = "injected: connection lost during COMMIT";
  unknown.commit_outcome_unknown = true;
  EXPECT_THROW(run_transaction(
                   *connection, [&](Connection&) { throw_error(unknown); }, fast,
                   AccessMode::read_write, &stats),
               SerializationFailure);
  EXPECT_EQ(stats.attempts, 1);
}

TEST_F(Runner, RefusesToRunInsideACallersTransaction) {
  Transaction outer(*connection);
  EXPECT_THROW(run_transaction(*connection, [](Connection&) {}), UsageError);
}

TEST_F(Runner, GetOrCreateInsideTheRunner) {
  const GetOrCreate operation(context().dialect(),
                              GetOrCreateSpec{table.name(), {"k"}, {}, Strategy::safe, {}});
  const auto created = run_transaction(*connection, [&](Connection& c) {
    insert(c, 100);
    return operation(c, std::vector<Value>{Value(5)});
  });
  EXPECT_TRUE(created.created);
  EXPECT_EQ(table.count_rows(), 2);
}

}  // namespace
}  // namespace anydb::conformance
