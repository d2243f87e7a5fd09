// A plugin that calls a function its library no longer has at run time (vanishing_library.cpp).
// The loader must refuse it at load, with dlopen's "undefined symbol" message, whether it was
// linked with `-z now` (anydb_add_backend, opened RTLD_LAZY) or not (opened RTLD_NOW); opened
// lazily without `-z now` it would load and crash the first time version() is called.
#include <anydb/backend.hpp>
#include <anydb/error.hpp>
#include <anydb/plugin.hpp>

#include <memory>
#include <string>
#include <string_view>

extern "C" int anydb_test_vanishing_function();

namespace {

class VanishedBackend final : public anydb::Backend {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "vanished"; }
  [[nodiscard]] std::string version() const override {
    return std::to_string(anydb_test_vanishing_function());
  }

 protected:
  [[nodiscard]] std::unique_ptr<anydb::Connection> do_connect(const anydb::Uri&) override {
    return nullptr;
  }
};

}  // namespace

ANYDB_DEFINE_PLUGIN(VanishedBackend)
