// Signals while keys are stuck: a second Ctrl-C or a SIGTERM ends the CLI at once, with a
// summary and a non-zero status, although its workers are blocked in a database call. The
// blocker is a SQLite write lock that this test holds for the whole run (SQLite's busy handler
// would wait 5 s, then fail the keys with Busy): a CLI that waited for its workers would end
// with failed keys (status 1), never with the signal's status.

#include "cli_fixture.hpp"
#include "spawned.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace anydb::test {
namespace {

using namespace std::chrono_literals;

class InterruptTest : public CliTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(get_or_create({"0"}).exit_code, 0);  // the file and the demo table
    lock_.emplace(db_path());
    lock_->exec("BEGIN EXCLUSIVE");
  }

  std::vector<std::string> argv(std::vector<std::string> tail) const {
    std::vector<std::string> args{ANYDB_CLI_PATH, "get-or-create", "--backend",
                                  "sqlite",       "--db",          db_path()};
    args.insert(args.end(), tail.begin(), tail.end());
    return args;
  }

  // Signals the child until it exits: the first signal may be taken before the child installed
  // its handlers, or two may merge into one while it is not scheduled.
  static ProcessResult signal_until_exit(Spawned& child, int number, int limit = 50) {
    for (int i = 0; i < limit && child.running(); ++i) {
      child.signal(number);
      std::this_thread::sleep_for(100ms);
    }
    return child.finish();
  }

  long long rows_after_unlock() {
    lock_->exec("ROLLBACK");
    return rows();
  }

  std::optional<SqliteFile> lock_;
};

TEST_F(InterruptTest, SigtermEndsPositionalKeysAtOnceWithASummary) {
  Spawned child(argv({"5", "6", "7"}), directory.path());
  std::this_thread::sleep_for(300ms);  // the threads are waiting for the lock
  const ProcessResult result = signal_until_exit(child, SIGTERM);
  EXPECT_EQ(result.exit_code, 143) << result.err;
  EXPECT_EQ(result.err_lines().size(), 1u) << result.err;
  EXPECT_NE(result.err.find("anydb: terminated by SIGTERM: 0 of 3 keys done"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(rows_after_unlock(), 1) << "only the set-up's key";
}

TEST_F(InterruptTest, SecondCtrlCEndsBulkAtOnceWithASummary) {
  Spawned child(argv({"--keys-from", "-", "--threads", "2", "--format", "json"}), directory.path());
  child.write("5\n6\n7\n");
  std::this_thread::sleep_for(300ms);
  const ProcessResult result = signal_until_exit(child, SIGINT);
  EXPECT_EQ(result.exit_code, 130) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  EXPECT_EQ(summary.at("terminated"), true);
  EXPECT_EQ(summary.at("interrupted"), true);
  EXPECT_EQ(summary.at("keys"), 0);
  EXPECT_EQ(summary.at("abandoned"), 3);
  EXPECT_EQ(rows_after_unlock(), 1);
}

TEST_F(InterruptTest, SigtermEndsBulkAtOnceWithATextSummary) {
  Spawned child(argv({"--keys-from", "-", "--threads", "2"}), directory.path());
  child.write("5\n6\n");
  std::this_thread::sleep_for(300ms);
  const ProcessResult result = signal_until_exit(child, SIGTERM);
  EXPECT_EQ(result.exit_code, 143) << result.err;
  EXPECT_NE(result.err.find("anydb: 0 keys in"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("anydb: terminated by SIGTERM: 2 keys read but not finished"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(rows_after_unlock(), 1);
}

TEST_F(InterruptTest, FirstCtrlCLetsPositionalKeysInHandFinish) {
  // One worker: it holds key 5 (waiting for the lock); 6 and 7 are not started after Ctrl-C.
  Spawned child(argv({"--threads", "1", "5", "6", "7"}), directory.path());
  std::this_thread::sleep_for(300ms);
  child.signal(SIGINT);
  std::this_thread::sleep_for(300ms);
  lock_->exec("ROLLBACK");  // key 5 can now finish
  const ProcessResult result = child.finish();
  EXPECT_EQ(result.exit_code, 130) << result.err;
  EXPECT_EQ(result.out, "5 True\n");
  EXPECT_NE(result.err.find("anydb: interrupted by SIGINT: 1 of 3 keys done, 2 not started"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(rows(), 2);
}

}  // namespace
}  // namespace anydb::test
