#pragma once

#include "process.hpp"
#include "sqlite_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace anydb::test {

// Runs the anydb binary of this build in a fresh temporary directory.
class CliTest : public ::testing::Test {
 protected:
  TemporaryDirectory directory;

  [[nodiscard]] std::string db_path() const { return (directory.path() / "test.sqlite3").string(); }

  ProcessResult anydb(std::vector<std::string> args,
                      std::vector<std::string> environment = {}) const {
    args.insert(args.begin(), ANYDB_CLI_PATH);
    return run_process(args, ProcessOptions{directory.path(), std::move(environment)});
  }

  // get-or-create on the test database with the given keys.
  ProcessResult get_or_create(const std::vector<std::string>& keys,
                              std::vector<std::string> flags = {}) const {
    std::vector<std::string> args{"get-or-create", "--backend", "sqlite", "--db", db_path()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), keys.begin(), keys.end());
    return anydb(args);
  }

  [[nodiscard]] long long rows(const std::string& table = "mymodel") const {
    SqliteFile file(db_path());
    return file.scalar("SELECT COUNT(*) FROM \"" + table + "\"");
  }
};

inline long long count_equal(const std::vector<std::string>& lines, const std::string& wanted) {
  return std::count(lines.begin(), lines.end(), wanted);
}

}  // namespace anydb::test
