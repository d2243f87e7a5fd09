// The command never lies and speaks one way: every usage error is one line with a hint to
// --help, output that cannot be written fails the run, an empty key is refused.

#include "cli_fixture.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace anydb::test {
namespace {

// One line on stderr, "anydb: <fragment>... (try '<help>')", nothing on stdout, exit status 2.
void expect_usage_error(const ProcessResult& result, const std::string& fragment,
                        const std::string& help = "anydb get-or-create --help") {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(result.out, "");
  const auto lines = result.err_lines();
  ASSERT_EQ(lines.size(), 1u) << result.err;
  EXPECT_EQ(lines[0].rfind("anydb: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
  const std::string hint = fmt::format("(try '{}')", help);
  EXPECT_TRUE(lines[0].ends_with(hint)) << lines[0] << " should end with " << hint;
}

TEST_F(CliTest, UnknownOptionsAndCommandsAreNamed) {
  expect_usage_error(anydb({"--bogus"}), "anydb: unknown option --bogus", "anydb --help");
  expect_usage_error(anydb({"frobnicate"}), "unknown command 'frobnicate'", "anydb --help");
  expect_usage_error(anydb({}), "no command given", "anydb --help");
  expect_usage_error(anydb({"get-or-create", "--bogus", "1"}), "anydb: unknown option --bogus");
  expect_usage_error(anydb({"backends", "extra"}), "unexpected argument 'extra'",
                     "anydb backends --help");
}

TEST_F(CliTest, NumbersAreCheckedAsNumbers) {
  expect_usage_error(anydb({"get-or-create", "--threads", "abc", "1"}),
                     "--threads: 'abc' is not a number");
  expect_usage_error(anydb({"get-or-create", "--threads", "0", "1"}),
                     "--threads: 0 is out of range");
  expect_usage_error(anydb({"get-or-create", "--threads=99999999999999999999", "1"}),
                     "is out of range");
  expect_usage_error(anydb({"get-or-create", "--max-attempts", "2x", "1"}),
                     "--max-attempts: '2x' is not a number");
  expect_usage_error(anydb({"get-or-create", "--batch", "", "1"}), "--batch");
  expect_usage_error(anydb({"get-or-create", "--reconnect-for", "3601", "1"}),
                     "--reconnect-for: 3601 is out of range");
  expect_usage_error(anydb({"get-or-create", "1", "--threads"}), "--threads needs a value");
  expect_usage_error(anydb({"get-or-create", "--threads", "2", "--threads", "3", "1"}),
                     "--threads may be given only once");
}

TEST_F(CliTest, CheckedFlagCombinationsAreUsageErrorsToo) {
  expect_usage_error(anydb({"get-or-create", "--db", db_path()}), "no KEY given");
  expect_usage_error(anydb({"get-or-create", "--strategy", "bogus", "1"}), "--strategy");
  expect_usage_error(anydb({"get-or-create", "--db", db_path(), "--table", "t", "1"}),
                     "--table needs --key");
  expect_usage_error(anydb({"backends", "--plugin-dir", ""}), "--plugin-dir",
                     "anydb backends --help");
}

TEST_F(CliTest, AnEmptyKeyIsRefusedNotStored) {
  expect_usage_error(get_or_create({"1", "", "2"}), "KEY 2 is empty");
  EXPECT_FALSE(std::filesystem::exists(db_path())) << "refused before opening the database";
  ASSERT_EQ(get_or_create({"1"}).exit_code, 0);
  expect_usage_error(get_or_create({""}), "KEY 1 is empty");
  EXPECT_EQ(rows(), 1);
}

// Runs anydb with stdout sent to /dev/full through a shell.
ProcessResult to_dev_full(const std::filesystem::path& directory, const std::string& arguments) {
  return run_process(
      {"/bin/sh", "-c", fmt::format("exec '{}' {} >/dev/full", ANYDB_CLI_PATH, arguments)},
      ProcessOptions{directory, {}});
}

void expect_write_failure(const ProcessResult& result) {
  EXPECT_NE(result.exit_code, 0);
  const auto lines = result.err_lines();
  ASSERT_EQ(lines.size(), 1u) << result.err;
  EXPECT_EQ(lines[0], "anydb: cannot write to standard output: No space left on device");
}

TEST_F(CliTest, OutputThatCannotBeWrittenFailsTheRun) {
  const ProcessResult keys = to_dev_full(directory.path(), "get-or-create 1 2 3");
  expect_write_failure(keys);
  EXPECT_EQ(keys.exit_code, 1);
  expect_write_failure(to_dev_full(directory.path(), "get-or-create --format json 4"));
  expect_write_failure(to_dev_full(directory.path(), "backends"));
  expect_write_failure(to_dev_full(directory.path(), "--help"));
  expect_write_failure(to_dev_full(directory.path(), "--version"));
  // The same commands succeed when stdout can be written, so the failure above is the output's.
  EXPECT_EQ(run_process({"/bin/sh", "-c",
                         fmt::format("exec '{}' get-or-create 5 >/dev/null", ANYDB_CLI_PATH)},
                        ProcessOptions{directory.path(), {}})
                .exit_code,
            0);
}

TEST_F(CliTest, BulkOutputThatCannotBeWrittenFailsTheRun) {
  const std::string keys = (directory.path() / "keys.txt").string();
  ASSERT_EQ(run_process({"/bin/sh", "-c", fmt::format("seq 1 50 > '{}'", keys)}).exit_code, 0);
  const ProcessResult result =
      to_dev_full(directory.path(), fmt::format("get-or-create --keys-from '{}' --per-key", keys));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("anydb: cannot write to standard output: No space left on device"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace anydb::test
