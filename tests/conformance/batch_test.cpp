// Batched get-or-create (GetOrCreate::many): the per-key contract of the single-key operation,
// for many keys in a few statements and one transaction. Each test runs with both batch
// methods: multi_row (needs ON CONFLICT DO NOTHING and RETURNING) and the portable per_key.

#include "context.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

namespace anydb::conformance {
namespace {

struct MethodName {
  std::string operator()(const ::testing::TestParamInfo<BatchMethod>& info) const {
    return std::string(to_string(info.param));
  }
};

bool dialect_has_multi_row() {
  const Dialect& dialect = context().dialect();
  return dialect.upsert == Dialect::Upsert::on_conflict_do_nothing && dialect.supports_returning;
}

std::vector<Value> ints(std::initializer_list<int> values) {
  std::vector<Value> out;
  for (int v : values) out.emplace_back(v);
  return out;
}

std::vector<Value> texts(std::size_t count, std::string_view text) {
  return std::vector<Value>(count, Value(text));
}

class Batch : public ::testing::TestWithParam<BatchMethod> {
 protected:
  ScratchTable table{"batch", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(100), n BIGINT"};
  ConnectionPtr connection = context().connect();

  void SetUp() override {
    if (GetParam() == BatchMethod::multi_row && !dialect_has_multi_row())
      GTEST_SKIP() << "capability: backend '" << context().backend().name()
                   << "' declares no INSERT ... ON CONFLICT DO NOTHING ... RETURNING";
  }

  [[nodiscard]] GetOrCreate make(std::vector<std::string> defaults = {"name"}) const {
    return GetOrCreate(
        context().dialect(),
        GetOrCreateSpec{table.name(), {"k"}, std::move(defaults), Strategy::safe, {}});
  }
  [[nodiscard]] BatchOptions options(
      std::size_t max_parameters = BatchOptions{}.max_parameters) const {
    return BatchOptions{GetParam(), max_parameters};
  }
  void insert(std::int64_t key, std::string_view name) {
    connection->execute(
        fmt::format("INSERT INTO {} (k, name) VALUES ({}, {})", table.quoted(), param(1), param(2)),
        {Value(key), Value(name)});
  }
};

TEST_P(Batch, EmptyBatchDoesNothing) {
  const GetOrCreateBatchResult result =
      make().many(*connection, std::span<const Value>{}, {}, options());
  EXPECT_TRUE(result.keys.empty());
  EXPECT_EQ(result.created, 0u);
  EXPECT_EQ(result.existing, 0u);
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_P(Batch, NewKeysAreCreatedWithTheirDefaults) {
  const auto keys = ints({3, 1, 2});
  const std::vector<Value> names{Value("three"), Value("one"), Value("two")};
  const GetOrCreateBatchResult result = make().many(*connection, keys, names, options());
  ASSERT_EQ(result.keys.size(), 3u);
  EXPECT_EQ(result.created, 3u);
  EXPECT_EQ(result.existing, 0u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_TRUE(result.keys[i].created) << i;
    EXPECT_EQ(result.keys[i].row.at("k").as_int(), keys[i].as_int())
        << "results follow the input order";
    EXPECT_EQ(result.keys[i].row.at("name"), names[i]);
    EXPECT_FALSE(result.keys[i].row.at("id").is_null());
  }
  EXPECT_EQ(result.keys[0].row.columns(), (std::vector<std::string>{"id", "k", "name", "n"}));
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count_rows(), 3);
}

TEST_P(Batch, MixedExistingAndNewKeepDefaultsOnlyOnCreate) {
  insert(2, "old two");
  insert(4, "old four");
  const auto keys = ints({1, 2, 3, 4, 5});
  const GetOrCreateBatchResult result = make().many(*connection, keys, texts(5, "new"), options());
  ASSERT_EQ(result.keys.size(), 5u);
  EXPECT_EQ(result.created, 3u);
  EXPECT_EQ(result.existing, 2u);
  const std::vector<bool> created{true, false, true, false, true};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(result.keys[i].created, created[i]) << "key " << keys[i].as_int();
    EXPECT_EQ(result.keys[i].row.at("k").as_int(), keys[i].as_int());
  }
  EXPECT_EQ(result.keys[1].row.at("name").as_text(), "old two") << "defaults apply only on create";
  EXPECT_EQ(result.keys[3].row.at("name").as_text(), "old four");
  EXPECT_EQ(result.keys[0].row.at("name").as_text(), "new");
  EXPECT_EQ(table.count_rows(), 5);

  // Again: everything exists now, and the rows are the same ones.
  const GetOrCreateBatchResult again = make().many(*connection, keys, texts(5, "newer"), options());
  EXPECT_EQ(again.created, 0u);
  EXPECT_EQ(again.existing, 5u);
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(again.keys[i].row.at("id"), result.keys[i].row.at("id"));
  EXPECT_EQ(table.count_rows(), 5);
}

TEST_P(Batch, DuplicatesWithinABatchCreateOnceFirstOccurrenceFirst) {
  insert(9, "old");
  const auto keys = ints({5, 5, 6, 9, 5, 6, 9});
  const std::vector<Value> names{Value("a"), Value("b"), Value("c"), Value("d"),
                                 Value("e"), Value("f"), Value("g")};
  const GetOrCreateBatchResult result = make().many(*connection, keys, names, options());
  ASSERT_EQ(result.keys.size(), keys.size());
  const std::vector<bool> created{true, false, true, false, false, false, false};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(result.keys[i].created, created[i]) << "position " << i;
    EXPECT_EQ(result.keys[i].row.at("k").as_int(), keys[i].as_int());
  }
  EXPECT_EQ(result.created, 2u);
  EXPECT_EQ(result.existing, 5u);
  EXPECT_EQ(result.keys[1].row.at("id"), result.keys[0].row.at("id"));
  EXPECT_EQ(result.keys[4].row.at("id"), result.keys[0].row.at("id"));
  EXPECT_EQ(result.keys[1].row.at("name").as_text(), "a") << "the first occurrence's defaults win";
  EXPECT_EQ(result.keys[5].row.at("name").as_text(), "c");
  EXPECT_EQ(result.keys[3].row.at("name").as_text(), "old");
  EXPECT_EQ(table.count_rows(), 3);
}

TEST_P(Batch, TextKeysAreCoercedByTheDatabase) {
  // The CLI binds keys as text; rows come back with integers and must still be matched.
  const GetOrCreate operation = make({});
  const std::vector<Value> first{Value("42"), Value("43")};
  const GetOrCreateBatchResult created = operation.many(*connection, first, {}, options());
  EXPECT_EQ(created.created, 2u);
  EXPECT_EQ(created.keys[0].row.at("k").as_int(), 42);

  const std::vector<Value> mixed{Value("42"), Value(42), Value("44"), Value(43)};
  const GetOrCreateBatchResult again = operation.many(*connection, mixed, {}, options());
  EXPECT_FALSE(again.keys[0].created);
  EXPECT_FALSE(again.keys[1].created);
  EXPECT_TRUE(again.keys[2].created);
  EXPECT_FALSE(again.keys[3].created);
  EXPECT_EQ(again.keys[2].row.at("k").as_int(), 44);
  EXPECT_EQ(table.count_rows(), 3);

  // Spellings that the database stores as the same number: one creation between them, and the
  // key is reported with the stored row whatever its spelling.
  const std::vector<Value> spellings{Value("0050"), Value("50"), Value("042")};
  const GetOrCreateBatchResult odd = operation.many(*connection, spellings, {}, options());
  EXPECT_EQ(odd.created, 1u);
  EXPECT_TRUE(odd.keys[0].created != odd.keys[1].created);
  EXPECT_FALSE(odd.keys[2].created);
  EXPECT_EQ(odd.keys[0].row.at("k").as_int(), 50);
  EXPECT_EQ(odd.keys[1].row.at("k").as_int(), 50);
  EXPECT_EQ(odd.keys[2].row.at("k").as_int(), 42);
  EXPECT_EQ(table.count_rows(), 4);
}

TEST_P(Batch, CompositeKeys) {
  ScratchTable pairs{
      "bpairs", "id {id}, a BIGINT NOT NULL, b VARCHAR(20) NOT NULL, note TEXT, UNIQUE (a, b)"};
  const GetOrCreate operation(
      context().dialect(), GetOrCreateSpec{pairs.name(), {"a", "b"}, {"note"}, Strategy::safe, {}});
  const std::vector<Value> first{Value(1), Value("x"), Value(1), Value("y")};
  EXPECT_EQ(operation.many(*connection, first, texts(2, "n"), options()).created, 2u);
  // (1,x) exists, (2,x) is new and given twice, (1,z) is new.
  const std::vector<Value> keys{Value(1), Value("x"), Value(2), Value("x"),
                                Value(2), Value("x"), Value(1), Value("z")};
  const GetOrCreateBatchResult result = operation.many(*connection, keys, texts(4, "m"), options());
  ASSERT_EQ(result.keys.size(), 4u);
  EXPECT_FALSE(result.keys[0].created);
  EXPECT_TRUE(result.keys[1].created);
  EXPECT_FALSE(result.keys[2].created);
  EXPECT_TRUE(result.keys[3].created);
  EXPECT_EQ(result.keys[0].row.at("note").as_text(), "n");
  EXPECT_EQ(result.keys[3].row.at("b").as_text(), "z");
  EXPECT_EQ(pairs.count_rows(), 4);

  // The vector-per-key overload gives the same answers.
  const std::vector<std::vector<Value>> nested{{Value(1), Value("x")}, {Value(3), Value("x")}};
  const std::vector<std::vector<Value>> notes{{Value("p")}, {Value("q")}};
  const GetOrCreateBatchResult n =
      operation.many(*connection, std::span<const std::vector<Value>>(nested),
                     std::span<const std::vector<Value>>(notes), options());
  EXPECT_FALSE(n.keys[0].created);
  EXPECT_TRUE(n.keys[1].created);
  EXPECT_EQ(pairs.count_rows(), 5);
}

TEST_P(Batch, LargeBatchesAreSplitIntoSeveralStatements) {
  // max_parameters 10 with two values per row: 5 rows per INSERT, 10 keys per SELECT.
  const GetOrCreate operation = make();
  std::vector<Value> keys, names;
  for (int k = 0; k < 57; ++k) {
    keys.emplace_back(k % 3 == 0 ? k : 1000 + k);
    names.emplace_back(fmt::format("n{}", k));
  }
  insert(0, "pre");
  insert(3, "pre");
  const GetOrCreateBatchResult result = operation.many(*connection, keys, names, options(10));
  EXPECT_EQ(result.created, 55u);
  EXPECT_EQ(result.existing, 2u);
  EXPECT_EQ(table.count_rows(), 57);
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(result.keys[i].row.at("k"), keys[i]);
  EXPECT_EQ(operation.many(*connection, keys, names, options(10)).existing, 57u);
  EXPECT_LE(connection->statement_cache_size(), 40u)
      << "statement sizes are rounded, not one per count";
}

TEST_P(Batch, ThousandsOfKeysWithTheDefaultLimits) {
  // More parameters than one statement may take by default (and than libpq can describe).
  const GetOrCreate operation = make();
  std::vector<Value> keys, names;
  for (int k = 0; k < 5000; ++k) {
    keys.emplace_back(k);
    names.emplace_back("bulk");
  }
  const GetOrCreateBatchResult first = operation.many(*connection, keys, names, options());
  EXPECT_EQ(first.created, 5000u);
  const GetOrCreateBatchResult again = operation.many(*connection, keys, names, options());
  EXPECT_EQ(again.existing, 5000u);
  EXPECT_EQ(table.count_rows(), 5000);
}

TEST_P(Batch, InsideCallersTransactionCommitsAndRollsBackWithIt) {
  const GetOrCreate operation = make();
  {
    Transaction transaction(*connection);
    EXPECT_EQ(operation.many(*connection, ints({1, 2}), texts(2, "a"), options()).created, 2u);
    EXPECT_TRUE(connection->in_transaction());
  }  // rolled back
  EXPECT_EQ(table.count_rows(), 0);
  Transaction transaction(*connection);
  EXPECT_EQ(operation.many(*connection, ints({1, 2}), texts(2, "a"), options()).created, 2u);
  const GetOrCreateBatchResult again =
      operation.many(*connection, ints({2, 3}), texts(2, "b"), options());
  EXPECT_FALSE(again.keys[0].created);
  EXPECT_TRUE(again.keys[1].created);
  transaction.commit();
  EXPECT_EQ(table.count_rows(), 3);
}

TEST_P(Batch, RefusesNullKeysBadShapesAndTheNaiveStrategy) {
  const GetOrCreate operation = make();
  const std::vector<Value> with_null{Value(1), Value()};
  EXPECT_THROW((void)operation.many(*connection, with_null, texts(2, "a"), options()),
               InvalidArgument);
  EXPECT_THROW((void)operation.many(*connection, ints({1, 2}), texts(1, "a"), options()),
               InvalidArgument);
  EXPECT_THROW((void)operation.many(*connection, ints({1, 2}), {}, options()), InvalidArgument);
  const GetOrCreate naive(context().dialect(),
                          GetOrCreateSpec{table.name(), {"k"}, {}, Strategy::naive, {}});
  EXPECT_THROW((void)naive.many(*connection, ints({1}), {}, options()), InvalidArgument);
  EXPECT_EQ(table.count_rows(), 0);
}

TEST_P(Batch, AnotherUniqueConstraintFailsTheWholeBatch) {
  ScratchTable two{"btwo", "id {id}, k BIGINT NOT NULL UNIQUE, email VARCHAR(50) UNIQUE"};
  GetOrCreateSpec spec{two.name(), {"k"}, {"email"}, Strategy::safe, {}};
  spec.retry = RetryPolicy{3, std::chrono::microseconds{100}, std::chrono::microseconds{1000}};
  const GetOrCreate operation(context().dialect(), spec);
  EXPECT_EQ(operation.many(*connection, ints({1}), texts(1, "a@x"), options()).created, 1u);
  // Key 3 collides with key 1 on email: a violation that is not the race. The batch is one
  // transaction, so key 2 is not kept either.
  const std::vector<Value> emails{Value("b@x"), Value("a@x")};
  try {
    (void)operation.many(*connection, ints({2, 3}), emails, options());
    FAIL() << "a colliding email was accepted";
  } catch (const UniqueViolation&) {
  } catch (const SerializationFailure&) {
  }
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(two.count_rows(), 1);
}

TEST_P(Batch, MissesAreResolvedInOneTransactionOfTheirOwn) {
  // Whether one INSERT holds every miss or several are needed, anydb resolves them in one
  // transaction: a failure after an INSERT in autocommit would leave rows created that the
  // caller is never told about. A batch of hits runs no transaction at all.
  const GetOrCreate operation = make();
  insert(1, "kept");
  int begins = 0;
  int commits = 0;
  connection->set_trace_hook([&](const TraceEvent& event) {
    if (event.operation == "begin") ++begins;
    if (event.operation == "commit") ++commits;
  });
  const std::vector<Value> names = texts(4, "new");
  const GetOrCreateBatchResult one =
      operation.many(*connection, ints({1, 2, 3, 4}), names, options());
  EXPECT_EQ(one.created, 3u);
  EXPECT_EQ(begins, 1);
  EXPECT_EQ(commits, 1);

  begins = commits = 0;
  // A key and a default per row: 4 parameters hold 2 rows, so 4 misses need 2 INSERTs.
  const GetOrCreateBatchResult split =
      operation.many(*connection, ints({5, 6, 7, 8}), names, options(4));
  EXPECT_EQ(split.created, 4u);
  EXPECT_EQ(begins, 1);
  EXPECT_EQ(commits, 1);

  begins = commits = 0;
  const GetOrCreateBatchResult hits =
      operation.many(*connection, ints({1, 5}), texts(2, "x"), options());
  EXPECT_EQ(hits.created, 0u);
  EXPECT_EQ(begins, 0);
  EXPECT_EQ(commits, 0);
  connection->set_trace_hook({});
  EXPECT_FALSE(connection->in_transaction());
  EXPECT_EQ(table.count_rows(), 8);
  EXPECT_EQ(hits.keys[0].row.at("name"), Value("kept"));
}

TEST_P(Batch, StatementTextsAreExposedForTheSameSqlElsewhere) {
  const GetOrCreate operation = make();
  EXPECT_EQ(GetOrCreate::batch_statement_rows(5, 1000), 6u);
  EXPECT_EQ(GetOrCreate::batch_statement_rows(13, 1000), 16u);
  EXPECT_EQ(GetOrCreate::batch_statement_rows(2000, 1000), 1000u);
  EXPECT_NE(operation.batch_select_sql(3).find(" IN ("), std::string::npos);
  if (dialect_has_multi_row())
    EXPECT_NE(operation.batch_insert_sql(2).find("DO NOTHING RETURNING *"), std::string::npos);
  else
    EXPECT_THROW((void)operation.batch_insert_sql(2), Unsupported);
}

INSTANTIATE_TEST_SUITE_P(Methods, Batch,
                         ::testing::Values(BatchMethod::multi_row, BatchMethod::per_key),
                         MethodName());

TEST(BatchCapabilities, MultiRowNeedsTheDialect) {
  Dialect without = context().dialect();
  without.supports_returning = false;
  const GetOrCreate operation(without, GetOrCreateSpec{"t", {"k"}, {}, Strategy::safe, {}});
  ConnectionPtr connection = context().connect();
  EXPECT_THROW(
      (void)operation.many(*connection, ints({1}), {}, BatchOptions{BatchMethod::multi_row, 100}),
      Unsupported);
}

// Batch workers and single-key callers collide on the same keys, released together at a barrier
// before every step: exactly one creation per key, one row per key, no error reaches anyone.
class BatchRace : public ::testing::TestWithParam<BatchMethod> {};

constexpr int race_batch_threads = 4;
constexpr int race_single_threads = 4;
constexpr int race_keys = 240;
constexpr int race_step = 24;  // keys per step (one batch per batch worker)
constexpr int race_rounds = 2;

TEST_P(BatchRace, BatchWorkersAndSingleKeyCallersCreateEachKeyOnce) {
  if (GetParam() == BatchMethod::multi_row && !dialect_has_multi_row())
    GTEST_SKIP() << "capability: no INSERT ... ON CONFLICT DO NOTHING ... RETURNING";
  const bool has_upsert = context().dialect().upsert == Dialect::Upsert::on_conflict_do_nothing;
  for (int round = 0; round < race_rounds; ++round) {
    ScratchTable table{"brace", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(100)"};
    // Generous retries: at SERIALIZABLE a batch that collides with several writers may need a
    // few runs, and the test is about correctness, not about the retry budget.
    const RetryPolicy retry{60, std::chrono::microseconds{200}, std::chrono::microseconds{20'000}};
    const GetOrCreate batch_operation(
        context().dialect(), GetOrCreateSpec{table.name(), {"k"}, {"name"}, Strategy::safe, retry});
    const GetOrCreate safe_operation(
        context().dialect(), GetOrCreateSpec{table.name(), {"k"}, {"name"}, Strategy::safe, retry});
    const GetOrCreate upsert_operation(
        context().dialect(),
        GetOrCreateSpec{
            table.name(), {"k"}, {"name"}, has_upsert ? Strategy::upsert : Strategy::safe, retry});

    constexpr int threads = race_batch_threads + race_single_threads;
    std::vector<ConnectionPtr> connections;
    for (int t = 0; t < threads; ++t) connections.push_back(context().connect());
    std::vector<std::atomic<int>> creations(race_keys);
    std::atomic<int> errors{0}, conflicts{0}, retries{0};
    std::mutex first_error_mutex;
    std::string first_error;
    const auto record_error = [&](const std::string& what) {
      errors.fetch_add(1);
      const std::lock_guard lock(first_error_mutex);
      if (first_error.empty()) first_error = what;
    };

    std::barrier sync(threads);
    {
      std::vector<std::jthread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          Connection& connection = *connections[static_cast<std::size_t>(t)];
          std::mt19937 shuffle(static_cast<unsigned>(1000 * round + t));
          for (int step = 0; step < race_keys / race_step; ++step) {
            std::vector<int> keys(race_step);
            std::iota(keys.begin(), keys.end(), step * race_step);
            std::shuffle(keys.begin(), keys.end(), shuffle);
            sync.arrive_and_wait();
            if (t < race_batch_threads) {
              // Each batch also repeats one of its keys.
              std::vector<Value> values;
              for (int key : keys) values.emplace_back(key);
              values.emplace_back(keys.front());
              const std::vector<Value> names(values.size(), Value(fmt::format("batch {}", t)));
              try {
                const GetOrCreateBatchResult result =
                    batch_operation.many(connection, values, names, BatchOptions{GetParam()});
                for (std::size_t i = 0; i < values.size(); ++i) {
                  const GetOrCreateResult& one = result.keys[i];
                  if (one.created)
                    creations[static_cast<std::size_t>(values[i].as_int())].fetch_add(1);
                  if (one.row.at("k").as_int() != values[i].as_int())
                    record_error("wrong row returned");
                }
                conflicts.fetch_add(result.conflicts);
                retries.fetch_add(result.transient_retries);
              } catch (const std::exception& error) {
                record_error(error.what());
              }
            } else {
              const GetOrCreate& operation = t % 2 == 0 ? safe_operation : upsert_operation;
              for (int key : keys) {
                try {
                  const GetOrCreateResult result =
                      operation(connection, std::vector<Value>{Value(key)},
                                std::vector<Value>{Value(fmt::format("single {}", t))});
                  if (result.created) creations[static_cast<std::size_t>(key)].fetch_add(1);
                  if (result.row.at("k").as_int() != key) record_error("wrong row returned");
                  conflicts.fetch_add(result.conflicts);
                  retries.fetch_add(result.transient_retries);
                } catch (const std::exception& error) {
                  record_error(error.what());
                }
              }
            }
          }
        });
      }
    }  // joins

    EXPECT_EQ(errors.load(), 0) << "first error: " << first_error;
    int wrong = 0;
    for (int key = 0; key < race_keys; ++key)
      if (creations[static_cast<std::size_t>(key)].load() != 1) ++wrong;
    EXPECT_EQ(wrong, 0) << "keys created zero or several times";
    EXPECT_EQ(table.count_rows(), race_keys);
    std::printf(
        "[ race     ] batch %s round %d: %d batch + %d single-key threads x %d keys, %d conflicts, "
        "%d transient retries\n",
        std::string(to_string(GetParam())).c_str(), round + 1, race_batch_threads,
        race_single_threads, race_keys, conflicts.load(), retries.load());
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, BatchRace,
                         ::testing::Values(BatchMethod::multi_row, BatchMethod::per_key),
                         MethodName());

}  // namespace
}  // namespace anydb::conformance
