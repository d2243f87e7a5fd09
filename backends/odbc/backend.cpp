#include "backend.hpp"

#include "connection.hpp"
#include "error.hpp"
#include "uri.hpp"

#include <anydb/version.hpp>

#include <fmt/format.h>

#include <dlfcn.h>

namespace anydb::odbc {

OdbcBackend::OdbcBackend() {
  // The driver manager keeps process-wide state from its first use (allocations that only its
  // own globals reference). Unloading it with this plugin would strand that state, which
  // LeakSanitizer reports as leaks, and unixODBC is not written to be unloaded and reloaded:
  // pin it for the life of the process.
  (void)::dlopen("libodbc.so.2", RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

std::string_view OdbcBackend::name() const noexcept { return backend_name; }

std::string OdbcBackend::version() const {
  // The driver manager's SQL_DM_VER, e.g. "03.52.0002.0003" (ODBC 3.52); drivers are only
  // known per connection.
  return fmt::format("{} (ODBC driver manager {})", anydb::version_string,
                     driver_manager_version());
}

std::unique_ptr<Connection> OdbcBackend::do_connect(const Uri& uri) {
  ConnectOptions options = parse_connect_options(uri);
  const std::lock_guard lock(connect_mutex_);
  return std::make_unique<OdbcConnection>(std::move(options));
}

}  // namespace anydb::odbc
