// SQLite under faults, driven through the anydb command as a process: a lock held longer than
// the busy timeout, a read-only database, a missing one, and a disk that fills up mid-run.
// Afterwards the database is checked with the sqlite3 library itself.

#include "cli_fixture.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace anydb::test {
namespace {

std::vector<std::string> numbered_keys(int first, int last) {
  std::vector<std::string> keys;
  for (int key = first; key <= last; ++key) keys.push_back(std::to_string(key));
  return keys;
}

long long count_lines_ending(const std::vector<std::string>& lines, std::string_view suffix) {
  long long count = 0;
  for (const auto& line : lines) count += line.ends_with(suffix) ? 1 : 0;
  return count;
}

TEST_F(CliTest, LockHeldLongerThanTheBusyTimeoutIsATransientErrorThenSucceeds) {
  ASSERT_EQ(get_or_create({"0"}).exit_code, 0);
  const std::string uri = fmt::format("sqlite:{}?busy_timeout=100", db_path());
  {
    SqliteFile holder(db_path());
    holder.exec("BEGIN EXCLUSIVE");
    const ProcessResult locked = anydb(
        {"get-or-create", "--db", uri, "--max-attempts", "3", "--threads", "2", "1", "2", "3"});
    EXPECT_EQ(locked.exit_code, 1) << locked.err;
    EXPECT_EQ(locked.out, "");
    const auto errors = locked.err_lines();
    EXPECT_EQ(errors.size(), 3u) << locked.err;
    for (const auto& line : errors)
      EXPECT_NE(line.find("Error: busy: "), std::string::npos) << line;
    holder.exec("ROLLBACK");
  }
  const ProcessResult released = anydb({"get-or-create", "--db", uri, "1", "2", "3"});
  EXPECT_EQ(released.exit_code, 0) << released.err;
  EXPECT_EQ(count_lines_ending(released.out_lines(), " True"), 3);
  EXPECT_EQ(rows(), 4);
}

TEST_F(CliTest, ReadOnlyDatabaseFindsRowsAndRefusesNewOnes) {
  ASSERT_EQ(get_or_create({"1", "2"}).exit_code, 0);
  const ProcessResult result =
      anydb({"get-or-create", "--db", fmt::format("sqlite:{}?mode=ro", db_path()), "1", "3"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.out_lines(), std::vector<std::string>{"1 False"});
  ASSERT_EQ(result.err_lines().size(), 1u) << result.err;
  EXPECT_NE(result.err.find("3 Error: permission_denied"), std::string::npos) << result.err;
  EXPECT_EQ(rows(), 2);
}

TEST_F(CliTest, MissingDatabaseIsNotCreatedInReadWriteMode) {
  const auto absent = directory.path() / "absent.db";
  const ProcessResult result =
      anydb({"get-or-create", "--db", fmt::format("sqlite:{}?mode=rw", absent.string()), "1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err_lines().size(), 1u) << result.err;
  EXPECT_FALSE(std::filesystem::exists(absent));
  const ProcessResult no_directory = anydb({"get-or-create", "--db", "/nonexistent/dir/x.db", "1"});
  EXPECT_EQ(no_directory.exit_code, 2);
  EXPECT_EQ(no_directory.err_lines().size(), 1u) << no_directory.err;
}

TEST_F(CliTest, FullDiskFailsClearlyAndLeavesAnIntactDatabase) {
  ASSERT_EQ(get_or_create({"0"}).exit_code, 0);
  const auto size = std::filesystem::file_size(db_path());
  // Room for a few dozen of the 300 rows, each carrying 4 KB.
  const std::string big(4000, 'x');
  std::vector<std::string> args{
      ANYDB_CLI_PATH, "get-or-create", "--db", db_path(), "--threads", "2", "--max-attempts", "2",
      "--set",        "name=" + big};
  for (const auto& key : numbered_keys(1, 300)) args.push_back(key);
  ProcessOptions options{directory.path(), {}, size + 200 * 1024};
  const ProcessResult result = run_process(args, options);
  EXPECT_EQ(result.exit_code, 1) << result.err.substr(0, 2000);
  const auto created = count_lines_ending(result.out_lines(), " True");
  const auto errors = result.err_lines();
  EXPECT_GT(errors.size(), 0u);
  EXPECT_EQ(static_cast<std::size_t>(created) + errors.size(), 300u);
  for (const auto& line : errors) EXPECT_NE(line.find(" Error: "), std::string::npos) << line;

  SqliteFile file(db_path());
  EXPECT_EQ(file.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(file.scalar("SELECT COUNT(*) FROM mymodel"), created + 1)
      << "every reported creation is stored";
  EXPECT_EQ(file.scalar("SELECT COUNT(*) FROM mymodel WHERE my_id <> 0 AND length(name) <> 4000"),
            0);

  // Space again: the failed keys now succeed.
  const ProcessResult retry = get_or_create(numbered_keys(1, 300), {"--threads", "2"});
  EXPECT_EQ(retry.exit_code, 0) << retry.err.substr(0, 2000);
  EXPECT_EQ(rows(), 301);
}

}  // namespace
}  // namespace anydb::test
