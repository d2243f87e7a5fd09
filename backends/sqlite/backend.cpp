#include "backend.hpp"

#include "connection.hpp"
#include "error.hpp"
#include "uri.hpp"

#include <anydb/version.hpp>

#include <fmt/format.h>
#include <sqlite3.h>

namespace anydb::sqlite {

std::string_view SqliteBackend::name() const noexcept { return backend_name; }

std::string SqliteBackend::version() const {
  // The library actually loaded, which may differ from the header we were built against.
  return fmt::format("{} (SQLite {})", anydb::version_string, sqlite3_libversion());
}

std::unique_ptr<Connection> SqliteBackend::do_connect(const Uri& uri) {
  const OpenOptions options = parse_open_options(uri);
  // A library built with SQLITE_THREADSAFE=0 cannot serve connections on several threads,
  // which anydb promises; refuse it rather than corrupt memory later.
  if (sqlite3_threadsafe() == 0)
    throw_backend_error(ErrorKind::unsupported,
                        "the SQLite library was built without thread support "
                        "(SQLITE_THREADSAFE=0)");
  return std::make_unique<SqliteConnection>(options);
}

}  // namespace anydb::sqlite
