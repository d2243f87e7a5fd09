#pragma once

#include <filesystem>

namespace anydb::detail {

// Whether the shared library at `path` asks to have its own symbols bound when it is loaded
// (linked with `-z now`: DF_BIND_NOW in DT_FLAGS, DF_1_NOW in DT_FLAGS_1, or DT_BIND_NOW).
// glibc honours that flag even under dlopen(RTLD_LAZY), so for such a plugin a lazy dlopen still
// fails at load on a symbol the plugin needs and no library provides, while the libraries the
// plugin brings in (libpq and its tree) are bound the way they were linked, as in any program
// that links them. False for anything that is not a readable ELF file of this machine's class
// and byte order: the loader then opens it RTLD_NOW and lets dlopen explain what is wrong.
[[nodiscard]] bool binds_own_symbols_at_load(const std::filesystem::path& path) noexcept;

}  // namespace anydb::detail
