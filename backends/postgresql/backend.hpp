#pragma once

#include <anydb/backend.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::postgresql {

// The PostgreSQL backend (libpq). Thread-safe: connect() may be called from many threads.
class PgBackend final : public Backend {
 public:
  PgBackend();

  [[nodiscard]] std::string_view name() const noexcept override;
  // "0.1.0 (libpq 15.18)": the libpq actually loaded, not the one compiled against.
  [[nodiscard]] std::string version() const override;
  // Both spellings libpq accepts.
  [[nodiscard]] std::vector<std::string> uri_schemes() const override {
    return {"postgresql", "postgres"};
  }

 protected:
  // Throws anydb::ConfigurationError for a URI it does not accept, anydb::ConnectionFailed when
  // the server cannot be reached or refuses the credentials.
  [[nodiscard]] std::unique_ptr<Connection> do_connect(const Uri& uri) override;

 private:
  // libpq built without thread safety (never the case on current systems) gets its connects
  // serialised.
  bool serialise_connects_;
  std::mutex connect_mutex_;
};

}  // namespace anydb::postgresql
