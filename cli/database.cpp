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
std::vector<std::string> given_urls(const DatabaseOptions& options) {
  if (!options.dbs.empty()) return options.dbs;
  if (const char* url = std::getenv(url_variable); url != nullptr && *url != '\0') return {url};
  return {};
}

DatabaseChoice choose_one(const std::optional<std::string>& url, const std::string& backend_flag,
                          PluginLoader& loader) {
  if (backend_flag.empty()) {
    const Uri uri = Uri::parse(url.value_or(default_sqlite_file));
    return DatabaseChoice{loader.load_for(uri), uri};
  }
  // The plugin is loaded first, so that a bad --backend is reported as such.
  std::shared_ptr<Backend> backend = loader.load(backend_flag);
  if (!url && backend->name() != "sqlite")
    throw_error(ErrorKind::invalid_argument,
                fmt::format("the {} backend needs a database URL: give --db URL or set {} (the "
                            "default {} is a SQLite file)",
                            backend->name(), url_variable, default_sqlite_file));
  return DatabaseChoice{std::move(backend), Uri::parse(url.value_or(default_sqlite_file))};
}

}  // namespace

std::vector<DatabaseChoice> choose_databases(const DatabaseOptions& options, PluginLoader& loader) {
  const std::vector<std::string> urls = given_urls(options);
  if (urls.empty()) return {choose_one(std::nullopt, options.backend, loader)};
  std::vector<DatabaseChoice> choices;
  for (const std::string& url : urls) {
    choices.push_back(choose_one(url, options.backend, loader));
    const Backend& first = *choices.front().backend;
    const Backend& last = *choices.back().backend;
    if (last.name() != first.name())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("every --db must use the same backend: {} is {}, {} is {}",
                              choices.front().uri.to_string(), first.name(),
                              choices.back().uri.to_string(), last.name()));
  }
  return choices;
}

}  // namespace anydb::cli
