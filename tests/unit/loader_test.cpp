// anydb::PluginLoader against real plugin files: the test plugins built next to this test
// (tests/unit/plugins/), files crafted at run time (empty, text, 32-bit ELF), and copies of the
// minimal plugin under other names. Every failure must be an anydb::PluginError whose one-line
// message names the file and the reason.
#include <anydb/backend.hpp>
#include <anydb/error.hpp>
#include <anydb/loader.hpp>
#include <anydb/uri.hpp>
#include <anydb/version.hpp>

#include "unit_support.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using anydb::PluginError;
using anydb::PluginLoader;
using anydb_test::Contains;

const fs::path minimal_plugin = ANYDB_TEST_MINIMAL_PLUGIN;
const fs::path minimal_dir = ANYDB_TEST_MINIMAL_DIR;
const fs::path shadow_dir = ANYDB_TEST_SHADOW_DIR;

// Options that search only `dirs` (plus libanydb's own plugin folder, which is always last).
PluginLoader::Options only(std::vector<fs::path> dirs) {
  PluginLoader::Options options;
  options.plugin_dirs = std::move(dirs);
  options.use_environment = false;
  return options;
}

// Loads `what` and returns the PluginError message, checking the invariants every loader
// failure shares: kind plugin, one line.
std::string load_error(PluginLoader& loader, const std::string& what) {
  const std::string message =
      anydb_test::what_of<PluginError>([&] { (void)loader.load(what); }, anydb::ErrorKind::plugin);
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_FALSE(message.empty());
  return message;
}

std::string load_error(const std::string& what) {
  PluginLoader loader(only({}));
  return load_error(loader, what);
}

// Whether the shared object at `path` is currently mapped into this process.
bool is_mapped(const fs::path& path) {
  std::ifstream maps("/proc/self/maps");
  const std::string wanted = fs::canonical(path).string();
  for (std::string line; std::getline(maps, line);)
    if (line.size() >= wanted.size() && line.ends_with(wanted)) return true;
  return false;
}

// Sets (or unsets) an environment variable for the lifetime of the guard.
class EnvGuard {
 public:
  EnvGuard(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~EnvGuard() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Each test gets its own temporary directory, removed afterwards, and runs without any
// ANYDB_PLUGIN_PATH from the caller's environment.
class Loader : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::random_device random;
    dir_ = fs::temp_directory_path() /
           fmt::format("anydb-unit-{}-{}-{:08x}", info->name(), ::getpid(), random());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  [[nodiscard]] const fs::path& dir() const { return dir_; }

  fs::path write_file(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  fs::path copy_to(const fs::path& from, const fs::path& directory, const std::string& name) {
    fs::create_directories(directory);
    const fs::path to = directory / name;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    return to;
  }

 private:
  fs::path dir_;
  EnvGuard no_plugin_path_{"ANYDB_PLUGIN_PATH", std::nullopt};
};

// --- names and paths -----------------------------------------------------------------------

TEST(LoaderNames, FileNameAndPathDetection) {
  EXPECT_EQ(PluginLoader::file_name_for("sqlite"), "anydb-backend-sqlite.so");
  EXPECT_TRUE(PluginLoader::looks_like_path("./libmine.so"));
  EXPECT_TRUE(PluginLoader::looks_like_path("/opt/x"));
  EXPECT_TRUE(PluginLoader::looks_like_path("mine.so"));
  EXPECT_FALSE(PluginLoader::looks_like_path("sqlite"));
  EXPECT_FALSE(PluginLoader::looks_like_path("Bad Name!"));
}

TEST(LoaderNames, DefaultPluginDirIsBesideLibanydb) {
  EXPECT_EQ(fs::weakly_canonical(anydb::default_plugin_dir()),
            fs::weakly_canonical(fs::path(ANYDB_TEST_CORE_DIR) / "anydb" / "plugins"));
}

TEST_F(Loader, SearchPathOrder) {
  EnvGuard env("ANYDB_PLUGIN_PATH", "/env/one::/env/two:");
  PluginLoader::Options options;
  options.plugin_dirs = {"/flag/a", "/flag/b"};
  const auto path = PluginLoader(options).search_path();
  // Empty entries (which would mean the current directory) are skipped.
  const std::vector<fs::path> expected = {"/flag/a", "/flag/b", "/env/one", "/env/two",
                                          anydb::default_plugin_dir()};
  EXPECT_EQ(path, expected);

  options.use_environment = false;
  const std::vector<fs::path> without_env = {"/flag/a", "/flag/b", anydb::default_plugin_dir()};
  EXPECT_EQ(PluginLoader(options).search_path(), without_env);
}

// --- failures ------------------------------------------------------------------------------

TEST_F(Loader, EmptyName) { EXPECT_TRUE(Contains(load_error(""), "no backend given")); }

TEST_F(Loader, UnknownNameSaysWhereItLookedAndWhatIsAvailable) {
  PluginLoader loader(only({dir(), minimal_dir}));
  const std::string message = load_error(loader, "nosuch");
  EXPECT_TRUE(Contains(message, "unknown backend 'nosuch'"));
  EXPECT_TRUE(Contains(message, "anydb-backend-nosuch.so"));
  EXPECT_TRUE(Contains(message, dir().string()));
  EXPECT_TRUE(Contains(message, minimal_dir.string()));
  EXPECT_TRUE(Contains(message, anydb::default_plugin_dir().string()));
  EXPECT_TRUE(Contains(message, "available: "));
  EXPECT_TRUE(Contains(message, "minimal"));
}

TEST_F(Loader, InvalidName) {
  const std::string message = load_error("Bad Name!");
  EXPECT_TRUE(Contains(message, "invalid backend name 'Bad Name!'"));
  // Control characters in a name are escaped, so the message stays one line.
  EXPECT_TRUE(Contains(load_error("bad\nname"), "bad\\x0aname"));
}

TEST_F(Loader, ExplicitPathThatDoesNotExist) {
  const std::string missing = (dir() / "nope" / "anydb-backend-x.so").string();
  const std::string message = load_error(missing);
  EXPECT_TRUE(Contains(message, "not found"));
  EXPECT_TRUE(Contains(message, missing));
  EXPECT_TRUE(Contains(load_error("./no-such-plugin.so"), "./no-such-plugin.so"));
}

TEST_F(Loader, DirectoryIsNotAPlugin) {
  const fs::path folder = dir() / "folder.so";
  fs::create_directories(folder);
  const std::string message = load_error(folder.string());
  EXPECT_TRUE(Contains(message, folder.string()));
  EXPECT_TRUE(Contains(message, "not a regular file"));
}

TEST_F(Loader, EmptyFile) {
  const fs::path file = write_file("empty.so", "");
  const std::string message = load_error(file.string());
  EXPECT_TRUE(Contains(message, file.string()));
  EXPECT_TRUE(Contains(message, "not a shared library"));
}

TEST_F(Loader, TextFile) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "this is not a shared library, just text\n";
  const fs::path file = write_file("text.so", text);
  const std::string message = load_error(file.string());
  EXPECT_TRUE(Contains(message, file.string()));
  EXPECT_TRUE(Contains(message, "not a shared library"));
  EXPECT_TRUE(Contains(message, "invalid ELF header"));
}

TEST_F(Loader, Elf32FileIsForAnotherArchitecture) {
  // A minimal, well-formed ELF32 header (ET_DYN, EM_386), padded to the size of an ELF64
  // header so that the dynamic loader gets as far as checking the class.
  std::array<unsigned char, 64> header{};
  const std::array<unsigned char, 16> ident = {
      0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1 /* little endian */, 1 /* EV_CURRENT */};
  std::copy(ident.begin(), ident.end(), header.begin());
  const auto put16 = [&](std::size_t at, unsigned value) {
    header[at] = static_cast<unsigned char>(value & 0xff);
    header[at + 1] = static_cast<unsigned char>(value >> 8);
  };
  put16(16, 3);    // e_type ET_DYN
  put16(18, 3);    // e_machine EM_386
  header[20] = 1;  // e_version
  put16(40, 52);   // e_ehsize
  put16(42, 32);   // e_phentsize
  put16(46, 40);   // e_shentsize
  const fs::path file = write_file(
      "elf32.so", std::string(reinterpret_cast<const char*>(header.data()), header.size()));
  const std::string message = load_error(file.string());
  EXPECT_TRUE(Contains(message, file.string()));
  EXPECT_TRUE(message.find("another architecture") != std::string::npos ||
              message.find("ELFCLASS32") != std::string::npos)
      << message;
}

TEST_F(Loader, FileNameWithNewlineStaysOneLine) {
  const fs::path file = write_file("bad\nname.so", "");
  const std::string message = load_error(file.string());
  EXPECT_TRUE(Contains(message, "bad\\x0aname.so"));
}

TEST_F(Loader, SharedLibraryWithoutTheSymbols) {
  const std::string message = load_error(ANYDB_TEST_NO_SYMBOLS_PLUGIN);
  EXPECT_TRUE(Contains(message, ANYDB_TEST_NO_SYMBOLS_PLUGIN));
  EXPECT_TRUE(Contains(message, "not an anydb plugin"));
  EXPECT_TRUE(Contains(message, "anydb_abi_version"));
}

// A plugin built with anydb_add_backend() (-z now) is opened RTLD_LAZY, one built otherwise
// RTLD_NOW: either way a symbol that no library provides at run time fails the load itself,
// with dlopen's reason, rather than the first call that needs it.
TEST_F(Loader, SymbolMissingAtRunTimeFailsTheLoad) {
  for (const std::string plugin : {ANYDB_TEST_VANISHED_PLUGIN, ANYDB_TEST_VANISHED_LAZY_PLUGIN}) {
    const std::string message = load_error(plugin);
    EXPECT_TRUE(Contains(message, plugin)) << message;
    EXPECT_TRUE(Contains(message, "undefined symbol: anydb_test_vanishing_function")) << message;
  }
}

TEST_F(Loader, WrongAbiIsRefusedBeforeTheFactoryRuns) {
  // The plugin's factory calls abort(): reaching it would kill this test.
  const std::string message = load_error(ANYDB_TEST_WRONG_ABI_PLUGIN);
  EXPECT_TRUE(Contains(message, ANYDB_TEST_WRONG_ABI_PLUGIN));
  EXPECT_TRUE(Contains(message, fmt::format("plugin ABI version {}", anydb::abi_version + 1)));
  EXPECT_TRUE(Contains(message, fmt::format("anydb ABI version {}", anydb::abi_version)));
}

TEST_F(Loader, MissingFactory) {
  const std::string message = load_error(ANYDB_TEST_NO_FACTORY_PLUGIN);
  EXPECT_TRUE(Contains(message, ANYDB_TEST_NO_FACTORY_PLUGIN));
  EXPECT_TRUE(Contains(message, "anydb_create_backend"));
}

TEST_F(Loader, FactoryThrows) {
  const std::string message = load_error(ANYDB_TEST_THROWING_FACTORY_PLUGIN);
  EXPECT_TRUE(Contains(message, ANYDB_TEST_THROWING_FACTORY_PLUGIN));
  EXPECT_TRUE(Contains(message, "factory failed"));
  EXPECT_TRUE(Contains(message, "boom"));
}

TEST_F(Loader, FactoryThrowsSomethingThatIsNotAnException) {
  const std::string message = load_error(ANYDB_TEST_THROWING_FACTORY_INT_PLUGIN);
  EXPECT_TRUE(Contains(message, ANYDB_TEST_THROWING_FACTORY_INT_PLUGIN));
  EXPECT_TRUE(Contains(message, "unknown exception"));
}

TEST_F(Loader, FactoryReturnsNull) {
  const std::string message = load_error(ANYDB_TEST_NULL_FACTORY_PLUGIN);
  EXPECT_TRUE(Contains(message, ANYDB_TEST_NULL_FACTORY_PLUGIN));
  EXPECT_TRUE(Contains(message, "no backend"));
}

TEST_F(Loader, FailedLoadIsNotCached) {
  PluginLoader loader(only({}));
  const fs::path file = write_file("later.so", "");
  (void)load_error(loader, file.string());
  fs::copy_file(minimal_plugin, file, fs::copy_options::overwrite_existing);
  EXPECT_EQ(loader.load(file.string())->name(), "minimal");
}

TEST_F(Loader, NameMismatchIsRefused) {
  const fs::path copy = copy_to(minimal_plugin, dir(), PluginLoader::file_name_for("other"));
  PluginLoader loader(only({dir()}));
  const std::string message = load_error(loader, "other");
  EXPECT_TRUE(Contains(message, copy.string()));
  EXPECT_TRUE(Contains(message, "calls itself 'minimal', not 'other'"));
}

// --- the working plugin --------------------------------------------------------------------

TEST_F(Loader, LoadsByPath) {
  PluginLoader loader(only({}));
  const auto backend = loader.load(minimal_plugin.string());
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "minimal");
  EXPECT_EQ(backend->version(), "0.0.0-minimal");
}

TEST_F(Loader, LoadsByRelativePath) {
  PluginLoader loader(only({}));
  const fs::path old = fs::current_path();
  fs::current_path(minimal_dir);
  std::shared_ptr<anydb::Backend> backend;
  EXPECT_NO_THROW(backend = loader.load("./" + minimal_plugin.filename().string()));
  fs::current_path(old);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "minimal");
}

TEST_F(Loader, LoadsByNameFromPluginDirs) {
  PluginLoader loader(only({dir() / "missing", minimal_dir}));
  const auto backend = loader.load("minimal");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "minimal");
}

TEST_F(Loader, LoadsByNameFromEnvironment) {
  EnvGuard env("ANYDB_PLUGIN_PATH", (dir() / "missing").string() + "::" + minimal_dir.string());
  PluginLoader loader;
  const auto backend = loader.load("minimal");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "minimal");
}

TEST_F(Loader, EnvironmentIgnoredWhenDisabled) {
  EnvGuard env("ANYDB_PLUGIN_PATH", minimal_dir.string());
  PluginLoader loader(only({}));
  EXPECT_TRUE(Contains(load_error(loader, "minimal"), "unknown backend 'minimal'"));
}

TEST_F(Loader, CurrentDirectoryIsNeverSearched) {
  copy_to(minimal_plugin, dir(), PluginLoader::file_name_for("minimal"));
  EnvGuard env("ANYDB_PLUGIN_PATH", ":");
  const fs::path old = fs::current_path();
  fs::current_path(dir());
  PluginLoader loader;
  std::string message;
  try {
    (void)loader.load("minimal");
  } catch (const PluginError& error) {
    message = error.what();
  }
  fs::current_path(old);
  EXPECT_TRUE(Contains(message, "unknown backend 'minimal'"));
}

TEST_F(Loader, CachedPerLoader) {
  PluginLoader loader(only({minimal_dir}));
  const auto first = loader.load(minimal_plugin.string());
  const auto second = loader.load(minimal_plugin.string());
  const auto by_name = loader.load("minimal");
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(first.get(), by_name.get());
  // A symlink to the same file is the same plugin.
  const fs::path link = dir() / "link.so";
  fs::create_symlink(minimal_plugin, link);
  EXPECT_EQ(loader.load(link.string()).get(), first.get());
}

TEST_F(Loader, ConcurrentLoadsShareOneBackend) {
  PluginLoader loader(only({minimal_dir}));
  std::vector<std::shared_ptr<anydb::Backend>> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = loader.load("minimal"); });
  for (auto& thread : threads) thread.join();
  for (const auto& backend : results) {
    ASSERT_NE(backend, nullptr);
    EXPECT_EQ(backend.get(), results.front().get());
  }
}

TEST_F(Loader, DiscoverListsNameVersionAndPath) {
  PluginLoader loader(only({minimal_dir}));
  const auto plugins = loader.discover();
  const auto found = std::find_if(plugins.begin(), plugins.end(),
                                  [](const auto& info) { return info.name == "minimal"; });
  ASSERT_NE(found, plugins.end());
  EXPECT_EQ(found->version, "0.0.0-minimal");
  EXPECT_EQ(fs::weakly_canonical(found->path), fs::weakly_canonical(minimal_plugin));
  EXPECT_EQ(found->error, "");
}

TEST_F(Loader, DiscoverReportsBrokenPluginsWithoutCallingThem) {
  copy_to(ANYDB_TEST_WRONG_ABI_PLUGIN, dir(), PluginLoader::file_name_for("wrongabi"));
  write_file(PluginLoader::file_name_for("empty"), "");
  write_file("not-a-plugin-name.so", "");
  PluginLoader loader(only({dir()}));
  const auto plugins = loader.discover();
  std::vector<std::string> names;
  for (const auto& info : plugins) {
    if (info.path.parent_path() != dir()) continue;
    names.push_back(info.name);
    EXPECT_FALSE(info.error.empty()) << info.name;
    EXPECT_EQ(info.error.find('\n'), std::string::npos) << info.error;
    if (info.name == "wrongabi") {
      EXPECT_TRUE(Contains(info.error, "ABI version"));
    }
    if (info.name == "empty") {
      EXPECT_TRUE(Contains(info.error, "not a shared library"));
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"empty", "wrongabi"}));
}

TEST_F(Loader, FirstDirectoryWinsWhenNamesCollide) {
  {
    PluginLoader loader(only({shadow_dir, minimal_dir}));
    EXPECT_EQ(loader.load("minimal")->version(), "0.0.0-shadow");
    const auto plugins = loader.discover();
    const auto count = std::count_if(plugins.begin(), plugins.end(),
                                     [](const auto& info) { return info.name == "minimal"; });
    EXPECT_EQ(count, 1);
    const auto found = std::find_if(plugins.begin(), plugins.end(),
                                    [](const auto& info) { return info.name == "minimal"; });
    ASSERT_NE(found, plugins.end());
    EXPECT_EQ(found->version, "0.0.0-shadow");
    EXPECT_EQ(found->path.parent_path(), shadow_dir);
  }
  {
    PluginLoader loader(only({minimal_dir, shadow_dir}));
    EXPECT_EQ(loader.load("minimal")->version(), "0.0.0-minimal");
  }
  {
    // --plugin-dir comes before ANYDB_PLUGIN_PATH.
    EnvGuard env("ANYDB_PLUGIN_PATH", shadow_dir.string());
    PluginLoader::Options options;
    options.plugin_dirs = {minimal_dir};
    PluginLoader loader(options);
    EXPECT_EQ(loader.load("minimal")->version(), "0.0.0-minimal");
  }
}

TEST_F(Loader, ExceptionFromPluginIsCaughtByType) {
  PluginLoader loader(only({}));
  const auto backend = loader.load(minimal_plugin.string());
  const anydb::Uri uri = anydb::Uri::parse("minimal://user:hunter2@host/db");
  try {
    (void)backend->connect(uri);
    FAIL() << "connect() did not throw";
  } catch (const anydb::Unsupported& error) {
    EXPECT_EQ(error.kind(), anydb::ErrorKind::unsupported);
    EXPECT_EQ(error.backend(), "minimal");
    EXPECT_TRUE(Contains(error.what(), "minimal://user:***@host/db"));
    EXPECT_TRUE(anydb_test::Lacks(error.what(), "hunter2"));
  }
  // The same through anydb::connect(), which also refuses a null backend.
  EXPECT_THROW((void)anydb::connect(backend, uri), anydb::Unsupported);
  EXPECT_THROW((void)anydb::connect(nullptr, uri), anydb::UsageError);
}

TEST_F(Loader, BackendOutlivesTheLoader) {
  // Plugins are built with -fno-gnu-unique, so the last reference really unloads the library;
  // using the backend after an early unload would crash here.
  std::shared_ptr<anydb::Backend> backend;
  {
    PluginLoader loader(only({}));
    backend = loader.load(minimal_plugin.string());
  }
  ASSERT_TRUE(is_mapped(minimal_plugin));
  EXPECT_EQ(backend->name(), "minimal");
  EXPECT_EQ(backend->version(), "0.0.0-minimal");
  EXPECT_THROW((void)backend->connect(anydb::Uri::parse("x.db")), anydb::Unsupported);
  backend.reset();
  EXPECT_FALSE(is_mapped(minimal_plugin)) << "the last reference did not unload the plugin";
}

TEST_F(Loader, EmptyPluginDirIsRefused) {
  // Issue 10, defect 5: an empty directory in plugin_dirs meant the current directory (an empty
  // path joined with the file name), which is never to be searched implicitly.
  for (const std::vector<fs::path>& dirs : {std::vector<fs::path>{""}, {minimal_dir, ""}}) {
    const std::string message = anydb_test::what_of<anydb::InvalidArgument>(
        [&] { PluginLoader loader(only(dirs)); }, anydb::ErrorKind::invalid_argument);
    EXPECT_TRUE(Contains(message, "an empty directory name is not allowed")) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

#ifdef ANYDB_TEST_SQLITE_PLUGIN
TEST_F(Loader, ConnectionFromBackendConnectKeepsItsPluginLoaded) {
  // Issue 10, defect 4: a connection made by Backend::connect() (not anydb::connect()) did not
  // hold its plugin, so it outlived its code once the loader and the backend were gone, and
  // the next call through it crashed. The real SQLite plugin, so that the connection works.
  const fs::path plugin = ANYDB_TEST_SQLITE_PLUGIN;
  {
    auto connection = [&] {
      PluginLoader loader(only({}));
      const std::shared_ptr<anydb::Backend> backend = loader.load(plugin.string());
      return backend->connect(anydb::Uri::parse("sqlite::memory:"));
    }();
    ASSERT_TRUE(connection);
    if (!is_mapped(plugin)) {
      // Any call now, even the destructor, would run unmapped code: leak it and fail instead.
      (void)connection.release();
      FAIL() << "the plugin was unloaded while a connection it made is alive";
    }
    EXPECT_EQ(connection->execute("SELECT 41 + 1").rows.at(0)[0].as_int(), 42);
  }
  EXPECT_FALSE(is_mapped(plugin)) << "the last connection did not release the plugin";
}
#endif

TEST_F(Loader, LoaderKeepsPluginsLoadedUntilDestroyed) {
  {
    PluginLoader loader(only({}));
    { (void)loader.load(minimal_plugin.string()); }
    EXPECT_TRUE(is_mapped(minimal_plugin));  // held by the loader's cache
  }
  EXPECT_FALSE(is_mapped(minimal_plugin));
}

}  // namespace
