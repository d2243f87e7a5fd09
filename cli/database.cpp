#include "database.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace anydb::cli {

namespace {

constexpr const char* default_sqlite_file = "anydb.sqlite3";
constexpr const char* url_variable = "DATABASE_URL";

// --db, else a non-empty DATABASE_URL (the convention of Rails, Heroku, Diesel and sqlx).
std::optional<std::string> given_url(const DatabaseOptions& options) {
  if (options.db) return *options.db;
  if (const char* url = std::getenv(url_variable); url != nullptr && *url != '\0') return url;
  return std::nullopt;
}

}  // namespace

DatabaseChoice choose_database(const DatabaseOptions& options, PluginLoader& loader) {
  const std::optional<std::string> url = given_url(options);
  if (options.backend.empty()) {
    const Uri uri = Uri::parse(url.value_or(default_sqlite_file));
    return DatabaseChoice{loader.load_for(uri), uri};
  }
  // The plugin is loaded first, so that a bad --backend is reported as such.
  std::shared_ptr<Backend> backend = loader.load(options.backend);
  if (!url && backend->name() != "sqlite")
    throw_error(ErrorKind::invalid_argument,
                fmt::format("the {} backend needs a database URL: give --db URL or set {} (the "
                            "default {} is a SQLite file)",
                            backend->name(), url_variable, default_sqlite_file));
  return DatabaseChoice{std::move(backend), Uri::parse(url.value_or(default_sqlite_file))};
}

}  // namespace anydb::cli
