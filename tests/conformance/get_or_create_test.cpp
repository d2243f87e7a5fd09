// Get-or-create semantics, one connection at a time (races are in race_test.cpp).

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace anydb::conformance {
namespace {

class GetOrCreateSemantics : public ::testing::TestWithParam<Strategy> {
 protected:
  ScratchTable table{"goc", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(100), n BIGINT"};
  ConnectionPtr connection = context().connect();

  void SetUp() override {
    if (GetParam() == Strategy::upsert && context().dialect().upsert == Dialect::Upsert::none)
      GTEST_SKIP() << "capability: backend '" << context().backend().name()
                   << "' declares no single-statement upsert";
  }

  GetOrCreate make(std::vector<std::string> defaults = {"name"}) const {
    return GetOrCreate(context().dialect(),
                       GetOrCreateSpec{table.name(), {"k"}, std::move(defaults), GetParam(), {}});
  }
};

TEST_P(GetOrCreateSemantics, CreatesOnceThenGets) {
  const GetOrCreate operation = make();
  const std::vector<Value> key{Value(7)};
  const GetOrCreateResult first = operation(*connection, key, std::vector<Value>{Value("first")});
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.row.at("k").as_int(), 7);
  EXPECT_EQ(first.row.at("name").as_text(), "first");
  EXPECT_FALSE(first.row.at("id").is_null());

  const GetOrCreateResult second = operation(*connection, key, std::vector<Value>{Value("second")});
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.row.at("id"), first.row.at("id"));
  EXPECT_EQ(second.row.at("name").as_text(), "first") << "defaults apply only on create";
  EXPECT_EQ(second.conflicts, 0);
  EXPECT_EQ(table.count_rows(), 1);
}

TEST_P(GetOrCreateSemantics, ReturnsEveryColumnOfTheStoredRow) {
  connection->execute(fmt::format("INSERT INTO {} (k, name, n) VALUES ({}, {}, {})", table.quoted(),
                                  param(1), param(2), param(3)),
                      {Value(1), Value("existing"), Value(99)});
  const GetOrCreateResult result =
      make()(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("x")});
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.row.columns(), (std::vector<std::string>{"id", "k", "name", "n"}));
  EXPECT_EQ(result.row.at("n").as_int(), 99);
}

// The overload that fills a caller's GetOrCreateResult reuses its row's storage from call to call
// (anydb::recycle): every call must still report its own row, whatever the previous one held.
TEST_P(GetOrCreateSemantics, FillingOneResultAcrossCallsGivesEachCallsRow) {
  const GetOrCreate operation = make();
  GetOrCreateResult result;
  operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("one")}, result);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.row.at("k").as_int(), 1);
  EXPECT_EQ(result.row.at("name").as_text(), "one");
  const Row first = result.row;  // a copy owns its values: later calls must not touch it

  operation(*connection, std::vector<Value>{Value(2)}, std::vector<Value>{Value("two")}, result);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.row.at("k").as_int(), 2);
  EXPECT_EQ(result.row.at("name").as_text(), "two");
  EXPECT_NE(result.row.at("id"), first.at("id"));

  // A hit after a miss: every field is the hit's, none left over from the creation.
  operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("other")}, result);
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.conflicts, 0);
  EXPECT_EQ(result.transient_retries, 0);
  EXPECT_EQ(result.row.values(), first.values());
  EXPECT_EQ(result.row.columns(), (std::vector<std::string>{"id", "k", "name", "n"}));
  EXPECT_EQ(first.at("k").as_int(), 1);
  EXPECT_EQ(first.at("name").as_text(), "one");

  // A call that fails leaves the result usable for the next one.
  EXPECT_THROW(
      operation(*connection, std::vector<Value>{Value()}, std::vector<Value>{Value("x")}, result),
      InvalidArgument);
  operation(*connection, std::vector<Value>{Value(2)}, std::vector<Value>{Value("x")}, result);
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.row.at("name").as_text(), "two");

  // The returning form and the filling form agree.
  const GetOrCreateResult returned =
      operation(*connection, std::vector<Value>{Value(2)}, std::vector<Value>{Value("x")});
  EXPECT_EQ(returned.row.values(), result.row.values());
  EXPECT_EQ(table.count_rows(), 2);
}

TEST_P(GetOrCreateSemantics, FillingOneResultFollowsAChangeOfColumns) {
  const GetOrCreate operation = make();
  GetOrCreateResult result;
  operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("one")}, result);
  ASSERT_EQ(result.row.size(), 4U);

  const auto migrator = context().connect();
  migrator->execute_script(
      fmt::format("ALTER TABLE {} ADD COLUMN extra INTEGER DEFAULT 7", table.quoted()));
  operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("x")}, result);
  EXPECT_FALSE(result.created);
  EXPECT_EQ(result.row.columns(), (std::vector<std::string>{"id", "k", "name", "n", "extra"}));
  EXPECT_EQ(result.row.at("extra").as_int(), 7);
  EXPECT_EQ(result.row.at("name").as_text(), "one");

  operation(*connection, std::vector<Value>{Value(2)}, std::vector<Value>{Value("two")}, result);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.row.size(), 5U);
  EXPECT_EQ(result.row.at("k").as_int(), 2);
}

TEST_P(GetOrCreateSemantics, TextKeysAreCoercedByTheDatabase) {
  // The CLI passes keys as text; an integer column must still match them.
  const GetOrCreate operation = make({});
  EXPECT_TRUE(operation(*connection, std::vector<Value>{Value("42")}).created);
  EXPECT_FALSE(operation(*connection, std::vector<Value>{Value(42)}).created);
  EXPECT_FALSE(operation(*connection, std::vector<Value>{Value("42")}).created);
  EXPECT_EQ(table.count_rows(), 1);
}

TEST_P(GetOrCreateSemantics, InsideCallersTransactionCommitsWithIt) {
  const GetOrCreate operation = make();
  {
    Transaction transaction(*connection);
    EXPECT_TRUE(operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("a")})
                    .created);
    EXPECT_TRUE(connection->in_transaction());
  }  // rolled back
  EXPECT_EQ(table.count_rows(), 0);
  Transaction transaction(*connection);
  EXPECT_TRUE(
      operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("a")}).created);
  EXPECT_FALSE(
      operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("b")}).created);
  transaction.commit();
  EXPECT_EQ(table.count_rows(), 1);
}

TEST_P(GetOrCreateSemantics, RefusesNullKeysAndBadShapes) {
  const GetOrCreate operation = make();
  EXPECT_THROW(
      (void)operation(*connection, std::vector<Value>{Value()}, std::vector<Value>{Value("a")}),
      InvalidArgument);
  EXPECT_THROW((void)operation(*connection, std::vector<Value>{Value(1), Value(2)},
                               std::vector<Value>{Value("a")}),
               InvalidArgument);
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_P(GetOrCreateSemantics, CompositeKeys) {
  ScratchTable pairs{
      "pairs", "id {id}, a BIGINT NOT NULL, b VARCHAR(20) NOT NULL, note TEXT, UNIQUE (a, b)"};
  const GetOrCreate operation(context().dialect(),
                              GetOrCreateSpec{pairs.name(), {"a", "b"}, {"note"}, GetParam(), {}});
  EXPECT_TRUE(operation(*connection, std::vector<Value>{Value(1), Value("x")},
                        std::vector<Value>{Value("n")})
                  .created);
  EXPECT_TRUE(operation(*connection, std::vector<Value>{Value(1), Value("y")},
                        std::vector<Value>{Value("n")})
                  .created);
  EXPECT_FALSE(operation(*connection, std::vector<Value>{Value(1), Value("x")},
                         std::vector<Value>{Value("n")})
                   .created);
  EXPECT_EQ(pairs.count_rows(), 2);
}

TEST_P(GetOrCreateSemantics, AnotherUniqueConstraintIsNotMistakenForTheRace) {
  ScratchTable two{"two_unique", "id {id}, k BIGINT NOT NULL UNIQUE, email VARCHAR(50) UNIQUE"};
  const GetOrCreate operation(context().dialect(),
                              GetOrCreateSpec{two.name(), {"k"}, {"email"}, GetParam(), {}});
  EXPECT_TRUE(operation(*connection, std::vector<Value>{Value(1)}, std::vector<Value>{Value("a@x")})
                  .created);
  // Key 2 is new, but its email collides with key 1's: that is the caller's error, reported as
  // a unique violation (or, where the database names no columns, as a lost race after the
  // retries) — never as a created row or a bogus result.
  try {
    (void)operation(*connection, std::vector<Value>{Value(2)}, std::vector<Value>{Value("a@x")});
    FAIL() << "a colliding email was accepted";
  } catch (const UniqueViolation&) {
  } catch (const SerializationFailure&) {
  }
  EXPECT_EQ(two.count_rows(), 1);
}

TEST_P(GetOrCreateSemantics, HostileIdentifiersAreQuotedNeverExecuted) {
  ScratchTable sentinel{"sentinel", "id {id}"};
  const std::string hostile = fmt::format("weird\"; DROP TABLE {}; --", sentinel.quoted());
  const Dialect& dialect = context().dialect();
  connection->execute_script(fmt::format("CREATE TABLE {} ({} BIGINT NOT NULL UNIQUE)",
                                         dialect.quote_identifier(hostile),
                                         dialect.quote_identifier("k;ey")));
  const GetOrCreate operation(dialect, GetOrCreateSpec{hostile, {"k;ey"}, {}, GetParam(), {}});
  EXPECT_TRUE(operation(*connection, std::vector<Value>{Value(1)}).created);
  EXPECT_FALSE(operation(*connection, std::vector<Value>{Value(1)}).created);
  connection->execute_script(fmt::format("DROP TABLE {}", dialect.quote_identifier(hostile)));
  EXPECT_EQ(sentinel.count_rows(), 0) << "the sentinel table must still exist";
}

TEST_P(GetOrCreateSemantics, UnknownTableIsReported) {
  const GetOrCreate operation(context().dialect(),
                              GetOrCreateSpec{"anydb_missing_table", {"k"}, {}, GetParam(), {}});
  EXPECT_THROW((void)operation(*connection, std::vector<Value>{Value(1)}), UndefinedObject);
}

// A read_only transaction (SQLite's DEFERRED) cannot be relied on to write: two of them that
// both try fail at random with Busy. Refused at once, hit or miss, one key or many, before any
// statement, and the caller's transaction goes on.
TEST_P(GetOrCreateSemantics, ReadOnlyTransactionIsRefusedAtOnce) {
  const GetOrCreate operation = make();
  connection->execute(
      fmt::format("INSERT INTO {} (k, name) VALUES ({}, {})", table.quoted(), param(1), param(2)),
      {Value(1), Value("existing")});
  Transaction transaction(*connection, AccessMode::read_only);
  ASSERT_EQ(connection->transaction_access_mode(), AccessMode::read_only);
  for (int key : {1, 2}) {
    try {
      (void)operation(*connection, std::vector<Value>{Value(key)}, std::vector<Value>{Value("x")});
      ADD_FAILURE() << "get-or-create of key " << key << " ran in a read_only transaction";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string_view(error.what())
                    .find("get-or-create writes; begin the transaction read_write"),
                std::string_view::npos)
          << error.what();
    }
  }
  const std::vector<Value> keys{Value(1), Value(3)};
  EXPECT_THROW((void)operation.many(*connection, keys, std::vector<Value>{Value("x"), Value("y")}),
               UsageError);
  EXPECT_EQ(connection->transaction_state(), TransactionState::active)
      << "nothing ran: the transaction goes on";
  EXPECT_EQ(connection->execute(fmt::format("SELECT k FROM {}", table.quoted())).rows.size(), 1U);
  transaction.commit();
  EXPECT_EQ(table.count_rows(), 1);
  // read_write, the same call is fine.
  Transaction writable(*connection, AccessMode::read_write);
  EXPECT_TRUE(
      operation(*connection, std::vector<Value>{Value(2)}, std::vector<Value>{Value("x")}).created);
  writable.commit();
}

INSTANTIATE_TEST_SUITE_P(Strategies, GetOrCreateSemantics,
                         ::testing::Values(Strategy::safe, Strategy::upsert, Strategy::naive),
                         StrategyName());

TEST(GetOrCreateCapabilities, UpsertNeedsTheDialect) {
  Dialect without = context().dialect();
  without.upsert = Dialect::Upsert::none;
  EXPECT_THROW(GetOrCreate(without, GetOrCreateSpec{"t", {"k"}, {}, Strategy::upsert, {}}),
               Unsupported);
}

}  // namespace
}  // namespace anydb::conformance
