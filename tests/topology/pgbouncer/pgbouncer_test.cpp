// PgBouncer 1.18 in transaction pooling mode (scripts/with-pgbouncer.sh: default_pool_size = 4)
// in front of PostgreSQL. With pooler=transaction, 16 threads race for the same keys through
// at most 4 server sessions, inside run_transaction, at READ COMMITTED and SERIALIZABLE, with
// the safe strategy and with upsert: exactly one creation per key, one row per key (counted by
// a direct connection to the server), no error. Without pooler=transaction the failure says in
// one line which URI option fixes it. The CLI races through PgBouncer too.

#include "key_race.hpp"
#include "pg_support.hpp"
#include "process.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <thread>
#include <vector>

#include <unistd.h>

namespace anydb::pgtest {
namespace {

constexpr const char* pooled_uri_variable = "ANYDB_TEST_PGBOUNCER_URI";
constexpr const char* raw_uri_variable = "ANYDB_TEST_PGBOUNCER_RAW_URI";
constexpr int thread_count = 16;
constexpr int key_count = 40;
constexpr int rounds = 3;

std::string pooled_uri() {
  const auto uri = environment(pooled_uri_variable);
  if (!uri)
    throw std::runtime_error(fmt::format(
        "{} is not set: PgBouncer was not started; run the test under scripts/with-pgbouncer.sh "
        "inside scripts/with-postgres.sh",
        pooled_uri_variable));
  return *uri;
}

// Server sessions that PgBouncer opened for this process carry this application_name (PgBouncer
// hands the client's on to the server session it lends).
std::string application_name() { return fmt::format("anydb_pgbouncer_test_{}", ::getpid()); }

ConnectionPtr connect_pooled(std::optional<IsolationLevel> level = std::nullopt) {
  ConnectionPtr connection = anydb::connect(
      backend(),
      Uri::parse(fmt::format("{}&application_name={}", pooled_uri(), application_name())));
  if (level) connection->set_isolation_level(*level);
  return connection;
}

class PgBouncer : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    for (const char* name :
         {pooled_uri_variable, raw_uri_variable, "ANYDB_TEST_PGBOUNCER_CONNINFO"})
      if (!environment(name))
        GTEST_FAIL() << name << " is not set: run the test under scripts/with-pgbouncer.sh";
  }
};

struct RaceParam {
  IsolationLevel level;
  Strategy strategy;
};

std::string param_name(const ::testing::TestParamInfo<RaceParam>& info) {
  return fmt::format("{}_{}", to_string(info.param.level), to_string(info.param.strategy));
}

class Race : public PgBouncer, public ::testing::WithParamInterface<RaceParam> {};

TEST_P(Race, ExactlyOneCreationPerKeyThroughFewerServerSessionsThanThreads) {
  const RaceParam param = GetParam();
  std::vector<ConnectionPtr> connections;
  for (int t = 0; t < thread_count; ++t) connections.push_back(connect_pooled(param.level));

  for (int round = 1; round <= rounds; ++round) {
    const Table table("pgbouncer");  // made and counted over a direct connection
    const GetOrCreate operation(connections.front()->dialect(),
                                GetOrCreateSpec{table.name(), {"k"}, {"name"}, param.strategy, {}});
    const std::string other_work = fmt::format("SELECT count(*) FROM {}", table.sql());
    KeyRaceTally tally(key_count);
    race_every_key(
        connections, key_count,
        [&](Connection& connection, int key, std::size_t thread) {
          const std::vector<Value> key_values{Value(key)};
          const std::vector<Value> defaults{Value(fmt::format("thread {}", thread))};
          TransactionRunStats stats;
          int conflicts = 0;
          GetOrCreateResult result = run_transaction(
              connection,
              [&](Connection& in_transaction) {
                (void)in_transaction.execute(other_work);  // takes the snapshot
                GetOrCreateResult attempt = operation(in_transaction, key_values, defaults);
                conflicts += attempt.conflicts;
                return attempt;
              },
              RetryPolicy{}, AccessMode::read_write, &stats);
          result.conflicts = conflicts;
          return KeyCall{std::move(result), stats.transient_retries};
        },
        tally);
    expect_each_key_created_once(tally, key_count, table.count_rows(), round);
    std::printf("[ pgbouncer ] %s round %d: %d threads x %d keys: %d conflicts, %d retries\n",
                param_name({param, 0}).c_str(), round, thread_count, key_count,
                tally.conflicts.load(), tally.retries.load());
  }

  // The pooler really stood between: the server saw at most default_pool_size sessions of ours.
  const ConnectionPtr admin = connect_admin();
  const std::int64_t sessions =
      scalar(*admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
             {Value(application_name())});
  const int pool_size = std::stoi(environment("ANYDB_TEST_PGBOUNCER_POOL_SIZE").value_or("4"));
  EXPECT_GE(sessions, 1);
  EXPECT_LE(sessions, pool_size) << "more server sessions than PgBouncer's pool";
  std::printf("[ pgbouncer ] %s: %d client connections, %lld server sessions\n",
              param_name({param, 0}).c_str(), thread_count, static_cast<long long>(sessions));
}

INSTANTIATE_TEST_SUITE_P(
    TransactionPooling, Race,
    ::testing::Values(RaceParam{IsolationLevel::read_committed, Strategy::safe},
                      RaceParam{IsolationLevel::read_committed, Strategy::upsert},
                      RaceParam{IsolationLevel::serializable, Strategy::safe},
                      RaceParam{IsolationLevel::serializable, Strategy::upsert}),
    param_name);

// The isolation level reaches the server with each BEGIN, whichever session PgBouncer lends,
// and leaves the other clients' sessions at the server's default.
TEST_F(PgBouncer, IsolationLevelGoesWithEveryBegin) {
  const ConnectionPtr serializable = connect_pooled(IsolationLevel::serializable);
  // The keyword/value form, over PgBouncer's Unix socket, takes pooler=transaction too.
  const ConnectionPtr plain = anydb::connect(
      backend(), Uri::parse(environment("ANYDB_TEST_PGBOUNCER_CONNINFO").value_or("")));
  for (int i = 0; i < 20; ++i) {
    serializable->begin();
    const Result level = serializable->execute("SELECT current_setting('transaction_isolation')");
    EXPECT_EQ(level.rows.at(0)[0].as_text(), "serializable");
    serializable->commit();
    const Result other = plain->execute("SELECT current_setting('transaction_isolation')");
    EXPECT_EQ(other.rows.at(0)[0].as_text(), "read committed");
  }
}

// Without pooler=transaction a prepared statement made on one server session is executed on
// another: the error says which URI option fixes it, in one line.
TEST_F(PgBouncer, WithoutTheOptionTheErrorNamesIt) {
  const std::string raw = *environment(raw_uri_variable);
  const ConnectionPtr holder = anydb::connect(backend(), Uri::parse(raw));
  const ConnectionPtr client = anydb::connect(backend(), Uri::parse(raw));
  std::optional<std::string> message;
  // PgBouncer lends the most recently released session first: the statement is prepared on one
  // session while `holder` keeps another in a transaction; once `holder` lets go, its session
  // is the one lent next. A few tries, in case the pool hands them out otherwise.
  for (int attempt = 0; attempt < 20 && !message; ++attempt) {
    holder->begin();
    (void)holder->execute("SELECT 1");
    try {
      (void)client->execute(fmt::format("SELECT {} + $1::int", attempt), {Value(1)});
      holder->commit();
      (void)client->execute(fmt::format("SELECT {} + $1::int", attempt), {Value(1)});
    } catch (const ConfigurationError& error) {
      message = error.what();
    } catch (const std::exception& other) {
      ADD_FAILURE() << "expected anydb::ConfigurationError, got: " << other.what();
      break;
    }
    if (holder->in_transaction()) holder->rollback();
  }
  ASSERT_TRUE(message) << "every statement ran: PgBouncer lent the same session each time";
  EXPECT_EQ(message->find('\n'), std::string::npos) << *message;
  EXPECT_NE(message->find("pooler=transaction"), std::string::npos) << *message;
  EXPECT_NE(message->find("does not exist"), std::string::npos) << *message;
  std::printf("[ pgbouncer ] without the option: %s\n", message->c_str());
}

TEST_F(PgBouncer, CliRacesThroughThePooler) {
  const Table table("pgbouncer_cli",
                    "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                    "my_id INTEGER NOT NULL UNIQUE, name TEXT");
  constexpr int keys = 50;
  std::vector<std::string> args{ANYDB_CLI_PATH, "get-or-create", "--db",  pooled_uri(), "--table",
                                table.name(),   "--key",         "my_id", "--threads",  "16"};
  for (int copy = 0; copy < 4; ++copy)
    for (int key = 0; key < keys; ++key) args.push_back(std::to_string(key));
  const test::ProcessResult result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const auto lines = result.out_lines();
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(4 * keys));
  int created = 0;
  for (const std::string& line : lines) created += line.ends_with(" True") ? 1 : 0;
  EXPECT_EQ(created, keys) << result.out;
  EXPECT_EQ(table.count_rows(), keys);
}

}  // namespace
}  // namespace anydb::pgtest
