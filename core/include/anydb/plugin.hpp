#pragma once

// Include this in the one file of a backend plugin that exports it (by convention plugin.cpp):
//
//   #include <anydb/plugin.hpp>
//   ANYDB_DEFINE_PLUGIN(my::Backend)
//
// The macro exports exactly two symbols through Boost.DLL aliases: the ABI version the plugin
// was compiled against, which the loader checks before it touches anything else, and a factory
// returning a new backend. Build the plugin with anydb_add_backend() (hidden visibility).

#include <anydb/backend.hpp>
#include <anydb/version.hpp>

#include <boost/dll/alias.hpp>

#include <cstdint>
#include <memory>

#define ANYDB_DEFINE_PLUGIN(BackendClass)                                            \
  namespace {                                                                        \
  std::uint32_t anydb_plugin_abi_version() noexcept { return ::anydb::abi_version; } \
  std::unique_ptr<::anydb::Backend> anydb_plugin_create_backend() {                  \
    return std::make_unique<BackendClass>();                                         \
  }                                                                                  \
  }                                                                                  \
  BOOST_DLL_ALIAS(anydb_plugin_abi_version, anydb_abi_version)                       \
  BOOST_DLL_ALIAS(anydb_plugin_create_backend, anydb_create_backend)
