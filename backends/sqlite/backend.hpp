#pragma once

#include <anydb/backend.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace anydb::sqlite {

// The SQLite backend. Stateless, hence thread-safe: connect() may run on many threads at once,
// each call opening a connection of its own.
class SqliteBackend final : public Backend {
 public:
  [[nodiscard]] std::string_view name() const noexcept override;
  [[nodiscard]] std::string version() const override;

 protected:
  // Accepts the URIs described in uri.hpp.
  [[nodiscard]] std::unique_ptr<Connection> do_connect(const Uri& uri) override;
};

}  // namespace anydb::sqlite
