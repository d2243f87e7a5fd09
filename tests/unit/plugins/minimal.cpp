// A working test plugin that needs no database: connecting always throws anydb::Unsupported.
// The throw expression is compiled into the plugin, so catching it by type in the test proves
// that exception typeinfo is shared across the dlopen boundary.
#include <anydb/backend.hpp>
#include <anydb/error.hpp>
#include <anydb/plugin.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#ifndef ANYDB_TEST_PLUGIN_VERSION
#define ANYDB_TEST_PLUGIN_VERSION "0.0.0-minimal"
#endif

namespace {

class MinimalBackend final : public anydb::Backend {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "minimal"; }
  [[nodiscard]] std::string version() const override { return ANYDB_TEST_PLUGIN_VERSION; }
  // A second scheme named after no plugin file: found only by asking every plugin.
  [[nodiscard]] std::vector<std::string> uri_schemes() const override {
    return {"minimal", "tiny"};
  }

 protected:
  [[nodiscard]] std::unique_ptr<anydb::Connection> do_connect(const anydb::Uri& uri) override {
    anydb::ErrorInfo info;
    info.kind = anydb::ErrorKind::unsupported;
    info.backend = "minimal";
    info.message = "the minimal test backend cannot connect to " + uri.to_string();
    throw anydb::Unsupported(std::move(info));
  }
};

}  // namespace

ANYDB_DEFINE_PLUGIN(MinimalBackend)
