// Choosing the database and backend from a URL, DATABASE_URL and --trace, as a user meets them:
// the anydb command and anydb-conformance run as processes.

#include "cli_fixture.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <utility>

namespace anydb::test {
namespace {

namespace fs = std::filesystem;

// DATABASE_URL= (empty) counts as unset, so the tests do not depend on the caller's environment.
const std::string no_database_url = "DATABASE_URL=";

std::vector<std::string> trace_lines(const ProcessResult& result) {
  std::vector<std::string> out;
  for (const auto& line : result.err_lines())
    if (line.starts_with("anydb: trace: ")) out.push_back(line);
  return out;
}

TEST_F(CliTest, SqlalchemyUrlWithoutBackendPicksSqlite) {
  const ProcessResult result =
      anydb({"get-or-create", "--db", "sqlite:///url.sqlite3", "1", "1"}, {no_database_url});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count_equal(result.out_lines(), "1 True"), 1);
  EXPECT_TRUE(fs::exists(directory.path() / "url.sqlite3"));
  EXPECT_FALSE(fs::exists(directory.path() / "anydb.sqlite3"));
}

TEST_F(CliTest, SqliteFileUriWithoutBackend) {
  ASSERT_EQ(anydb({"get-or-create", "--db", "file:data.sqlite3", "5"}).exit_code, 0);
  // mode=ro: reading an existing key works, creating one is refused by SQLite.
  const ProcessResult read = anydb({"get-or-create", "--db", "file:data.sqlite3?mode=ro", "--table",
                                    "mymodel", "--key", "my_id", "5"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out, "5 False\n");
}

TEST_F(CliTest, DatabaseUrlIsUsedWhenDbIsAbsent) {
  const ProcessResult result =
      anydb({"get-or-create", "9"}, {"DATABASE_URL=sqlite:///from-env.sqlite3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::exists(directory.path() / "from-env.sqlite3"));
  EXPECT_FALSE(fs::exists(directory.path() / "anydb.sqlite3"));
}

TEST_F(CliTest, DbOverridesDatabaseUrl) {
  const ProcessResult result = anydb({"get-or-create", "--db", "flag.sqlite3", "9"},
                                     {"DATABASE_URL=sqlite:///from-env.sqlite3"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::exists(directory.path() / "flag.sqlite3"));
  EXPECT_FALSE(fs::exists(directory.path() / "from-env.sqlite3"));
}

TEST_F(CliTest, ServerBackendWithoutAUrlSaysSo) {
  const std::pair<const char*, bool> backends[] = {{"postgresql", ANYDB_CLI_TEST_HAVE_POSTGRESQL},
                                                   {"mariadb", ANYDB_CLI_TEST_HAVE_MARIADB},
                                                   {"odbc", ANYDB_CLI_TEST_HAVE_ODBC}};
  for (const auto& [backend, built] : backends) {
    const ProcessResult result =
        anydb({"get-or-create", "--backend", backend, "1"}, {no_database_url});
    EXPECT_EQ(result.exit_code, 2) << backend;
    if (!built) {  // this build has no such plugin: the loader says so first
      EXPECT_NE(result.err.find("unknown backend"), std::string::npos) << result.err;
      continue;
    }
    EXPECT_EQ(result.err,
              fmt::format("anydb: the {} backend needs a database URL: give --db URL or set "
                          "DATABASE_URL (the default anydb.sqlite3 is a SQLite file)\n",
                          backend));
    EXPECT_FALSE(fs::exists(directory.path() / "anydb.sqlite3"));
  }
}

TEST_F(CliTest, UnknownSchemeIsOneLineWithoutTheSecret) {
  const ProcessResult result =
      anydb({"get-or-create", "--db", "nosuch://bob:hunter2@db.example/app", "1"});
  EXPECT_EQ(result.exit_code, 2);
  ASSERT_EQ(result.err_lines().size(), 1U) << result.err;
  EXPECT_NE(result.err.find("no backend opens 'nosuch:' URIs"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("sqlite (sqlite, file)"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("hunter2"), std::string::npos) << result.err;
}

TEST_F(CliTest, TraceFlagPrintsOneLinePerStatementWithoutValues) {
  const ProcessResult result =
      get_or_create({"424242"}, {"--trace", "--set", "name=secret-name-value"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = trace_lines(result);
  ASSERT_FALSE(lines.empty()) << result.err;
  EXPECT_EQ(lines.size(), result.err_lines().size()) << result.err;  // nothing else on stderr
  bool saw_insert = false;
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("424242"), std::string::npos) << line;
    EXPECT_EQ(line.find("secret-name-value"), std::string::npos) << line;
    if (line.find(" execute ") != std::string::npos &&
        line.find("INSERT INTO \"mymodel\"") != std::string::npos) {
      saw_insert = true;
      EXPECT_NE(line.find("[2 params: text(6), text(17)]"), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(saw_insert) << result.err;
  EXPECT_EQ(result.out, "424242 True\n");
}

TEST_F(CliTest, TraceEnvironmentVariable) {
  std::vector<std::string> args{"get-or-create", "--db", db_path(), "1"};
  const ProcessResult traced = anydb(args, {"ANYDB_TRACE=1"});
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  EXPECT_FALSE(trace_lines(traced).empty()) << traced.err;
  const ProcessResult quiet = anydb(args, {"ANYDB_TRACE=0"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST_F(CliTest, ConformanceRunnerHelp) {
  for (const char* flag : {"--help", "-h"}) {
    const ProcessResult result = run_process({ANYDB_CONFORMANCE_PATH, flag});
    EXPECT_EQ(result.exit_code, 0) << flag;
    EXPECT_EQ(result.err, "") << flag;
    EXPECT_NE(result.out.find("usage: anydb-conformance"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("--trace"), std::string::npos);
    EXPECT_EQ(result.out.find("missing value"), std::string::npos);
    EXPECT_EQ(result.out.find("gtest_also_run_disabled_tests"), std::string::npos);
  }
}

TEST_F(CliTest, ConformanceRunnerPicksTheBackendFromTheUrlAndTraces) {
  const ProcessResult result =
      run_process({ANYDB_CONFORMANCE_PATH, "--db", "sqlite:///" + db_path(), "--trace",
                   "--gtest_filter=Placeholders.QuestionMarksBindInOrder"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("backend sqlite"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("anydb: trace: sqlite execute"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("WHERE k = ? OR t = ?"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace anydb::test
