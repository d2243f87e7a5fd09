// anydb-conformance: the conformance suite as a program.
//
//   anydb-conformance [--backend NAME|PATH] --db URI [--isolation LEVEL] [--plugin-dir DIR]
//                     [--specs DIR] [--block-timeout MS] [--transcripts] [--trace] [gtest flags]
//   anydb-conformance [--backend NAME|PATH] --db URI [--isolation LEVEL] --isolationtester-output
//                     SPEC
//   anydb-conformance --list [--specs DIR] [--gtest_filter=...]
//   anydb-conformance --help
//
// Without --backend, the URI's scheme picks the backend (PluginLoader::load_for). --trace (or
// ANYDB_TRACE=1) prints one line per statement to stderr.
//
// In --db, "{tmpdir}" is replaced by a fresh temporary directory (removed afterwards), and
// "env:NAME" reads the URI from the environment variable NAME at run time — an unset variable
// is a failure, never a skip: a database that CI should have started is missing.
//
// --list prints the test groups and tests (those --gtest_filter selects) without running them.
// --specs, --block-timeout and --transcripts concern the isolation specs (docs/conformance.md).
// --isolationtester-output runs the one spec SPEC instead of the tests and prints exactly what
// PostgreSQL's isolationtester prints for it, to be compared with diff.

#include "context.hpp"
#include "isolation/pg_output.hpp"
#include "isolation/runner.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Arguments {
  std::string backend;
  std::string db;
  std::string isolation;
  std::vector<std::filesystem::path> plugin_dirs;
  std::vector<std::filesystem::path> spec_dirs;
  std::filesystem::path isolationtester_spec;  // --isolationtester-output SPEC
  bool list = false;
  bool trace = false;
};

constexpr const char* usage_lines =
    "usage: anydb-conformance [--backend NAME|PATH] --db URI [--isolation LEVEL] "
    "[--plugin-dir DIR]\n"
    "                         [--specs DIR] [--block-timeout MS] [--transcripts] [--trace] "
    "[gtest flags]\n"
    "       anydb-conformance [--backend NAME|PATH] --db URI [--isolation LEVEL] "
    "--isolationtester-output SPEC\n"
    "       anydb-conformance --list [--specs DIR] [--gtest_filter=PATTERNS]\n"
    "       anydb-conformance --help\n";

int usage(const char* why) {
  std::fprintf(stderr, "anydb-conformance: %s\n%s", why, usage_lines);
  return 2;
}

int help() {
  std::printf(
      "anydb-conformance: runs the anydb conformance suite against one backend and database.\n"
      "%s\n"
      "  --backend NAME|PATH   the backend plugin (default: the one the URI's scheme names)\n"
      "  --db URI              the database; {tmpdir} becomes a fresh temporary directory,\n"
      "                        env:NAME reads the URI from the environment variable NAME\n"
      "  --isolation LEVEL     run every transaction at LEVEL\n"
      "  --plugin-dir DIR      search DIR for plugins first (repeatable)\n"
      "  --specs DIR           also run the isolation specs in DIR (repeatable)\n"
      "  --block-timeout MS    how long an isolation step may wait before it counts as blocked\n"
      "  --transcripts         print every isolation spec's transcript, not only failures'\n"
      "  --trace               one line per statement on stderr (also ANYDB_TRACE=1)\n"
      "  --list                list the test groups and tests without running them\n"
      "  --isolationtester-output SPEC\n"
      "                        run SPEC and print what PostgreSQL's isolationtester prints\n"
      "  --help                this text; GoogleTest's own flags: --gtest_help\n"
      "Exit status: 0 when every test passed, 1 when one failed, 2 for bad arguments.\n",
      usage_lines);
  return 0;
}

// --help and -h, looked for before GoogleTest reads the arguments: it would print its own help.
bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return true;
  }
  return false;
}

// Reads the options into `arguments`; an exit status when they are wrong.
std::optional<int> parse_arguments(int argc, char** argv, Arguments& arguments) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--list") {
      arguments.list = true;
      continue;
    }
    if (flag == "--transcripts") {
      anydb::conformance::set_isolation_transcripts(true);
      continue;
    }
    if (flag == "--trace") {
      arguments.trace = true;
      continue;
    }
    if (i + 1 >= argc) return usage(("missing value after " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--backend")
      arguments.backend = value;
    else if (flag == "--db")
      arguments.db = value;
    else if (flag == "--isolation")
      arguments.isolation = value;
    else if (flag == "--isolationtester-output")
      arguments.isolationtester_spec = value;
    else if (flag == "--plugin-dir") {
      // An empty name would mean the current directory, which is searched only when named.
      if (value.empty()) {
        std::fprintf(stderr,
                     "anydb-conformance: --plugin-dir: an empty directory name is not allowed "
                     "(write --plugin-dir . to search the current directory)\n");
        return 2;
      }
      arguments.plugin_dirs.emplace_back(value);
    } else if (flag == "--specs")
      arguments.spec_dirs.emplace_back(value);
    else if (flag == "--block-timeout") {
      int ms = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (error != std::errc() || end != value.data() + value.size() || ms < 1)
        return usage(("--block-timeout needs milliseconds, got " + value).c_str());
      anydb::conformance::set_isolation_block_timeout(std::chrono::milliseconds(ms));
    } else
      return usage(("unknown argument " + flag).c_str());
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  if (asks_for_help(argc, argv)) return help();
  ::testing::InitGoogleTest(&argc, argv);  // removes the gtest flags it knows

  Arguments arguments;
  if (const auto status = parse_arguments(argc, argv, arguments)) return *status;
  anydb::conformance::register_isolation_specs(arguments.spec_dirs);
  if (arguments.list) {
    anydb::conformance::print_test_list(stdout);
    return 0;
  }
  if (arguments.db.empty()) return usage("--db is required");

  if (arguments.db.starts_with("env:")) {
    const std::string variable = arguments.db.substr(4);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
      std::fprintf(stderr,
                   "anydb-conformance: %s is not set: the database for this run was not started "
                   "(run the suite under scripts/with-databases.sh)\n",
                   variable.c_str());
      return 1;
    }
    arguments.db = value;
  }

  std::filesystem::path temporary;
  if (const auto marker = arguments.db.find("{tmpdir}"); marker != std::string::npos) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "anydb-conformance.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return usage("cannot create a temporary directory");
    temporary = pattern;
    arguments.db.replace(marker, 8, temporary.string());
  }

  int status = 1;
  try {
    anydb::PluginLoader loader(anydb::PluginLoader::Options{arguments.plugin_dirs, true});
    auto uri = anydb::Uri::parse(arguments.db);
    auto backend =
        arguments.backend.empty() ? loader.load_for(uri) : loader.load(arguments.backend);
    std::optional<anydb::IsolationLevel> isolation;
    if (!arguments.isolation.empty()) isolation = anydb::parse_isolation_level(arguments.isolation);
    std::fprintf(arguments.isolationtester_spec.empty() ? stdout : stderr,
                 "anydb-conformance: backend %s %s, database %s, isolation %s\n",
                 std::string(backend->name()).c_str(), backend->version().c_str(),
                 uri.to_string().c_str(),
                 isolation ? std::string(anydb::to_string(*isolation)).c_str() : "default");
    const bool trace = arguments.trace || anydb::trace_requested_by_environment();
    anydb::conformance::set_context(std::make_unique<anydb::conformance::Context>(
        std::move(backend), std::move(uri), isolation, loader, trace));
    if (!arguments.isolationtester_spec.empty()) {
      status =
          anydb::conformance::run_isolationtester_output(arguments.isolationtester_spec, stdout);
      anydb::conformance::set_context(nullptr);
      if (!temporary.empty()) std::filesystem::remove_all(temporary);
      return status;
    }
    anydb::conformance::install_skip_summary();
    status = RUN_ALL_TESTS();
    anydb::conformance::set_context(nullptr);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "anydb-conformance: %s\n", error.what());
    status = 1;
  }
  if (!temporary.empty()) std::filesystem::remove_all(temporary);
  return status;
}
