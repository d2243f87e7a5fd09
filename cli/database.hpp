#pragma once

#include "options.hpp"

#include <anydb/backend.hpp>
#include <anydb/loader.hpp>
#include <anydb/uri.hpp>

#include <memory>
#include <vector>

namespace anydb::cli {

// The database a command opens and the backend that opens it.
struct DatabaseChoice {
  std::shared_ptr<Backend> backend;
  Uri uri;
};

// Which database: --db, else the environment variable DATABASE_URL, else the SQLite file
// anydb.sqlite3 in the current directory. Which backend: --backend (a name or a plugin file),
// else the one the URI's scheme names (PluginLoader::load_for). A backend other than SQLite
// given without any URI is refused with one line rather than handed a file name.
// With several --db, one choice per URI, in order; they must all name the same backend (one
// dialect builds the statements for all of them), else an invalid_argument error.
[[nodiscard]] std::vector<DatabaseChoice> choose_databases(const DatabaseOptions& options,
                                                           PluginLoader& loader);

}  // namespace anydb::cli
