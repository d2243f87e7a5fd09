#pragma once

#include <anydb/backend.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace anydb::odbc {

// The ODBC backend, over the unixODBC driver manager. Stateless, hence thread-safe: every
// connection allocates its own ODBC environment (unixODBC is thread-safe, and a per-connection
// environment cannot outlive or be outlived by the connection that uses it).
class OdbcBackend final : public Backend {
public:
  [[nodiscard]] std::string_view name() const noexcept override;
  [[nodiscard]] std::string version() const override;
  // Accepts the URIs described in uri.hpp.
  [[nodiscard]] std::unique_ptr<Connection> connect(const Uri& uri) override;
};

}  // namespace anydb::odbc
