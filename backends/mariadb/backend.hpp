#pragma once

#include <anydb/backend.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::mariadb {

// The MariaDB / MySQL backend on MariaDB Connector/C. Thread-safe: connect() may be called from
// many threads at once (Connector/C is thread-safe once mysql_library_init has run, which the
// constructor does under the loader's lock).
class MariaDbBackend final : public Backend {
 public:
  // Throws anydb::Unsupported for a Connector/C built without thread safety.
  MariaDbBackend();

  [[nodiscard]] std::string_view name() const noexcept override;
  // "0.1.0 (MariaDB Connector/C 3.3.x)": the library actually loaded.
  [[nodiscard]] std::string version() const override;
  // One Connector/C backend serves both servers.
  [[nodiscard]] std::vector<std::string> uri_schemes() const override {
    return {"mariadb", "mysql"};
  }

 protected:
  // Accepts mariadb:// and mysql:// URIs (uri.hpp). Throws anydb::ConfigurationError for a URI
  // it does not accept, anydb::ConnectionFailed when the server cannot be reached or refuses us.
  [[nodiscard]] std::unique_ptr<Connection> do_connect(const Uri& uri) override;
};

}  // namespace anydb::mariadb
