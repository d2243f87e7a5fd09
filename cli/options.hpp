#pragma once

#include "usage.hpp"

#include <anydb/error.hpp>
#include <anydb/get_or_create.hpp>
#include <anydb/loader.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace anydb::cli {

// Exit statuses of the anydb command.
inline constexpr int exit_ok = 0;
inline constexpr int exit_key_failed = 1;  // at least one key failed
inline constexpr int exit_usage = 2;       // bad flags, URI, plugin or set-up

// What every subcommand that opens a database needs.
struct DatabaseOptions {
  std::string backend;  // empty: the one the URI's scheme names
  // Every --db, in order; none: DATABASE_URL, else the SQLite file anydb.sqlite3. With several,
  // get-or-create's threads are spread over them round-robin.
  std::vector<std::string> dbs;
  std::vector<std::string> plugin_dirs;
  bool trace = false;  // --trace or ANYDB_TRACE: one line per statement on stderr
};

// The loader's options for the --plugin-dir flags given. An empty one (--plugin-dir '') is refused
// before anything is loaded: it would mean the current directory, which is searched
// only when named (--plugin-dir .).
[[nodiscard]] inline PluginLoader::Options plugin_loader_options(
    const std::vector<std::string>& plugin_dirs) {
  if (std::any_of(plugin_dirs.begin(), plugin_dirs.end(),
                  [](const std::string& dir) { return dir.empty(); }))
    usage_error(
        "--plugin-dir: an empty directory name is not allowed (write --plugin-dir . to search "
        "the current directory)");
  return PluginLoader::Options{{plugin_dirs.begin(), plugin_dirs.end()}, true};
}

struct GetOrCreateOptions {
  DatabaseOptions database;
  std::string table;  // empty: the demo table, created when missing
  std::string key_column;
  std::vector<std::string> set_assignments;  // COL=VALUE, used only on create
  std::string strategy = "safe";
  std::string isolation;  // empty: the connection's default
  unsigned threads = 0;   // 0: one thread per key
  int max_attempts = RetryPolicy{}.max_attempts;
  unsigned reconnect_for_seconds = 0;  // 0: a lost connection fails the key
  std::string format = "text";         // text or json
  std::vector<std::string> keys;
  // Bulk mode.
  std::string keys_from;      // FILE, or "-" for stdin; empty: the keys are the KEY arguments
  std::size_t batch = 1;      // keys per batched get-or-create; 1: one get-or-create per key
  bool per_key = false;       // bulk mode: one output line per key, as without --keys-from
  bool integer_keys = false;  // bulk mode: the key column holds integers (always for the demo)
};

}  // namespace anydb::cli
