#include "backend.hpp"

#include "connection.hpp"
#include "error.hpp"
#include "uri.hpp"

#include <anydb/version.hpp>

#include <fmt/format.h>

namespace anydb::odbc {

std::string_view OdbcBackend::name() const noexcept { return backend_name; }

std::string OdbcBackend::version() const {
  // The driver manager's SQL_DM_VER, e.g. "03.52.0002.0003" (ODBC 3.52); drivers are only
  // known per connection.
  return fmt::format("{} (ODBC driver manager {})", anydb::version_string, driver_manager_version());
}

std::unique_ptr<Connection> OdbcBackend::connect(const Uri& uri) {
  return std::make_unique<OdbcConnection>(parse_connect_options(uri));
}

}  // namespace anydb::odbc
