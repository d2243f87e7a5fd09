// Several --db: threads are spread over the servers round-robin, each with its own connection;
// the output is as with one, and the JSON summary says what each server's workers did. Here
// the servers are three independent SQLite files, so each file's rows are exactly what its
// workers created.

#include "cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace anydb::test {
namespace {

class SeveralServersTest : public CliTest {
 protected:
  [[nodiscard]] std::string file(int n) const {
    return (directory.path() / ("server" + std::to_string(n) + ".sqlite3")).string();
  }
  [[nodiscard]] std::vector<std::string> three_dbs() const {
    return {"--db", file(0), "--db", file(1), "--db", file(2)};
  }
  [[nodiscard]] static long long rows_in(const std::string& path) {
    SqliteFile db(path);
    return db.scalar("SELECT COUNT(*) FROM mymodel");
  }
};

TEST_F(SeveralServersTest, BulkWorkersAreSpreadRoundRobinAndCountedPerServer) {
  const auto keys = directory.path() / "keys.txt";
  {
    std::ofstream out(keys);
    for (int key = 1; key <= 3000; ++key) out << key << '\n';
  }
  std::vector<std::string> args{"get-or-create", "--keys-from", keys.string(), "--threads", "6",
                                "--format",      "json"};
  for (const std::string& flag : three_dbs()) args.push_back(flag);
  const ProcessResult result = anydb(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  EXPECT_EQ(summary.at("keys"), 3000);
  const auto& servers = summary.at("servers");
  ASSERT_EQ(servers.size(), 3u) << result.out;
  long long total = 0;
  for (int n = 0; n < 3; ++n) {
    EXPECT_EQ(servers[n].at("db"), file(n));
    const long long created = servers[n].at("created").get<long long>();
    EXPECT_EQ(servers[n].at("keys").get<long long>(), created) << "fresh files: all created";
    EXPECT_EQ(rows_in(file(n)), created) << "server " << n << " stores what its workers created";
    total += created;
  }
  EXPECT_EQ(total, 3000);
}

TEST_F(SeveralServersTest, PositionalKeysGoRoundRobinWithUnchangedOutput) {
  std::vector<std::string> args{"get-or-create"};
  for (const std::string& flag : three_dbs()) args.push_back(flag);
  for (const char* key : {"1", "2", "3", "4", "5", "6"}) args.push_back(key);
  const ProcessResult result = anydb(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out_lines().size(), 6u) << result.out;
  EXPECT_EQ(count_equal(result.out_lines(), "1 True") + count_equal(result.out_lines(), "4 True"),
            2);
  // One thread per key, key i on server i mod 3: two keys in each file.
  for (int n = 0; n < 3; ++n) EXPECT_EQ(rows_in(file(n)), 2) << "server " << n;
}

TEST_F(SeveralServersTest, FewerThreadsThanServersAndMixedBackendsAreRefused) {
  std::vector<std::string> args{"get-or-create", "--threads", "2"};
  for (const std::string& flag : three_dbs()) args.push_back(flag);
  args.push_back("1");
  ProcessResult result = anydb(args);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err_lines().size(), 1u) << result.err;
  EXPECT_NE(result.err.find("--threads 2 is fewer than the 3 --db given"), std::string::npos)
      << result.err;

  result = anydb({"get-or-create", "--db", file(0), "--db",
                  "postgresql://someone:hunter2@127.0.0.1:1/nothing", "1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err_lines().size(), 1u) << result.err;
  EXPECT_NE(result.err.find("every --db must use the same backend"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("hunter2"), std::string::npos) << "the password is redacted";
}

}  // namespace
}  // namespace anydb::test
