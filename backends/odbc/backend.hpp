#pragma once

#include <anydb/backend.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {

// The ODBC backend, over the unixODBC driver manager. Thread-safe (connects take turns, see
// connect_mutex_); every
// connection allocates its own ODBC environment (unixODBC is thread-safe, and a per-connection
// environment cannot outlive or be outlived by the connection that uses it).
class OdbcBackend final : public Backend {
 public:
  OdbcBackend();
  [[nodiscard]] std::string_view name() const noexcept override;
  [[nodiscard]] std::string version() const override;
  [[nodiscard]] std::vector<std::string> uri_schemes() const override { return {"odbc"}; }

 protected:
  // Accepts the URIs described in uri.hpp.
  [[nodiscard]] std::unique_ptr<Connection> do_connect(const Uri& uri) override;

 private:
  // psqlODBC's SQLDriverConnect calls setlocale(), which is not thread-safe: two threads
  // connecting at once made one read a locale name the other had freed (AddressSanitizer,
  // heap-use-after-free in the conformance race test). Connecting is not a hot path, so
  // connects through this backend take turns.
  std::mutex connect_mutex_;
};

}  // namespace anydb::odbc
