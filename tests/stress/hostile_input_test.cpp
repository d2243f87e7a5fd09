// Hostile input to the anydb command: plugins that are broken in every way, identifiers built
// to inject SQL, absurd keys and flags, and secrets that must never be echoed.

#include "cli_fixture.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

namespace anydb::test {
namespace {

void expect_refused(const ProcessResult& result, const std::string& fragment) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  const auto lines = result.err_lines();
  ASSERT_EQ(lines.size(), 1u) << result.err;
  EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
  EXPECT_EQ(result.out, "");
}

// A minimal ELF header of a 32-bit x86 shared object, padded to the size of an ELF64 header
// so that the dynamic loader reads far enough to refuse it for its class.
void write_elf32(const std::filesystem::path& path) {
  unsigned char header[64] = {0x7f, 'E', 'L', 'F', 1 /*32-bit*/, 1 /*LE*/, 1 /*version*/};
  header[16] = 3;   // ET_DYN
  header[18] = 3;   // EM_386
  header[20] = 1;   // EV_CURRENT
  header[40] = 52;  // e_ehsize
  header[42] = 32;  // e_phentsize
  header[46] = 40;  // e_shentsize
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(header), sizeof header);
}

TEST_F(CliTest, BrokenPluginsAreRefusedWithOneLine) {
  std::ofstream(directory.path() / "empty.so").close();
  expect_refused(anydb({"get-or-create", "--backend", "./empty.so", "1"}), "not a shared library");
  std::ofstream(directory.path() / "text.so") << "#!/bin/sh\necho not a plugin\n";
  expect_refused(anydb({"get-or-create", "--backend", "./text.so", "1"}), "not a shared library");
  write_elf32(directory.path() / "elf32.so");
  expect_refused(anydb({"get-or-create", "--backend", "./elf32.so", "1"}), "another architecture");
  std::filesystem::create_directory(directory.path() / "dir.so");
  expect_refused(anydb({"get-or-create", "--backend", "./dir.so", "1"}), "not a regular file");
  EXPECT_FALSE(std::filesystem::exists(directory.path() / "anydb.sqlite3"))
      << "nothing was touched";
}

TEST_F(CliTest, PluginOfAnotherAbiIsRefusedNamingBothNumbers) {
  const ProcessResult result = anydb({"get-or-create", "--backend", ANYDB_WRONG_ABI_PLUGIN, "1"});
  expect_refused(result, "plugin ABI version");
  EXPECT_NE(result.err.find(ANYDB_WRONG_ABI_PLUGIN), std::string::npos);
}

TEST_F(CliTest, InjectionThroughIdentifiersNeverReachesTheDatabase) {
  ASSERT_EQ(get_or_create({"1"}).exit_code, 0);
  {
    SqliteFile file(db_path());
    file.exec("CREATE TABLE sentinel (id INTEGER)");
    file.exec("INSERT INTO sentinel VALUES (1)");
  }
  for (const std::string name : {"x\"; DROP TABLE sentinel; --", "sentinel; DROP TABLE sentinel",
                                 "mymodel\" WHERE 1=1; DROP TABLE sentinel; --", "' OR '1'='1"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(get_or_create({"2"}, {"--table", name, "--key", "my_id"}).exit_code, 2);
    EXPECT_EQ(get_or_create({"2"}, {"--table", "mymodel", "--key", name}).exit_code, 2);
    EXPECT_EQ(get_or_create({"2"}, {"--set", name + "=1"}).exit_code, 2);
  }
  SqliteFile file(db_path());
  EXPECT_EQ(file.scalar("SELECT COUNT(*) FROM sentinel"), 1);
  EXPECT_EQ(file.scalar("SELECT COUNT(*) FROM mymodel"), 1);
}

TEST_F(CliTest, UnreadableKeyFilesAreRefusedWithOneLine) {
  expect_refused(get_or_create({}, {"--keys-from", (directory.path() / "missing.txt").string()}),
                 "cannot open");
  expect_refused(get_or_create({}, {"--keys-from", directory.path().string()}), "is a directory");
  EXPECT_FALSE(std::filesystem::exists(db_path()) && rows() > 0);
}

TEST_F(CliTest, AbsurdKeysAreStoredOrRefusedNeverCrash) {
  // 100 KB: close to the kernel's limit for one argument (MAX_ARG_STRLEN, 128 KB).
  const std::string huge(100'000, 'k');
  const ProcessResult result = get_or_create({huge, huge, "\xc3\x28", "\t"});
  EXPECT_EQ(result.exit_code, 0) << result.err.substr(0, 500);
  EXPECT_EQ(result.out_lines().size(), 4u);
  EXPECT_EQ(rows(), 3);
  // The empty key is refused as a usage error, before anything is stored.
  const ProcessResult empty = get_or_create({huge, ""});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_EQ(empty.err_lines().size(), 1u) << empty.err.substr(0, 500);
  EXPECT_EQ(rows(), 3);
}

TEST_F(CliTest, NoSecretFromUriOrEnvironmentInAnyStream) {
  const std::string secret = "Zq9SecretPw";
  const std::vector<std::vector<std::string>> runs = {
      {"get-or-create", "--db", "sqlite://u:" + secret + "@h/x.db", "1"},
      {"get-or-create", "--db", "sqlite:/nonexistent/x.db?password=" + secret, "1"},
      {"get-or-create", "--db", "sqlite:x.db?PWD=" + secret + "&bogus=1", "1"},
      {"get-or-create", "--backend", "postgresql", "--db",
       "postgresql://u:" + secret + "@127.0.0.1:1/db?connect_timeout=2", "1"},
      {"get-or-create", "--backend", "postgresql", "--db", "postgresql://u@127.0.0.1:1/db", "1"},
      {"get-or-create", "--backend", "nosuch", "--db", "x://u:" + secret + "@h", "1"},
      {"get-or-create", "--db", "sqlite://u:" + secret + "/@h:99999/x", "1"},
  };
  for (const auto& args : runs) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(args, " ")));
    const ProcessResult result = anydb(args, {"PGPASSWORD=" + secret});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.out.find(secret), std::string::npos) << result.out;
    EXPECT_EQ(result.err.find(secret), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("Zq9"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace anydb::test
