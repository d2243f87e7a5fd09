#pragma once

#include <anydb/backend.hpp>
#include <anydb/loader.hpp>

#include <string>
#include <vector>

namespace anydb_example {

// The "trace" backend wraps any other backend and logs every statement and transaction step
// with its duration and outcome. URIs: trace:<the inner URI>, e.g.
//   trace:sqlite:/tmp/x.db   trace:postgresql://u@h/db   trace:/tmp/x.db (a bare path: SQLite)
// The inner URI's scheme picks the inner backend (PluginLoader::load_for, as for
// anydb::connect(url)). The backend declares the one scheme "trace" (the default of
// Backend::uri_schemes(), its name), so `anydb get-or-create --db trace:...` needs no --backend.
class TraceBackend final : public anydb::Backend {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "trace"; }
  [[nodiscard]] std::string version() const override;
  [[nodiscard]] std::vector<std::string> uri_schemes() const override { return {"trace"}; }

 protected:
  [[nodiscard]] std::unique_ptr<anydb::Connection> do_connect(const anydb::Uri& uri) override;

 private:
  anydb::PluginLoader loader_;
};

}  // namespace anydb_example
