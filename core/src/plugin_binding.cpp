#include "plugin_binding.hpp"

#include <elf.h>
#include <link.h>  // ElfW(): the ELF types of this machine's class

#include <cstring>
#include <fstream>
#include <vector>

namespace anydb::detail {

namespace {

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char native_data = ELFDATA2LSB;
#else
constexpr unsigned char native_data = ELFDATA2MSB;
#endif
constexpr unsigned char native_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;

// A plugin's dynamic section is a few hundred bytes; anything far larger is not one we read.
constexpr std::size_t max_dynamic_size = 64 * 1024;

template <typename T>
bool read_at(std::ifstream& file, std::uint64_t offset, T* out, std::size_t count) {
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(sizeof(T) * count));
  return static_cast<bool>(file);
}

bool dynamic_section_binds_now(const std::vector<ElfW(Dyn)>& entries) {
  for (const ElfW(Dyn) & entry : entries) {
    if (entry.d_tag == DT_NULL) break;
    if (entry.d_tag == DT_BIND_NOW) return true;
    if (entry.d_tag == DT_FLAGS && (entry.d_un.d_val & DF_BIND_NOW) != 0) return true;
    if (entry.d_tag == DT_FLAGS_1 && (entry.d_un.d_val & DF_1_NOW) != 0) return true;
  }
  return false;
}

}  // namespace

bool binds_own_symbols_at_load(const std::filesystem::path& path) noexcept {
  try {
    std::ifstream file(path, std::ios::binary);
    ElfW(Ehdr) header{};
    if (!read_at(file, 0, &header, 1)) return false;
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != native_class || header.e_ident[EI_DATA] != native_data ||
        header.e_phentsize != sizeof(ElfW(Phdr)) || header.e_phnum == 0)
      return false;
    std::vector<ElfW(Phdr)> segments(header.e_phnum);
    if (!read_at(file, header.e_phoff, segments.data(), segments.size())) return false;
    for (const ElfW(Phdr) & segment : segments) {
      if (segment.p_type != PT_DYNAMIC) continue;
      if (segment.p_filesz > max_dynamic_size) return false;
      std::vector<ElfW(Dyn)> entries(segment.p_filesz / sizeof(ElfW(Dyn)));
      if (!read_at(file, segment.p_offset, entries.data(), entries.size())) return false;
      return dynamic_section_binds_now(entries);
    }
    return false;
  } catch (...) {  // an allocation failure: the caller falls back to RTLD_NOW
    return false;
  }
}

}  // namespace anydb::detail
