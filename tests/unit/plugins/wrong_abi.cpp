// A plugin built for another ABI. The loader must refuse it after reading the ABI number and
// before calling anything else: its factory aborts the process, so a loader that called it
// would crash the test instead of failing it quietly.
#include <anydb/backend.hpp>
#include <anydb/version.hpp>

#include <boost/dll/alias.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

std::uint32_t wrong_abi_version() noexcept { return ::anydb::abi_version + 1; }

std::unique_ptr<::anydb::Backend> must_never_be_called() {
  std::fputs("anydb_test_wrong_abi: the factory of a plugin with the wrong ABI was called\n",
             stderr);
  std::abort();
}

}  // namespace

BOOST_DLL_ALIAS(wrong_abi_version, anydb_abi_version)
BOOST_DLL_ALIAS(must_never_be_called, anydb_create_backend)
