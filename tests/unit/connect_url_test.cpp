// A URL alone picks its backend: PluginLoader::load_for(), PluginLoader::connect() and the
// one-call anydb::connect(url), with the real SQLite plugin of this build (SQLAlchemy's and
// SQLite's own URL forms) and the minimal test plugin (schemes found by asking every plugin).
#include <anydb/anydb.hpp>

#include "unit_support.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using anydb::PluginLoader;
using anydb::Uri;
using anydb_test::Contains;
using anydb_test::Lacks;

const fs::path minimal_dir = ANYDB_TEST_MINIMAL_DIR;

PluginLoader::Options only(std::vector<fs::path> dirs) {
  PluginLoader::Options options;
  options.plugin_dirs = std::move(dirs);
  options.use_environment = false;
  return options;
}

// A fresh directory that is also the current directory while the test runs, for relative
// file names.
class InTemporaryDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "anydb-url.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    previous_ = fs::current_path();
    fs::current_path(directory_);
  }
  void TearDown() override {
    fs::current_path(previous_);
    fs::remove_all(directory_);
  }
  [[nodiscard]] const fs::path& directory() const noexcept { return directory_; }

 private:
  fs::path directory_, previous_;
};

std::int64_t count(anydb::Connection& connection, const std::string& table) {
  return connection.execute("SELECT COUNT(*) FROM " + table).rows.at(0)[0].as_int();
}

TEST(LoadFor, SchemeNamesThePlugin) {
  PluginLoader loader(only({minimal_dir}));
  EXPECT_EQ(loader.load_for(Uri::parse("minimal:whatever"))->name(), "minimal");
}

TEST(LoadFor, SchemeDeclaredByAPluginOfAnotherName) {
  PluginLoader loader(only({minimal_dir}));
  EXPECT_EQ(loader.load_for(Uri::parse("tiny://host/db"))->name(), "minimal");
}

TEST(LoadFor, APluginLoadedByPathAnswersForItsSchemes) {
  PluginLoader loader(only({}));  // the minimal plugin is in no directory searched
  EXPECT_THROW((void)loader.load_for(Uri::parse("tiny:x")), anydb::PluginError);
  const std::shared_ptr<anydb::Backend> by_path = loader.load(ANYDB_TEST_MINIMAL_PLUGIN);
  EXPECT_EQ(loader.load_for(Uri::parse("tiny:x")), by_path);
}

TEST(LoadFor, PlainPathsAndFileUrisAreSqlite) {
  PluginLoader loader(only({}));
  EXPECT_EQ(loader.load_for(Uri::parse("demo.db"))->name(), "sqlite");
  EXPECT_EQ(loader.load_for(Uri::parse("/tmp/x.db"))->name(), "sqlite");
  EXPECT_EQ(loader.load_for(Uri::parse("file:x.db?mode=ro"))->name(), "sqlite");
  EXPECT_EQ(loader.load_for(Uri::parse("sqlite:///x.db"))->name(), "sqlite");
}

TEST(LoadFor, UnknownSchemeListsWhatIsInstalledWithoutTheSecret) {
  PluginLoader loader(only({minimal_dir}));
  const std::string message = anydb_test::what_of<anydb::PluginError>(
      [&] { (void)loader.load_for(Uri::parse("nosuch://bob:hunter2@db.example/app")); },
      anydb::ErrorKind::plugin);
  EXPECT_TRUE(Contains(message, "no backend opens 'nosuch:' URIs"));
  EXPECT_TRUE(Contains(message, "minimal (minimal, tiny)"));
  EXPECT_TRUE(Contains(message, "sqlite (sqlite, file)"));
  EXPECT_TRUE(Lacks(message, "hunter2"));
  EXPECT_TRUE(Lacks(message, "\n"));
}

TEST(LoadFor, KeywordStringsNameNoBackend) {
  PluginLoader loader(only({}));
  const std::string message = anydb_test::what_of<anydb::ConfigurationError>(
      [&] { (void)loader.load_for(Uri::parse("host=/tmp dbname=app password=hunter2")); },
      anydb::ErrorKind::configuration);
  EXPECT_TRUE(Contains(message, "names no backend"));
  EXPECT_TRUE(Lacks(message, "hunter2"));
}

TEST(ConnectUrl, OneCallConnectsAndKeepsThePluginLoaded) {
  anydb::ConnectionPtr connection = anydb::connect("sqlite::memory:");
  EXPECT_EQ(connection->backend_name(), "sqlite");
  EXPECT_EQ(
      connection->execute("SELECT 40 + ?", {anydb::Value(std::int64_t{2})}).rows.at(0)[0].as_int(),
      42);
}

TEST(ConnectUrl, ConcurrentCallsShareOneLoader) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      anydb::ConnectionPtr connection = anydb::connect("sqlite::memory:");
      if (connection->execute("SELECT 1").rows.size() == 1) ++opened;
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(opened.load(), 8);
  EXPECT_EQ(&anydb::default_plugin_loader(), &anydb::default_plugin_loader());
}

using SqliteUrls = InTemporaryDirectory;

TEST_F(SqliteUrls, SqlalchemyThreeSlashesIsRelative) {
  anydb::ConnectionPtr connection = anydb::connect("sqlite:///relative.db");
  connection->execute_script("CREATE TABLE t (x INTEGER)");
  EXPECT_TRUE(fs::exists(directory() / "relative.db"));
}

TEST_F(SqliteUrls, SqlalchemyFourSlashesIsAbsolute) {
  const fs::path file = directory() / "sub" / "absolute.db";
  fs::create_directory(file.parent_path());
  fs::current_path(file.parent_path().parent_path().parent_path());  // elsewhere
  anydb::ConnectionPtr connection = anydb::connect("sqlite:///" + file.string());
  connection->execute_script("CREATE TABLE t (x INTEGER)");
  EXPECT_TRUE(fs::exists(file));
}

TEST_F(SqliteUrls, SqlalchemyMemoryForms) {
  for (const char* url : {"sqlite://", "sqlite:///:memory:"}) {
    anydb::ConnectionPtr connection = anydb::connect(url);
    connection->execute_script("CREATE TABLE t (x INTEGER)");
  }
  EXPECT_TRUE(fs::is_empty(directory()));
}

TEST_F(SqliteUrls, AHostIsRefused) {
  for (const char* url : {"sqlite://localhost/x.db", "sqlite://db.example/x.db"}) {
    const std::string message = anydb_test::what_of<anydb::ConfigurationError>(
        [&] { (void)anydb::connect(url); }, anydb::ErrorKind::configuration);
    EXPECT_TRUE(Contains(message, "sqlite:////absolute/path.db")) << url;
  }
}

TEST_F(SqliteUrls, SqliteFileUrisWithReadOnlyMode) {
  {
    anydb::ConnectionPtr writer = anydb::connect("file:data.db");
    writer->execute_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
  }
  ASSERT_TRUE(fs::exists(directory() / "data.db"));
  anydb::ConnectionPtr reader = anydb::connect("file:data.db?mode=ro&cache=private");
  EXPECT_EQ(count(*reader, "t"), 1);
  EXPECT_THROW(reader->execute_script("INSERT INTO t VALUES (2)"), anydb::PermissionDenied);
  anydb::ConnectionPtr absolute =
      anydb::connect("file://" + (directory() / "data.db").string() + "?mode=ro");
  EXPECT_EQ(count(*absolute, "t"), 1);
  // mode=ro on a file that does not exist: SQLite refuses instead of creating it.
  EXPECT_THROW((void)anydb::connect("file:missing.db?mode=ro"), anydb::ConnectionFailed);
  EXPECT_FALSE(fs::exists(directory() / "missing.db"));
}

TEST_F(SqliteUrls, SqliteFileUriInMemory) {
  anydb::ConnectionPtr connection = anydb::connect("file::memory:");
  connection->execute_script("CREATE TABLE t (x INTEGER)");
  anydb::ConnectionPtr named = anydb::connect("file:mem1?mode=memory&cache=shared");
  named->execute_script("CREATE TABLE t (x INTEGER)");
  EXPECT_TRUE(fs::is_empty(directory()));
}

TEST_F(SqliteUrls, UnknownFileUriParametersAreRefused) {
  const std::string message = anydb_test::what_of<anydb::ConfigurationError>(
      [&] { (void)anydb::connect("file:data.db?bogus=1"); }, anydb::ErrorKind::configuration);
  EXPECT_TRUE(Contains(message, "unknown parameter 'bogus'"));
  EXPECT_TRUE(Contains(message, "immutable"));
}

}  // namespace
