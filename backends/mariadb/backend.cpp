#include "backend.hpp"

#include "connection.hpp"
#include "error.hpp"
#include "uri.hpp"

#include <anydb/version.hpp>

#include <fmt/format.h>
#include <mysql.h>

#include <dlfcn.h>

namespace anydb::mariadb {

MariaDbBackend::MariaDbBackend() {
  // Connector/C allocates process-wide state once (pthread_once in mysql_library_init) that only
  // its own globals reference. Unloading it with this plugin would strand that state, which
  // LeakSanitizer reports as leaks from an unknown module, and a library initialised once per
  // process is not one to unload and reload: pin it for the life of the process.
  (void)::dlopen("libmariadb.so.3", RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  // mysql_init() would run it lazily, but not thread-safely: the CLI connects from eight
  // threads at once.
  if (mysql_library_init(0, nullptr, nullptr) != 0)
    throw_backend_error(ErrorKind::plugin, "MariaDB Connector/C could not be initialised");
  if (mysql_thread_safe() == 0)
    throw_backend_error(ErrorKind::unsupported,
                        "this MariaDB Connector/C was built without thread safety");
}

std::string_view MariaDbBackend::name() const noexcept { return backend_name; }

std::string MariaDbBackend::version() const {
  // mysql_get_client_info() is the loaded library's, in the server's numbering (10.11.19);
  // the Connector/C package version exists only at compile time.
  return fmt::format("{} (MariaDB Connector/C {}, client {})", anydb::version_string,
                     MARIADB_PACKAGE_VERSION, mysql_get_client_info());
}

std::unique_ptr<Connection> MariaDbBackend::do_connect(const Uri& uri) {
  return std::make_unique<MariaDbConnection>(parse_connect_options(uri));
}

}  // namespace anydb::mariadb
