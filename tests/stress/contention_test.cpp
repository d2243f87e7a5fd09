// Heavy contention on the recommended path (issue 14): 16 threads, each with its own connection,
// walk the same 500 keys in different orders, 3 rounds (a fresh table each), at SERIALIZABLE and
// REPEATABLE READ, on PostgreSQL (native and through psqlODBC) and MariaDB (through its ODBC
// driver). Every call is one get_or_create (safe or upsert) inside anydb::run_transaction with
// the default RetryPolicy. Required: no call escapes with an error, exactly one creation per key,
// one row per key. Printed per case: the distribution of attempts per call and the wall time
// (docs/reliability.md, "Contention", quotes them).
//
// The scale can be changed for a run by ANYDB_CONTENTION_THREADS, ANYDB_CONTENTION_KEYS and
// ANYDB_CONTENTION_ROUNDS; under ThreadSanitizer (which slows everything tenfold) the defaults
// shrink to 4 threads x 100 keys x 1 round, which still races every key.

#include <anydb/anydb.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__)
#define ANYDB_CONTENTION_SMALL 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ANYDB_CONTENTION_SMALL 1
#endif
#endif

namespace anydb {
namespace {

#ifdef ANYDB_CONTENTION_SMALL
constexpr std::array<int, 3> default_scale{4, 100, 1};
#else
constexpr std::array<int, 3> default_scale{16, 500, 3};
#endif

int scale_from(const char* variable, int fallback) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') return fallback;
  const int parsed = std::atoi(value);
  return parsed > 0 ? parsed : fallback;
}

const int thread_count = scale_from("ANYDB_CONTENTION_THREADS", default_scale[0]);
const int key_count = scale_from("ANYDB_CONTENTION_KEYS", default_scale[1]);
const int round_count = scale_from("ANYDB_CONTENTION_ROUNDS", default_scale[2]);

struct Target {
  const char* name;          // in test names and output
  const char* plugin;        // backend to load
  const char* uri_variable;  // exported by scripts/with-databases.sh
};

constexpr std::array<Target, 4> targets{{
    {"postgresql", "postgresql", "ANYDB_TEST_PG_URI"},
    {"odbc_postgresql", "odbc", "ANYDB_TEST_ODBC_PG_URI"},
    {"mariadb", "mariadb", "ANYDB_TEST_MARIADB_URI"},
    {"odbc_mariadb", "odbc", "ANYDB_TEST_ODBC_MARIADB_URI"},
}};

struct Case {
  std::size_t target;
  IsolationLevel level;
  Strategy strategy;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return fmt::format("{}_{}_{}", targets.at(info.param.target).name, to_string(info.param.level),
                     to_string(info.param.strategy));
}

std::shared_ptr<Backend> load_backend(const char* plugin) {
  static PluginLoader loader;
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  return loader.load(plugin);
}

// Attempts per call: exact counts up to 8, then 9-16, 17-32, ...
class AttemptHistogram {
 public:
  void add(int attempts) {
    const std::lock_guard lock(mutex_);
    ++counts_[bucket(attempts)];
    max_ = std::max(max_, attempts);
    total_ += 1;
  }
  [[nodiscard]] std::string to_string() const {
    std::string out;
    for (const auto& [low, count] : counts_) {
      const int high = low <= 8 ? low : (low - 1) * 2;
      out += low == high ? fmt::format("{}: {}  ", low, count)
                         : fmt::format("{}-{}: {}  ", low, high, count);
    }
    return out + fmt::format("(max {})", max_);
  }
  [[nodiscard]] int max() const noexcept { return max_; }

 private:
  static int bucket(int attempts) {
    if (attempts <= 8) return attempts;
    int low = 9;
    while (attempts > (low - 1) * 2) low = (low - 1) * 2 + 1;
    return low;
  }
  std::mutex mutex_;
  std::map<int, long> counts_;
  int max_ = 0;
  long total_ = 0;
};

struct RoundTally {
  explicit RoundTally(int keys) : creations(static_cast<std::size_t>(keys)) {}
  std::vector<std::atomic<int>> creations;
  std::atomic<int> escapes{0};
  std::atomic<int> wrong_rows{0};
  std::mutex mutex;
  std::map<std::string, int> escape_kinds;

  void record_escape(const std::string& what) {
    escapes.fetch_add(1);
    const std::lock_guard lock(mutex);
    ++escape_kinds[what.substr(0, 160)];
  }
};

class Contention : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Target& target = targets.at(GetParam().target);
    const char* uri = std::getenv(target.uri_variable);
    ASSERT_TRUE(uri != nullptr && *uri != '\0')
        << target.uri_variable << " is not set: run the tests through scripts/with-databases.sh";
    uri_ = Uri::parse(uri);
    backend_ = load_backend(target.plugin);
  }

  [[nodiscard]] ConnectionPtr connect(std::optional<IsolationLevel> level = std::nullopt) const {
    ConnectionPtr connection = anydb::connect(backend_, uri_);
    if (level) connection->set_isolation_level(*level);
    return connection;
  }

  // Runs one round on a fresh table; adds its escapes and creations.
  void run_round(int round, std::vector<ConnectionPtr>& connections, AttemptHistogram& histogram,
                 int& escapes, int& creations);

  Uri uri_;
  std::shared_ptr<Backend> backend_;
};

void Contention::run_round(int round, std::vector<ConnectionPtr>& connections,
                           AttemptHistogram& histogram, int& escapes, int& creations) {
  const Case param = GetParam();
  ConnectionPtr admin = connect();
  const std::string table =
      fmt::format("anydb_contention_{}_{}_{}", ::getpid(), targets.at(param.target).name, round);
  const std::string quoted = admin->dialect().quote_identifier(table);
  admin->execute_script(
      fmt::format("CREATE TABLE {} (k BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100))", quoted));
  const GetOrCreate operation(admin->dialect(),
                              GetOrCreateSpec{table, {"k"}, {"name"}, param.strategy, {}});

  RoundTally tally(key_count);
  std::barrier start(thread_count);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < thread_count; ++t) {
      threads.emplace_back([&, t] {
        Connection& connection = *connections[static_cast<std::size_t>(t)];
        std::vector<int> order(static_cast<std::size_t>(key_count));
        std::iota(order.begin(), order.end(), 0);
        std::mt19937 shuffle_with(static_cast<unsigned>(round * 1000 + t));
        std::shuffle(order.begin(), order.end(), shuffle_with);
        const std::vector<Value> defaults{Value(fmt::format("thread {}", t))};
        start.arrive_and_wait();
        for (int key : order) {
          const std::vector<Value> key_values{Value(key)};
          TransactionRunStats stats;
          try {
            const GetOrCreateResult result = run_transaction(
                connection,
                [&](Connection& in_transaction) {
                  return operation(in_transaction, key_values, defaults);
                },
                RetryPolicy{}, AccessMode::read_write, &stats);
            if (result.created) tally.creations[static_cast<std::size_t>(key)].fetch_add(1);
            if (result.row.at("k").as_int() != key) tally.wrong_rows.fetch_add(1);
          } catch (const std::exception& error) {
            tally.record_escape(error.what());
          }
          histogram.add(stats.attempts);
        }
      });
    }
  }

  int wrong = 0;
  for (const auto& count : tally.creations) {
    if (count.load() != 1) ++wrong;
    creations += count.load();
  }
  EXPECT_EQ(wrong, 0) << "round " << round << ": keys created zero or several times";
  EXPECT_EQ(tally.wrong_rows.load(), 0) << "round " << round;
  const Result rows = admin->execute(fmt::format("SELECT COUNT(*) FROM {}", quoted));
  EXPECT_EQ(rows.rows.at(0)[0].as_int(), key_count) << "round " << round;
  for (const auto& [what, count] : tally.escape_kinds)
    ADD_FAILURE() << "round " << round << ": " << count << " call(s) escaped with: " << what;
  admin->execute_script(fmt::format("DROP TABLE {}", quoted));
  escapes += tally.escapes.load();
}

TEST_P(Contention, DefaultRetryLetsNothingEscape) {
  const Case param = GetParam();
  {
    ConnectionPtr probe = connect();
    if (param.strategy == Strategy::upsert && probe->dialect().upsert == Dialect::Upsert::none)
      GTEST_SKIP() << "capability: " << targets.at(param.target).name
                   << " declares no single-statement upsert";
  }
  std::vector<ConnectionPtr> connections;
  for (int t = 0; t < thread_count; ++t) connections.push_back(connect(param.level));

  AttemptHistogram histogram;
  int escapes = 0, creations = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int round = 1; round <= round_count; ++round)
    run_round(round, connections, histogram, escapes, creations);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;

  std::printf(
      "[ contention ] %s: %d threads x %d keys x %d rounds = %d calls, %d escapes, %d creations, "
      "%.1f s\n[ contention ]   attempts per call: %s\n",
      case_name({param, 0}).c_str(), thread_count, key_count, round_count,
      thread_count * key_count * round_count, escapes, creations, wall.count(),
      histogram.to_string().c_str());
  std::fflush(stdout);
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (std::size_t target = 0; target < targets.size(); ++target)
    for (auto level : {IsolationLevel::serializable, IsolationLevel::repeatable_read})
      for (auto strategy : {Strategy::safe, Strategy::upsert})
        cases.push_back({target, level, strategy});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Heavy, Contention, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace anydb
