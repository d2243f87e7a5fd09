// Fault injection: the PostgreSQL server is restarted while a multi-threaded get-or-create run
// is in flight. Without reconnecting, every key ends either done or reported failed — nothing
// silent — and no key has two rows; with --reconnect-for, the run reconnects and completes.

#include "pg_support.hpp"
#include "process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace anydb::pgtest {
namespace {

using test::ProcessResult;
using test::run_process;

constexpr int key_count = 20000;  // several seconds of work, so that the restart lands inside

struct RunCounts {
  long long created = 0, existing = 0, failed = 0;
};

RunCounts count(const ProcessResult& result) {
  RunCounts counts;
  for (const auto& line : result.out_lines()) {
    if (line.ends_with(" True"))
      ++counts.created;
    else if (line.ends_with(" False"))
      ++counts.existing;
  }
  for (const auto& line : result.err_lines())
    if (line.find(" Error: ") != std::string::npos) ++counts.failed;
  return counts;
}

// Runs the CLI on key_count new keys and restarts the server half a second into the run. With
// `keys_file`, the keys go through bulk mode (--keys-from) instead of the argument list.
ProcessResult run_with_restart(const Table& table, const std::vector<std::string>& flags,
                               const std::string& keys_file = {}, int keys = key_count) {
  const auto restart = environment("ANYDB_TEST_PG_RESTART");
  if (!restart) throw std::runtime_error(missing_variable_message("ANYDB_TEST_PG_RESTART"));
  std::vector<std::string> args{ANYDB_CLI_PATH, "get-or-create",
                                "--backend",    "postgresql",
                                "--db",         *environment(uri_variable),
                                "--table",      table.name(),
                                "--key",        "k",
                                "--threads",    "4"};
  args.insert(args.end(), flags.begin(), flags.end());
  if (keys_file.empty()) {
    for (int key = 0; key < keys; ++key) args.push_back(std::to_string(key));
  } else {
    std::ofstream file(keys_file);
    for (int key = 0; key < keys; ++key) file << key << '\n';
    args.insert(args.end(), {"--keys-from", keys_file, "--per-key"});
  }

  ProcessResult result;
  std::jthread run([&] { result = run_process(args); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const ProcessResult restarted = run_process({"/bin/sh", *restart});
  EXPECT_EQ(restarted.exit_code, 0) << "the server did not restart";
  run.join();
  return result;
}

using ServerRestart = PgTest;

TEST_F(ServerRestart, EveryKeyIsDoneOrReportedAndNoneTwice) {
  const Table table("restart");
  const ProcessResult result = run_with_restart(table, {});
  const RunCounts counts = count(result);
  EXPECT_EQ(result.exit_code, 1) << "the restart should have failed some keys";
  EXPECT_GT(counts.failed, 0);
  EXPECT_EQ(counts.created + counts.existing + counts.failed, key_count)
      << "a key without an outcome";
  EXPECT_EQ(counts.existing, 0);
  auto connection = connect();
  const auto rows = scalar(*connection, fmt::format("SELECT COUNT(*) FROM {}", table.sql()));
  const auto distinct =
      scalar(*connection, fmt::format("SELECT COUNT(DISTINCT k) FROM {}", table.sql()));
  EXPECT_EQ(rows, distinct) << "a key has two rows";
  // Every reported creation is stored; a COMMIT whose answer was lost in the restart may have
  // stored a row for a key reported failed, never the other way round.
  EXPECT_GE(rows, counts.created);
  EXPECT_LE(rows, counts.created + counts.failed);
}

TEST_F(ServerRestart, ReconnectingRunCompletes) {
  const Table table("restart_reconnect");
  const ProcessResult result = run_with_restart(table, {"--reconnect-for", "30"});
  const RunCounts counts = count(result);
  EXPECT_EQ(result.exit_code, 0) << result.err.substr(0, 2000);
  EXPECT_EQ(counts.failed, 0);
  EXPECT_EQ(counts.created + counts.existing, key_count);
  auto connection = connect();
  EXPECT_EQ(scalar(*connection, fmt::format("SELECT COUNT(*) FROM {}", table.sql())), key_count);
  EXPECT_EQ(scalar(*connection, fmt::format("SELECT COUNT(DISTINCT k) FROM {}", table.sql())),
            key_count);
}

// Bulk mode: the workers keep reconnecting while the server is down, then redo the key or batch
// they held; every key is done once, none fails. Bulk mode is faster than KEY arguments, so it
// gets more keys: the restart must land inside the run, which the "reconnected" lines prove.
void expect_bulk_run_completes(const std::string& table_name, const std::vector<std::string>& flags,
                               int keys) {
  const Table table(table_name);
  const test::TemporaryDirectory directory;
  const ProcessResult result =
      run_with_restart(table, flags, (directory.path() / "keys.txt").string(), keys);
  const RunCounts counts = count(result);
  EXPECT_EQ(result.exit_code, 0) << result.err.substr(0, 2000);
  EXPECT_NE(result.err.find("lost its connection and reconnected after"), std::string::npos)
      << "the restart did not land inside the run: " << result.err.substr(0, 2000);
  EXPECT_EQ(counts.failed, 0);
  EXPECT_EQ(counts.created + counts.existing, keys);
  auto connection = connect();
  EXPECT_EQ(scalar(*connection, fmt::format("SELECT COUNT(*) FROM {}", table.sql())), keys);
  EXPECT_EQ(scalar(*connection, fmt::format("SELECT COUNT(DISTINCT k) FROM {}", table.sql())),
            keys);
}

TEST_F(ServerRestart, ReconnectingBulkRunCompletes) {
  expect_bulk_run_completes("restart_bulk", {"--reconnect-for", "30"}, 100'000);
}

TEST_F(ServerRestart, ReconnectingBatchedBulkRunCompletes) {
  expect_bulk_run_completes("restart_bulk_batch", {"--reconnect-for", "30", "--batch", "50"},
                            400'000);
}

}  // namespace
}  // namespace anydb::pgtest
