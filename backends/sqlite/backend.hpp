#pragma once

#include <anydb/backend.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::sqlite {

// The SQLite backend. Stateless, hence thread-safe: connect() may run on many threads at once,
// each call opening a connection of its own.
class SqliteBackend final : public Backend {
 public:
  [[nodiscard]] std::string_view name() const noexcept override;
  [[nodiscard]] std::string version() const override;
  // sqlite: and SQLite's own file: URIs (a plain path needs no scheme).
  [[nodiscard]] std::vector<std::string> uri_schemes() const override { return {"sqlite", "file"}; }

 protected:
  // Accepts the URIs described in uri.hpp.
  [[nodiscard]] std::unique_ptr<Connection> do_connect(const Uri& uri) override;
};

}  // namespace anydb::sqlite
