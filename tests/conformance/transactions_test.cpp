// Transactions, savepoints and the RAII guards behave alike on every backend.

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace anydb::conformance {
namespace {

class Transactions : public ::testing::Test {
 protected:
  ScratchTable table{"tx", "id {id}, k BIGINT NOT NULL UNIQUE"};
  ConnectionPtr connection = context().connect();

  void insert(Connection& on, std::int64_t key) {
    on.execute(fmt::format("INSERT INTO {} (k) VALUES ({})", table.quoted(), param(1)),
               {Value(key)});
  }
  std::int64_t count(Connection& on) {
    return on.execute(fmt::format("SELECT COUNT(*) FROM {}", table.quoted()))
        .rows.at(0)[0]
        .as_int();
  }
  bool has_key(std::int64_t key) {
    const auto other = context().connect();
    return !other
                ->execute(fmt::format("SELECT k FROM {} WHERE k = {}", table.quoted(), param(1)),
                          {Value(key)})
                .rows.empty();
  }
};

TEST_F(Transactions, CommitMakesRowsVisibleToOtherConnections) {
  connection->begin();
  EXPECT_TRUE(connection->in_transaction());
  insert(*connection, 1);
  connection->commit();
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_TRUE(has_key(1));
}

TEST_F(Transactions, RollbackDiscardsRows) {
  connection->begin();
  insert(*connection, 1);
  EXPECT_EQ(count(*connection), 1);
  connection->rollback();
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_F(Transactions, AutocommitOutsideTransactions) {
  EXPECT_FALSE(connection->in_transaction());
  insert(*connection, 5);
  EXPECT_TRUE(has_key(5));
}

TEST_F(Transactions, MisuseIsAUsageErrorOnEveryBackend) {
  EXPECT_THROW(connection->commit(), UsageError);
  EXPECT_THROW(connection->rollback(), UsageError);
  EXPECT_THROW(connection->savepoint("sp"), UsageError);
  connection->begin();
  EXPECT_THROW(connection->begin(), UsageError);
  connection->rollback();
}

TEST_F(Transactions, NestedSavepointsRollBackIndependently) {
  connection->begin();
  insert(*connection, 1);
  connection->savepoint("a");
  insert(*connection, 2);
  connection->savepoint("b");
  insert(*connection, 3);
  connection->rollback_to("b");  // drops 3
  connection->release("b");
  insert(*connection, 4);
  connection->rollback_to("a");  // drops 2 and 4
  connection->release("a");
  insert(*connection, 5);
  connection->commit();
  EXPECT_TRUE(has_key(1));
  EXPECT_FALSE(has_key(2));
  EXPECT_FALSE(has_key(3));
  EXPECT_FALSE(has_key(4));
  EXPECT_TRUE(has_key(5));
}

TEST_F(Transactions, GuardRollsBackInItsDestructor) {
  {
    Transaction transaction(*connection);
    insert(*connection, 1);
    EXPECT_FALSE(transaction.is_savepoint());
  }
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_F(Transactions, NestedGuardsUseSavepoints) {
  Transaction outer(*connection);
  insert(*connection, 1);
  {
    Transaction inner(*connection);
    EXPECT_TRUE(inner.is_savepoint());
    insert(*connection, 2);
  }  // rolled back to its savepoint
  {
    Transaction inner(*connection);
    insert(*connection, 3);
    inner.commit();
  }
  EXPECT_TRUE(connection->in_transaction());
  outer.commit();
  EXPECT_TRUE(has_key(1));
  EXPECT_FALSE(has_key(2));
  EXPECT_TRUE(has_key(3));
}

TEST_F(Transactions, AtomicRollsBackAndRethrowsOnException) {
  EXPECT_THROW(atomic(*connection,
                      [&] {
                        insert(*connection, 1);
                        throw std::runtime_error("application failure");
                      }),
               std::runtime_error);
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_F(Transactions, AtomicNestsLikeDjango) {
  const int result = atomic(*connection, [&] {
    insert(*connection, 1);
    try {
      atomic(*connection, [&] {
        insert(*connection, 2);
        throw std::runtime_error("inner failure");
      });
    } catch (const std::runtime_error&) {
      // handled: only the inner block is undone
    }
    atomic(*connection, [&] { insert(*connection, 3); });
    return 42;
  });
  EXPECT_EQ(result, 42);
  EXPECT_TRUE(has_key(1));
  EXPECT_FALSE(has_key(2));
  EXPECT_TRUE(has_key(3));
}

TEST_F(Transactions, OuterTransactionUsableAfterHandledUniqueViolation) {
  connection->begin();
  insert(*connection, 1);
  connection->savepoint("before_duplicate");
  EXPECT_THROW(insert(*connection, 1), UniqueViolation);
  connection->rollback_to("before_duplicate");
  connection->release("before_duplicate");
  insert(*connection, 2);
  connection->commit();
  EXPECT_TRUE(has_key(1));
  EXPECT_TRUE(has_key(2));
  EXPECT_EQ(table.count_rows(), 2);
}

TEST_F(Transactions, GuardCommitFinishesTheTransaction) {
  Transaction transaction(*connection);
  insert(*connection, 7);
  transaction.commit();
  EXPECT_FALSE(transaction.active());
  EXPECT_THROW(transaction.commit(), UsageError);
  EXPECT_TRUE(has_key(7));
}

TEST_F(Transactions, StatementCacheReusesPreparedStatements) {
  const auto before = connection->statement_cache_stats();
  for (int i = 0; i < 5; ++i) insert(*connection, 100 + i);
  const auto after = connection->statement_cache_stats();
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 4u);
  EXPECT_EQ(table.count_rows(), 5);
}

}  // namespace
}  // namespace anydb::conformance
