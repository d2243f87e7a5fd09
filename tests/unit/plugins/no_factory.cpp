// A plugin with the right ABI number but no factory.
#include <anydb/version.hpp>

#include <boost/dll/alias.hpp>

#include <cstdint>

namespace {

std::uint32_t abi_version_only() noexcept { return ::anydb::abi_version; }

}  // namespace

BOOST_DLL_ALIAS(abi_version_only, anydb_abi_version)
