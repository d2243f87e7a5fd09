#include "standby_support.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace anydb::topology {

std::string required(const char* name) {
  if (auto value = pgtest::environment(name)) return *value;
  throw std::runtime_error(fmt::format(
      "{} is not set: the PostgreSQL primary and standby for these tests were not started. Run "
      "them under scripts/with-pg-standby.sh (ctest -L failover does), which starts both and "
      "exports the URIs",
      name));
}

void StandbyTest::SetUp() {
  for (const char* name :
       {"ANYDB_TEST_PG_MULTI_URI", "ANYDB_TEST_PG_PRIMARY_URI", "ANYDB_TEST_PG_STANDBY_URI",
        "ANYDB_TEST_PG_PRIMARY_ADMIN_URI", "ANYDB_TEST_PG_STANDBY_ADMIN_URI",
        "ANYDB_TEST_PG_KILL_PRIMARY", "ANYDB_TEST_PG_PROMOTE_STANDBY"}) {
    try {
      (void)required(name);
    } catch (const std::exception& error) {
      GTEST_FAIL() << error.what();
    }
  }
}

ConnectionPtr connect(const std::string& uri) {
  return anydb::connect(pgtest::backend(), Uri::parse(uri));
}

std::int64_t server_port(Connection& connection) {
  return pgtest::scalar(connection, "SELECT inet_server_port()");
}

bool in_recovery(Connection& connection) {
  return pgtest::scalar(connection, "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END") == 1;
}

test::ProcessResult run_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ANYDB_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_process(argv);
}

void run_script(const char* variable) {
  const test::ProcessResult result = test::run_process({"/bin/sh", required(variable)});
  if (result.exit_code != 0)
    throw std::runtime_error(
        fmt::format("{} failed with status {}: {}", variable, result.exit_code, result.err));
}

double seconds_since(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace anydb::topology
