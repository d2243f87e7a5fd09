// The anydb command end to end through ODBC, for each database: 16 threads get-or-create the
// same key; exactly one of them creates it, and the table holds one row.

#include "process.hpp"
#include "support.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace anydb::odbc_test {
namespace {

void sixteen_racers(const std::string& uri) {
  Table table(uri, "cli", "id {id}, k BIGINT NOT NULL UNIQUE, name VARCHAR(40)");
  std::vector<std::string> args{ANYDB_CLI_PATH, "get-or-create", "--backend", "odbc", "--db", uri,
                                "--table",      table.name(),    "--key",     "k"};
  for (int i = 0; i < 16; ++i) args.emplace_back("42");
  const test::ProcessResult result = test::run_process(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "42 True"), 1) << result.out;
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "42 False"), 15) << result.out;
  EXPECT_EQ(table.count(), 1);
}

TEST(Cli, SixteenRacersThroughSqliteodbc) { sixteen_racers(sqlite_uri()); }
TEST(Cli, SixteenRacersThroughPsqlodbc) { sixteen_racers(pg_uri()); }
TEST(Cli, SixteenRacersThroughMariadbConnectorOdbc) { sixteen_racers(mariadb_uri()); }

}  // namespace
}  // namespace anydb::odbc_test
