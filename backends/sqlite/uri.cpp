#include "uri.hpp"

#include "common/text.hpp"

#include "error.hpp"

#include <anydb/backend.hpp>
#include <anydb/dialect.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

namespace anydb::sqlite {
namespace {

// SQLite's own parameters of a file: URI (https://sqlite.org/uri.html), which SQLite reads.
constexpr std::array sqlite_uri_parameters{std::string_view{"vfs"}, std::string_view{"cache"},
                                           std::string_view{"psow"}, std::string_view{"nolock"},
                                           std::string_view{"immutable"}};
constexpr std::array known_parameters{
    std::string_view{"busy_timeout"}, std::string_view{"mode"}, std::string_view{"journal_mode"},
    std::string_view{"foreign_keys"}, std::string_view{"isolation"}};
constexpr std::array journal_modes{std::string_view{"wal"},      std::string_view{"delete"},
                                   std::string_view{"truncate"}, std::string_view{"persist"},
                                   std::string_view{"memory"},   std::string_view{"off"}};
constexpr int max_busy_timeout_ms = 3'600'000;
constexpr std::string_view memory_name = ":memory:";

[[noreturn]] void reject(const OpenOptions& options, std::string_view problem) {
  throw_backend_error(ErrorKind::configuration,
                      fmt::format("URI '{}': {}", options.display, problem));
}

[[nodiscard]] std::string database_path(const Uri& uri, const OpenOptions& options) {
  switch (uri.shape()) {
    case Uri::Shape::bare:
      // Uri::parse keeps a bare text whole, so "x.db?mode=ro" would silently create a file
      // of that name: almost certainly not what was meant.
      if (uri.path().find('?') != std::string::npos)
        reject(options,
               "a plain path takes no parameters: write sqlite:PATH?name=value "
               "(percent-encode a '?' that belongs to a file name as %3F in "
               "sqlite:///absolute/path)");
      return uri.path();
    case Uri::Shape::opaque: return uri.path();
    case Uri::Shape::hierarchical:
      if (!uri.user().empty() || uri.password() || uri.port())
        reject(options, "SQLite opens a local file: a URI for it has no user, password or port");
      if (!uri.host().empty())
        reject(options,
               fmt::format("host '{}' is not supported: SQLite opens local files only; write "
                           "sqlite:///relative/path.db or sqlite:////absolute/path.db",
                           printable(uri.host())));
      // SQLAlchemy's rule: what follows "sqlite:///" is the path, so four slashes make it
      // absolute; "sqlite://" alone is an in-memory database.
      if (uri.path().empty()) return std::string(memory_name);
      return uri.path().substr(1);
  }
  return uri.path();
}

[[nodiscard]] int parse_busy_timeout(const OpenOptions& options, std::string_view text) {
  int value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0 ||
      value > max_busy_timeout_ms)
    reject(options, fmt::format("busy_timeout='{}' is not a number of milliseconds from 0 to {}",
                                printable(text), max_busy_timeout_ms));
  return value;
}

void apply_mode(OpenOptions& options, std::string_view text) {
  const std::string mode = support::ascii_lower(text);
  if (mode == "ro") {
    options.read_only = true;
    options.open_flags = SQLITE_OPEN_READONLY;
  } else if (mode == "rw") {
    options.open_flags = SQLITE_OPEN_READWRITE;
  } else if (mode == "rwc") {
    options.open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  } else {
    reject(options, fmt::format("mode='{}' is not one of ro, rw, rwc", printable(text)));
  }
}

[[nodiscard]] bool parse_switch(const OpenOptions& options, std::string_view name,
                                std::string_view text) {
  const std::string value = support::ascii_lower(text);
  if (value == "on" || value == "true" || value == "1") return true;
  if (value == "off" || value == "false" || value == "0") return false;
  reject(options, fmt::format("{}='{}' is not on or off", name, printable(text)));
}

void check_isolation(const OpenOptions& options, const std::string& text) {
  IsolationLevel level{};
  try {
    level = parse_isolation_level(text);
  } catch (const Error& error) {
    reject(options, error.message());
  }
  if (level != IsolationLevel::serializable)
    reject(options, fmt::format("isolation={} is not available: SQLite only provides "
                                "serializable isolation",
                                to_string(level)));
}

[[nodiscard]] bool is_known_parameter(std::string_view name, bool file_uri) {
  return std::find(known_parameters.begin(), known_parameters.end(), name) !=
             known_parameters.end() ||
         (file_uri && std::find(sqlite_uri_parameters.begin(), sqlite_uri_parameters.end(), name) !=
                          sqlite_uri_parameters.end());
}

void check_parameter_names(const Uri& uri, const OpenOptions& options, bool file_uri) {
  for (const auto& [name, value] : uri.query()) {
    if (is_known_parameter(name, file_uri)) continue;
    std::string known = fmt::format("{}", fmt::join(known_parameters, ", "));
    if (file_uri) known += fmt::format(", {}", fmt::join(sqlite_uri_parameters, ", "));
    reject(options, fmt::format("unknown parameter '{}' (known: {})", printable(name), known));
  }
}

// SQLite's own file: URI is handed to SQLite whole (SQLITE_OPEN_URI), which reads the path and
// its parameters (mode, cache, vfs, immutable, ...) and ignores anydb's (busy_timeout, ...).
void open_file_uri(const Uri& uri, OpenOptions& options) {
  options.filename = uri.text();
  if (uri.text().find('\0') != std::string::npos)
    reject(options, "the database path contains a NUL byte");
  const std::string mode = support::ascii_lower(uri.query_value("mode").value_or(""));
  options.in_memory = mode == "memory" || uri.path() == memory_name;
  // SQLite reads the mode itself; ours must agree with it (and "memory" needs no flag of ours).
  if (!options.in_memory && !mode.empty()) apply_mode(options, mode);
  options.open_flags |= SQLITE_OPEN_URI;
}

void open_path(const Uri& uri, OpenOptions& options) {
  options.filename = database_path(uri, options);
  if (options.filename.empty())
    reject(options,
           "no database given: write sqlite:file.db, sqlite:///relative/path.db, "
           "sqlite:////absolute/path.db or sqlite::memory:");
  if (options.filename.find('\0') != std::string::npos)
    reject(options, "the database path contains a NUL byte");
  options.in_memory = options.filename == memory_name;
  // Should the library have been built to read URI file names everywhere (SQLITE_USE_URI),
  // "file:..." would be parsed rather than opened; "./" keeps it a plain relative name.
  if (options.filename.starts_with("file:")) options.filename.insert(0, "./");
  if (const auto value = uri.query_value("mode")) apply_mode(options, *value);
}

void apply_journal_mode(const Uri& uri, OpenOptions& options) {
  const auto journal = uri.query_value("journal_mode");
  if (journal) {
    const std::string mode = support::ascii_lower(*journal);
    if (std::find(journal_modes.begin(), journal_modes.end(), mode) == journal_modes.end())
      reject(options, fmt::format("journal_mode='{}' is not one of wal, delete, truncate, "
                                  "persist, memory, off",
                                  printable(*journal)));
    if (options.read_only && !options.in_memory)
      reject(options, "journal_mode cannot be set with mode=ro: changing it writes to the file");
    options.journal_mode = mode;
  } else if (!options.read_only) {
    options.journal_mode = "wal";
  }
  // An in-memory database always journals in memory; asking for WAL would be a no-op.
  if (options.in_memory) options.journal_mode.reset();
}

}  // namespace

OpenOptions parse_open_options(const Uri& uri) {
  OpenOptions options;
  options.display = uri.to_string();
  options.open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  const bool file_uri = uri.shape() != Uri::Shape::bare && uri.scheme() == "file";
  if (uri.shape() != Uri::Shape::bare && uri.scheme() != backend_name && !file_uri)
    reject(options,
           fmt::format("the sqlite backend cannot open a '{}' URI", printable(uri.scheme())));
  check_parameter_names(uri, options, file_uri);

  if (file_uri)
    open_file_uri(uri, options);
  else
    open_path(uri, options);
  if (const auto value = uri.query_value("busy_timeout"))
    options.busy_timeout_ms = parse_busy_timeout(options, *value);
  if (const auto value = uri.query_value("foreign_keys"))
    options.foreign_keys = parse_switch(options, "foreign_keys", *value);
  if (const auto value = uri.query_value("isolation")) check_isolation(options, *value);
  apply_journal_mode(uri, options);
  return options;
}

}  // namespace anydb::sqlite
