// The anydb command against a real MariaDB server through the native backend, as a process:
// eight threads racing for one key, and 200 keys each raced by 8 worker threads, counted in the
// table afterwards.

#include "process.hpp"
#include "support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace anydb::mariadb_test {
namespace {

using test::ProcessResult;
using test::run_process;

ProcessResult anydb_cli(std::vector<std::string> args) {
  args.insert(args.begin(), ANYDB_CLI_PATH);
  return run_process(args);
}

constexpr std::string_view demo_columns = "id {id}, my_id INTEGER NOT NULL UNIQUE, name TEXT";

TEST(Cli, EightThreadsCreateOneKeyExactlyOnce) {
  for (const char* backend : {"mariadb", "mysql"}) {
    const Table table("cli", demo_columns);
    std::vector<std::string> args{"get-or-create", "--backend",  backend, "--db", uri(),
                                  "--table",       table.name(), "--key", "my_id"};
    for (int i = 0; i < 8; ++i) args.emplace_back("7");
    const ProcessResult result = anydb_cli(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    const auto lines = result.out_lines();
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "7 True"), 1) << result.out;
    EXPECT_EQ(std::count(lines.begin(), lines.end(), "7 False"), 7) << result.out;
    EXPECT_EQ(table.count(), 1);
    std::printf("[ cli      ] --backend %s, 8 threads on key 7: %lld row(s)\n", backend,
                static_cast<long long>(table.count()));
  }
}

TEST(Cli, TwoHundredKeysEightThreadsEachKeyCreatedOnce) {
  constexpr int keys = 200;
  constexpr int copies = 8;
  const Table table("cli200", demo_columns);
  const test::TemporaryDirectory directory;
  const auto keys_file = directory.path() / "keys.txt";
  {
    std::ofstream out(keys_file);
    for (int round = 0; round < copies; ++round)
      for (int key = 1; key <= keys; ++key) out << key << '\n';
  }
  for (const char* isolation : {"repeatable_read", "read_committed", "serializable"}) {
    connect()->execute_script(fmt::format("DELETE FROM {}", table.quoted()));
    const ProcessResult result =
        anydb_cli({"get-or-create", "--backend", "mariadb", "--db", uri(), "--table", table.name(),
                   "--key", "my_id", "--isolation", isolation, "--threads", "8", "--per-key",
                   "--keys-from", keys_file.string()});
    ASSERT_EQ(result.exit_code, 0) << isolation << ": " << result.err;
    std::map<std::string, int> created;
    for (const std::string& line : result.out_lines())
      if (line.ends_with(" True")) ++created[line.substr(0, line.size() - 5)];
    EXPECT_EQ(created.size(), static_cast<std::size_t>(keys)) << isolation;
    EXPECT_TRUE(std::all_of(created.begin(), created.end(), [](const auto& entry) {
      return entry.second == 1;
    })) << isolation;
    EXPECT_EQ(result.out_lines().size(), static_cast<std::size_t>(keys * copies)) << isolation;
    const auto connection = connect();
    EXPECT_EQ(table.count(), keys) << isolation;
    EXPECT_EQ(
        connection->execute(fmt::format("SELECT COUNT(DISTINCT my_id) FROM {}", table.quoted()))
            .rows.at(0)[0]
            .as_int(),
        keys);
    std::printf("[ cli      ] %s: %d keys x %d copies on 8 threads: %lld rows, %zu created\n",
                isolation, keys, copies, static_cast<long long>(table.count()), created.size());
  }
}

}  // namespace
}  // namespace anydb::mariadb_test

namespace anydb::mariadb_test {
namespace {

// mariadb:// and mysql:// pick the native backend without --backend.
TEST(Cli, UrlAloneChoosesMariadb) {
  const Table table("cliurl", demo_columns);
  const std::string url = uri();
  ASSERT_TRUE(url.starts_with("mariadb://")) << "ANYDB_TEST_MARIADB_URI: expected mariadb://";
  const std::string as_mysql = "mysql" + url.substr(std::string_view("mariadb").size());
  int created = 0;
  for (const std::string& db : {url, as_mysql}) {
    const ProcessResult result = anydb_cli({"get-or-create", "--db", db, "--table", table.name(),
                                            "--key", "my_id", "--trace", "8813571"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    created += result.out == "8813571 True\n" ? 1 : 0;
    EXPECT_NE(result.err.find("anydb: trace: mariadb execute"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("8813571"), std::string::npos) << result.err;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(table.count(), 1);
}

}  // namespace
}  // namespace anydb::mariadb_test
