#pragma once

#include "options.hpp"

#include <anydb/backend.hpp>
#include <anydb/loader.hpp>
#include <anydb/uri.hpp>

#include <memory>

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
[[nodiscard]] DatabaseChoice choose_database(const DatabaseOptions& options, PluginLoader& loader);

}  // namespace anydb::cli
