// A plugin whose factory returns no backend.
#include <anydb/backend.hpp>
#include <anydb/version.hpp>

#include <boost/dll/alias.hpp>

#include <cstdint>
#include <memory>

namespace {

std::uint32_t abi_version() noexcept { return ::anydb::abi_version; }

std::unique_ptr<::anydb::Backend> null_factory() { return nullptr; }

}  // namespace

BOOST_DLL_ALIAS(abi_version, anydb_abi_version)
BOOST_DLL_ALIAS(null_factory, anydb_create_backend)
