#pragma once

// What the primary/standby tests share: the variables scripts/with-pg-standby.sh exports (a
// missing one fails the test with the command to run, it never skips), connections to either
// server by URI, and the anydb command as a child process.

#include "pg_support.hpp"
#include "process.hpp"

#include <anydb/anydb.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace anydb::topology {

// The value of `name`; throws std::runtime_error naming the script to run when it is unset.
[[nodiscard]] std::string required(const char* name);

// Fails the current test (fatally, from SetUp) unless with-pg-standby.sh's variables are set.
class StandbyTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

// A connection through the postgresql plugin to `uri` (a URI or a keyword/value string).
[[nodiscard]] ConnectionPtr connect(const std::string& uri);

// The server a connection reached: its TCP port and whether it is a standby.
[[nodiscard]] std::int64_t server_port(Connection& connection);
[[nodiscard]] bool in_recovery(Connection& connection);

// Runs `anydb ARGS...` to its end.
[[nodiscard]] test::ProcessResult run_cli(const std::vector<std::string>& args);

// Runs a helper script the topology script wrote (kill, promote); throws when it fails.
void run_script(const char* variable);

// Seconds since `since`, for the figures the tests print.
[[nodiscard]] double seconds_since(std::chrono::steady_clock::time_point since);

}  // namespace anydb::topology
