// The anydb command's main job, as a user runs it.

#include "cli_fixture.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace anydb::test {
namespace {

TEST_F(CliTest, SameKeyInEightThreadsIsCreatedExactlyOnce) {
  const ProcessResult result = get_or_create({"7", "7", "7", "7", "7", "7", "7", "7"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  EXPECT_EQ(lines.size(), 8u);
  EXPECT_EQ(count_equal(lines, "7 True"), 1);
  EXPECT_EQ(count_equal(lines, "7 False"), 7);
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(rows(), 1);
}

TEST_F(CliTest, FiftyKeysGivenFourTimesEachMakeFiftyRows) {
  std::vector<std::string> keys;
  for (int repeat = 0; repeat < 4; ++repeat)
    for (int key = 1; key <= 50; ++key) keys.push_back(std::to_string(key));
  const ProcessResult result = get_or_create(keys);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  EXPECT_EQ(lines.size(), 200u);
  for (int key = 1; key <= 50; ++key) {
    EXPECT_EQ(count_equal(lines, fmt::format("{} True", key)), 1) << key;
    EXPECT_EQ(count_equal(lines, fmt::format("{} False", key)), 3) << key;
  }
  EXPECT_EQ(rows(), 50);
  SqliteFile file(db_path());
  EXPECT_EQ(file.scalar("SELECT COUNT(DISTINCT my_id) FROM mymodel"), 50);
}

TEST_F(CliTest, RepeatedRunsFindTheRowsAgain) {
  ASSERT_EQ(get_or_create({"1", "2"}).exit_code, 0);
  const ProcessResult again = get_or_create({"1", "2", "3"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto lines = again.out_lines();
  EXPECT_EQ(count_equal(lines, "1 False"), 1);
  EXPECT_EQ(count_equal(lines, "2 False"), 1);
  EXPECT_EQ(count_equal(lines, "3 True"), 1);
  EXPECT_EQ(rows(), 3);
}

TEST_F(CliTest, WorkerPoolHandlesManyKeys) {
  std::vector<std::string> keys;
  for (int key = 0; key < 300; ++key) keys.push_back(std::to_string(key % 100));
  const ProcessResult result = get_or_create(keys, {"--threads", "4"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  EXPECT_EQ(lines.size(), 300u);
  long long created = 0;
  for (const auto& line : lines) created += line.ends_with(" True");
  EXPECT_EQ(created, 100);
  EXPECT_EQ(rows(), 100);
}

TEST_F(CliTest, UpsertStrategyCreatesOnce) {
  const ProcessResult result =
      get_or_create({"9", "9", "9", "9", "9", "9"}, {"--strategy", "upsert"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count_equal(result.out_lines(), "9 True"), 1);
  EXPECT_EQ(count_equal(result.out_lines(), "9 False"), 5);
  EXPECT_EQ(rows(), 1);
}

TEST_F(CliTest, NaiveStrategyShowsTheDuplicateKeyRace) {
  // Unprotected SELECT-then-INSERT: threads that lose the race die with a duplicate-key error,
  // which is exactly what the safe strategies exist to prevent. Races are probabilistic, so
  // several runs with many colliding threads; every one must keep the table intact.
  std::vector<std::string> keys;
  for (int repeat = 0; repeat < 16; ++repeat)
    for (int key = 1; key <= 8; ++key) keys.push_back(std::to_string(key));
  int runs_with_violations = 0;
  for (int run = 0; run < 10 && runs_with_violations == 0; ++run) {
    std::filesystem::remove(db_path());
    const ProcessResult result = get_or_create(keys, {"--strategy", "naive"});
    const auto errors = result.err_lines();
    for (const auto& line : errors)
      EXPECT_NE(line.find("Error: unique_violation"), std::string::npos) << line;
    EXPECT_EQ(result.exit_code, errors.empty() ? 0 : 1);
    EXPECT_EQ(result.out_lines().size() + errors.size(), keys.size());
    EXPECT_EQ(rows(), 8);
    runs_with_violations += errors.empty() ? 0 : 1;
  }
  EXPECT_GT(runs_with_violations, 0)
      << "the naive strategy never lost a race in 10 runs of 128 threads";
}

TEST_F(CliTest, EmbeddedDefaultNeedsNoSetUp) {
  const ProcessResult result = anydb({"get-or-create", "1", "1", "1", "1", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count_equal(result.out_lines(), "1 True"), 1);
  EXPECT_EQ(count_equal(result.out_lines(), "1 False"), 4);
  ASSERT_TRUE(std::filesystem::exists(directory.path() / "anydb.sqlite3"));
  SqliteFile file(directory.path() / "anydb.sqlite3");
  EXPECT_EQ(file.scalar("SELECT COUNT(*) FROM mymodel"), 1);
}

TEST_F(CliTest, CustomTableKeyAndDefaults) {
  {
    // Create the database file and the user's table first.
    const ProcessResult init = get_or_create({"0"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    SqliteFile file(db_path());
    file.exec(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, "
        "visits INTEGER DEFAULT 0)");
    file.exec("INSERT INTO people (email, name) VALUES ('old@example.org', 'Old')");
  }
  const ProcessResult result = get_or_create(
      {"new@example.org", "new@example.org", "old@example.org"},
      {"--table", "people", "--key", "email", "--set", "name=New Person", "--set", "visits=3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count_equal(result.out_lines(), "new@example.org True"), 1);
  EXPECT_EQ(count_equal(result.out_lines(), "new@example.org False"), 1);
  EXPECT_EQ(count_equal(result.out_lines(), "old@example.org False"), 1);
  SqliteFile file(db_path());
  EXPECT_EQ(file.scalar("SELECT COUNT(*) FROM people"), 2);
  EXPECT_EQ(file.text("SELECT name FROM people WHERE email = 'new@example.org'"), "New Person");
  EXPECT_EQ(file.scalar("SELECT visits FROM people WHERE email = 'new@example.org'"), 3);
  EXPECT_EQ(file.text("SELECT name FROM people WHERE email = 'old@example.org'"), "Old")
      << "defaults must not touch an existing row";
}

TEST_F(CliTest, JsonOutputHasOneObjectPerKey) {
  const ProcessResult result = get_or_create({"5", "5", "6"}, {"--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  ASSERT_EQ(lines.size(), 3u);
  int created = 0;
  std::set<std::string> keys;
  for (const auto& line : lines) {
    const auto object = nlohmann::json::parse(line);
    keys.insert(object.at("key").get<std::string>());
    created += object.at("created").get<bool>();
    EXPECT_GE(object.at("attempts").get<int>(), 1);
    EXPECT_EQ(object.at("row").at("my_id").get<long long>(),
              std::stoll(object.at("key").get<std::string>()));
  }
  EXPECT_EQ(created, 2);
  EXPECT_EQ(keys, (std::set<std::string>{"5", "6"}));
}

TEST_F(CliTest, JsonOutputReportsFailuresAsObjects) {
  std::vector<std::string> keys(32, "3");
  const ProcessResult result = get_or_create(keys, {"--format", "json", "--strategy", "naive"});
  for (const auto& line : result.out_lines()) {
    const auto object = nlohmann::json::parse(line);
    if (object.contains("error")) {
      EXPECT_EQ(object["error"]["kind"], "unique_violation");
    }
  }
  EXPECT_EQ(result.out_lines().size(), keys.size());
}

TEST_F(CliTest, BackendsListsTheSqlitePlugin) {
  const ProcessResult result = anydb({"backends"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  bool found = false;
  for (const auto& line : result.out_lines())
    found = found || (line.starts_with("sqlite ") &&
                      line.find("anydb-backend-sqlite.so") != std::string::npos);
  EXPECT_TRUE(found) << result.out;

  const ProcessResult json = anydb({"backends", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto object = nlohmann::json::parse(json.out);
  bool listed = false;
  for (const auto& backend : object.at("backends"))
    listed = listed || (backend.at("name") == "sqlite" && backend.contains("version"));
  EXPECT_TRUE(listed) << json.out;
  EXPECT_FALSE(object.at("search_path").empty());
}

TEST_F(CliTest, BackendByExplicitPath) {
  const ProcessResult result =
      anydb({"get-or-create", "--backend", ANYDB_SQLITE_PLUGIN_PATH, "--db", db_path(), "4", "4"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count_equal(result.out_lines(), "4 True"), 1);
}

TEST_F(CliTest, VersionAndHelp) {
  const ProcessResult version = anydb({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("anydb ")) << version.out;
  const ProcessResult help = anydb({"get-or-create", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--strategy"), std::string::npos);
}

}  // namespace
}  // namespace anydb::test
