// Bad input gets one clear line on stderr and exit status 2 (1 when only some keys failed),
// never a crash, never a secret in the output, never lost data.

#include "cli_fixture.hpp"

#include <fmt/format.h>

#include <fstream>

namespace anydb::test {
namespace {

void expect_one_line_error(const ProcessResult& result, int exit_code,
                           const std::string& fragment) {
  EXPECT_EQ(result.exit_code, exit_code) << result.err;
  const auto lines = result.err_lines();
  ASSERT_EQ(lines.size(), 1u) << result.err;
  EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
  EXPECT_EQ(result.out, "");
}

TEST_F(CliTest, UnknownBackendNameSaysWhatExistsAndWhere) {
  const ProcessResult result = anydb({"get-or-create", "--backend", "nosuch", "1"});
  expect_one_line_error(result, 2, "unknown backend 'nosuch'");
  EXPECT_NE(result.err.find("available: "), std::string::npos);
  EXPECT_NE(result.err.find("sqlite"), std::string::npos);
}

TEST_F(CliTest, FileThatIsNotAPlugin) {
  std::ofstream(directory.path() / "not-a-plugin.so") << "this is text, not ELF\n";
  expect_one_line_error(anydb({"get-or-create", "--backend", "./not-a-plugin.so", "1"}), 2,
                        "not a shared library");
  std::ofstream(directory.path() / "empty.so").close();
  expect_one_line_error(anydb({"get-or-create", "--backend", "./empty.so", "1"}), 2,
                        "not a shared library");
}

TEST_F(CliTest, SharedLibraryThatIsNotAnAnydbPlugin) {
  expect_one_line_error(anydb({"get-or-create", "--backend", ANYDB_CLI_PATH, "1"}), 2, "");
  // Any real library without our entry symbol.
  expect_one_line_error(anydb({"get-or-create", "--backend", SQLITE3_LIBRARY_PATH, "1"}), 2,
                        "not an anydb plugin (no anydb_abi_version symbol)");
}

TEST_F(CliTest, MissingPluginFile) {
  expect_one_line_error(anydb({"get-or-create", "--backend", "./missing.so", "1"}), 2,
                        "plugin file not found: ./missing.so");
}

TEST_F(CliTest, CurrentDirectoryIsNeverSearchedImplicitly) {
  std::filesystem::copy_file(ANYDB_SQLITE_PLUGIN_PATH, directory.path() / "anydb-backend-mine.so");
  expect_one_line_error(anydb({"get-or-create", "--backend", "mine", "1"}), 2,
                        "unknown backend 'mine'");
}

TEST_F(CliTest, EmptyPluginDirIsRefusedAndLoadsNothingFromTheCurrentDirectory) {
  // Issue 10, defect 5: an empty --plugin-dir meant the current directory, so the programs
  // dlopened (and ran the constructors of) whatever plugin file lay there.
  std::filesystem::copy_file(ANYDB_MARKER_PLUGIN_PATH,
                             directory.path() / "anydb-backend-sqlite.so");
  const std::filesystem::path marker = directory.path() / "marker-plugin-was-loaded";
  const std::string refused = "--plugin-dir: an empty directory name is not allowed";

  expect_one_line_error(anydb({"get-or-create", "--plugin-dir", "", "--db", db_path(), "1"}), 2,
                        "anydb: " + refused);
  expect_one_line_error(anydb({"get-or-create", "--plugin-dir", ".", "--plugin-dir", "", "1"}), 2,
                        refused);
  expect_one_line_error(anydb({"backends", "--plugin-dir", ""}), 2, refused);
  EXPECT_FALSE(std::filesystem::exists(marker));

  const ProcessResult conformance = run_process(
      {ANYDB_CONFORMANCE_PATH, "--backend", "sqlite", "--db", db_path(), "--plugin-dir", ""},
      ProcessOptions{directory.path(), {}});
  expect_one_line_error(conformance, 2, "anydb-conformance: " + refused);
  EXPECT_FALSE(std::filesystem::exists(marker));

  // The marker does work: naming the current directory explicitly loads the file.
  (void)anydb({"get-or-create", "--plugin-dir", ".", "--db", db_path(), "1"});
  EXPECT_TRUE(std::filesystem::exists(marker));
}

TEST_F(CliTest, MalformedUris) {
  for (const std::string uri : {"sqlite://host:99999/x.db", "sqlite:///x.db?busy_timeout=%zz", "",
                                "sqlite:/tmp/x.db?nosuchparam=1", "postgresql://u@h/db"}) {
    SCOPED_TRACE(uri);
    expect_one_line_error(anydb({"get-or-create", "--db", uri, "1"}), 2, "");
  }
}

TEST_F(CliTest, PasswordsNeverAppearInOutput) {
  for (const std::string uri :
       {"sqlite://user:S3cr3tPw@host:99999/x.db", "postgresql://user:S3cr3tPw@host/db",
        "sqlite:/nonexistent/dir/x.db?password=S3cr3tPw", "odbc:DSN=x;PWD=S3cr3tPw"}) {
    SCOPED_TRACE(uri);
    const ProcessResult result = anydb({"get-or-create", "--db", uri, "1"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.out.find("S3cr3tPw"), std::string::npos) << result.out;
    EXPECT_EQ(result.err.find("S3cr3tPw"), std::string::npos) << result.err;
  }
}

TEST_F(CliTest, UnusableDatabaseFile) {
  expect_one_line_error(anydb({"get-or-create", "--db", "/nonexistent/dir/x.db", "1"}), 2, "");
  std::ofstream(directory.path() / "garbage.db") << std::string(4096, 'g');
  expect_one_line_error(anydb({"get-or-create", "--db", "garbage.db", "1"}), 2, "");
}

TEST_F(CliTest, HostileTableNamesAreQuotedNotExecuted) {
  ASSERT_EQ(get_or_create({"1"}).exit_code, 0);
  for (const std::string table :
       {"mymodel\"; DROP TABLE mymodel; --", "x; DROP TABLE mymodel", "a\"b"}) {
    SCOPED_TRACE(table);
    const ProcessResult result = get_or_create({"2"}, {"--table", table, "--key", "my_id"});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("no such table"), std::string::npos) << result.err;
  }
  EXPECT_EQ(rows(), 1) << "mymodel must survive";
  const ProcessResult nul =
      get_or_create({"2"}, {"--table", std::string("bad\x01name"), "--key", "k"});
  expect_one_line_error(nul, 2, "invalid identifier");
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(anydb({}).exit_code, 2);
  EXPECT_EQ(anydb({"nosuchcommand"}).exit_code, 2);
  EXPECT_EQ(anydb({"get-or-create"}).exit_code, 2);  // no keys
  EXPECT_EQ(anydb({"get-or-create", "--threads", "0", "1"}).exit_code, 2);
  EXPECT_EQ(anydb({"get-or-create", "--threads", "100000", "1"}).exit_code, 2);
  EXPECT_EQ(anydb({"get-or-create", "--strategy", "bogus", "1"}).exit_code, 2);
  EXPECT_EQ(anydb({"get-or-create", "--format", "xml", "1"}).exit_code, 2);
  EXPECT_EQ(anydb({"get-or-create", "--no-such-flag", "1"}).exit_code, 2);
  expect_one_line_error(anydb({"get-or-create", "--db", db_path(), "--set", "novalue", "1"}), 2,
                        "--set expects COL=VALUE");
  expect_one_line_error(anydb({"get-or-create", "--db", db_path(), "--table", "t", "1"}), 2,
                        "--table needs --key");
  expect_one_line_error(anydb({"get-or-create", "--db", db_path(), "--set", "nosuchcolumn=1", "1"}),
                        2, "");
}

TEST_F(CliTest, TooManyThreadsPerKeyAsksForAPool) {
  std::vector<std::string> keys(2000, "1");
  expect_one_line_error(get_or_create(keys), 2, "use --threads N");
  EXPECT_EQ(get_or_create(keys, {"--threads", "8"}).exit_code, 0);
}

TEST_F(CliTest, OddKeysAreStoredAsGiven) {
  // The demo key column is INTEGER; text keys that are not integers still round-trip as text.
  const std::string huge(10000, '9');
  const ProcessResult result = get_or_create({huge, "caf\xC3\xA9", "\xff\xfe"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out_lines().size(), 3u);
  EXPECT_EQ(rows(), 3);
}

}  // namespace
}  // namespace anydb::test
