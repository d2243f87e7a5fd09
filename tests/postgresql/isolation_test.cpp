// Two sessions driven step by step through the interleavings that decide what get-or-create
// must do inside a caller's transaction, in the spirit of PostgreSQL's isolation tester:
//
// - REPEATABLE READ, the caller's snapshot predates the winner's commit: the winner is
//   invisible, so the only honest answer is SerializationFailure (retry the whole transaction);
//   run_transaction does exactly that and then finds the row.
// - READ COMMITTED, the winner has not committed yet: get-or-create blocks on its row lock (seen
//   in pg_stat_activity), and whatever the winner then does — commit or roll back — the caller's
//   transaction stays usable and commits its other work.

#include "pg_support.hpp"

#include <fmt/format.h>

#include <future>

namespace anydb::pgtest {
namespace {

class StrategyTest : public PgTest, public ::testing::WithParamInterface<Strategy> {
 protected:
  [[nodiscard]] GetOrCreate operation(const Table& table, const Connection& connection) const {
    return GetOrCreate(connection.dialect(),
                       GetOrCreateSpec{table.name(), {"k"}, {"name"}, GetParam(), {}});
  }
};

std::string strategy_name(const ::testing::TestParamInfo<Strategy>& info) {
  return std::string(to_string(info.param));
}

// ---------------------------------------------------------------------------------------------
// REPEATABLE READ: a caller-owned transaction that loses the race.

using RepeatableReadLostRace = StrategyTest;

TEST_P(RepeatableReadLostRace, CallerOwnedTransactionGetsSerializationFailure) {
  const Table table("rr_lost");
  ConnectionPtr a = connect(IsolationLevel::repeatable_read);
  ConnectionPtr b = connect(IsolationLevel::repeatable_read);
  const GetOrCreate get_or_create = operation(table, *a);
  const std::vector<Value> key{Value(7)};

  a->begin();
  EXPECT_EQ(scalar(*a, fmt::format("SELECT count(*) FROM {}", table.sql())), 0);  // A's snapshot
  const GetOrCreateResult winner = get_or_create(*b, key, std::vector<Value>{Value("b")});
  ASSERT_TRUE(winner.created);

  try {
    const GetOrCreateResult result = get_or_create(*a, key, std::vector<Value>{Value("a")});
    ADD_FAILURE() << "get-or-create in A's transaction returned (created=" << result.created
                  << ") although the row is invisible to A's snapshot";
  } catch (const SerializationFailure& error) {
    EXPECT_TRUE(error.is_transient());
    EXPECT_EQ(error.kind(), ErrorKind::serialization_failure);
    EXPECT_FALSE(error.commit_outcome_unknown());
    std::printf("[ info     ] %s: %s (sqlstate '%s')\n", std::string(to_string(GetParam())).c_str(),
                error.what(), error.sqlstate().c_str());
  } catch (const Error& error) {
    ADD_FAILURE() << "expected anydb::SerializationFailure, got " << to_string(error.kind()) << ": "
                  << error.what();
  }
  EXPECT_TRUE(a->in_transaction());
  a->rollback();
  EXPECT_FALSE(a->in_transaction());
  EXPECT_EQ(table.count_rows(), 1);
  EXPECT_EQ(table.count_where("name", Value("b")), 1);
}

TEST_P(RepeatableReadLostRace, RunTransactionRetriesTheUnitAndFindsTheRow) {
  const Table table("rr_runner");
  ConnectionPtr a = connect(IsolationLevel::repeatable_read);
  ConnectionPtr b = connect(IsolationLevel::repeatable_read);
  const GetOrCreate get_or_create = operation(table, *a);
  const std::vector<Value> key{Value(8)};

  TransactionRunStats stats;
  int b_created = 0;
  const GetOrCreateResult result = run_transaction(
      *a,
      [&](Connection& connection) {
        (void)connection.execute(fmt::format("SELECT count(*) FROM {}", table.sql()));  // snapshot
        if (stats.attempts == 1)  // B wins the race while A's snapshot is old
          b_created += get_or_create(*b, key, std::vector<Value>{Value("b")}).created ? 1 : 0;
        return get_or_create(connection, key, std::vector<Value>{Value("a")});
      },
      RetryPolicy{}, AccessMode::read_write, &stats);

  EXPECT_EQ(b_created, 1);
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.row.at("name").as_text(), "b");
  EXPECT_GE(stats.transient_retries, 1);
  EXPECT_EQ(stats.attempts, stats.transient_retries + 1);
  EXPECT_FALSE(a->in_transaction());
  EXPECT_EQ(table.count_rows(), 1);
  std::printf("[ info     ] %s: run_transaction attempts=%d transient_retries=%d\n",
              std::string(to_string(GetParam())).c_str(), stats.attempts, stats.transient_retries);
}

INSTANTIATE_TEST_SUITE_P(PostgreSQL, RepeatableReadLostRace,
                         ::testing::Values(Strategy::safe, Strategy::upsert), strategy_name);

// ---------------------------------------------------------------------------------------------
// READ COMMITTED: get-or-create waits for an uncommitted competitor inside a caller's transaction.

using ReadCommittedBlockedGetOrCreate = StrategyTest;

enum class Ending { commit, rollback };

void blocked_then(const Table& table, Strategy strategy, Ending ending) {
  ConnectionPtr admin = connect_admin();
  ConnectionPtr a = connect(IsolationLevel::read_committed);
  ConnectionPtr b = connect(IsolationLevel::read_committed);
  const GetOrCreate get_or_create(a->dialect(),
                                  GetOrCreateSpec{table.name(), {"k"}, {"name"}, strategy, {}});
  const std::int64_t a_pid = backend_pid(*a);
  const std::string insert = fmt::format("INSERT INTO {} (k, name) VALUES ($1, $2)", table.sql());
  constexpr int k = 42, x = 1000;

  b->begin();
  (void)b->execute(insert, {Value(k), Value("b")});  // uncommitted: holds K's index entry

  a->begin();
  (void)a->execute(insert, {Value(x), Value("a's other work")});
  auto pending = std::async(std::launch::async, [&] {
    return get_or_create(*a, std::vector<Value>{Value(k)}, std::vector<Value>{Value("a")});
  });
  const bool waited = wait_until_lock_wait(*admin, a_pid);
  // Let B finish whatever happens, so that A's thread cannot hang the test.
  if (ending == Ending::commit)
    b->commit();
  else
    b->rollback();
  ASSERT_TRUE(waited) << "A's get-or-create never waited for B's row lock (pg_stat_activity)";

  GetOrCreateResult result;
  ASSERT_NO_THROW(result = pending.get());
  if (ending == Ending::commit) {
    EXPECT_FALSE(result.created);
    EXPECT_EQ(result.row.at("name").as_text(), "b");
    // safe: the INSERT failed with 23505, rolled back to its savepoint; upsert: DO NOTHING.
    EXPECT_EQ(result.conflicts, strategy == Strategy::safe ? 1 : 0);
  } else {
    EXPECT_TRUE(result.created);
    EXPECT_EQ(result.row.at("name").as_text(), "a");
    EXPECT_EQ(result.conflicts, 0);
  }
  EXPECT_EQ(result.transient_retries, 0);
  ASSERT_TRUE(a->in_transaction());
  ASSERT_NO_THROW(a->commit()) << "the handled conflict left A's transaction unusable";

  EXPECT_EQ(table.count_where("k", Value(k)), 1);
  EXPECT_EQ(table.count_where("k", Value(x)), 1);
  EXPECT_EQ(table.count_rows(), 2);
}

TEST_P(ReadCommittedBlockedGetOrCreate, CompetitorCommitsAndCallersTransactionStillCommits) {
  const Table table("rc_commit");
  blocked_then(table, GetParam(), Ending::commit);
}

TEST_P(ReadCommittedBlockedGetOrCreate, CompetitorRollsBackAndCallerCreatesTheRow) {
  const Table table("rc_rollback");
  blocked_then(table, GetParam(), Ending::rollback);
}

INSTANTIATE_TEST_SUITE_P(PostgreSQL, ReadCommittedBlockedGetOrCreate,
                         ::testing::Values(Strategy::safe, Strategy::upsert), strategy_name);

}  // namespace
}  // namespace anydb::pgtest
