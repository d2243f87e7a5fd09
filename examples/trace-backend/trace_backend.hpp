#pragma once

#include <anydb/backend.hpp>
#include <anydb/loader.hpp>

namespace anydb_example {

// The "trace" backend wraps any other backend and logs every statement and transaction step
// with its duration and outcome. URIs: trace:<the inner URI>, e.g.
//   trace:sqlite:/tmp/x.db   trace:postgresql://u@h/db   trace:/tmp/x.db (a bare path: SQLite)
// The inner backend is the inner URI's scheme (postgres -> postgresql), loaded with anydb's
// own plugin loader.
class TraceBackend final : public anydb::Backend {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "trace"; }
  [[nodiscard]] std::string version() const override;

 protected:
  [[nodiscard]] std::unique_ptr<anydb::Connection> do_connect(const anydb::Uri& uri) override;

 private:
  anydb::PluginLoader loader_;
};

}  // namespace anydb_example
