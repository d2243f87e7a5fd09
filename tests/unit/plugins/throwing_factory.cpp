// A plugin whose factory throws: std::runtime_error("boom"), or an int with ANYDB_TEST_THROW_INT.
#include <anydb/backend.hpp>
#include <anydb/version.hpp>

#include <boost/dll/alias.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace {

std::uint32_t abi_version() noexcept { return ::anydb::abi_version; }

std::unique_ptr<::anydb::Backend> throwing_factory() {
#ifdef ANYDB_TEST_THROW_INT
  throw 42;
#else
  throw std::runtime_error("boom");
#endif
}

}  // namespace

BOOST_DLL_ALIAS(abi_version, anydb_abi_version)
BOOST_DLL_ALIAS(throwing_factory, anydb_create_backend)
