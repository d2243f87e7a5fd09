// libFuzzer target: the loader's reader of a plugin's ELF dynamic flags
// (core/src/plugin_binding.cpp), which reads whatever file a user names as a plugin before
// dlopen sees it. Properties: any bytes give an answer without a crash, a hang or a read
// outside what was read (ASan); the answer is the same twice; a file that does not start with
// the ELF magic is never taken for a plugin that binds its symbols at load.

#include "plugin_binding.hpp"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// The input as a file without touching the disk: the reader opens a path.
class MemoryFile {
 public:
  MemoryFile(const std::uint8_t* data, std::size_t size) : fd_(memfd_create("elf", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    for (std::size_t written = 0; written < size;) {
      const ssize_t n = write(fd_, data + written, size - written);
      if (n <= 0) std::abort();
      written += static_cast<std::size_t>(n);
    }
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() { close(fd_); }
  [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const MemoryFile file(data, size);
  const bool binds_now = anydb::detail::binds_own_symbols_at_load(file.path());
  if (anydb::detail::binds_own_symbols_at_load(file.path()) != binds_now) std::abort();
  const bool is_elf = size >= SELFMAG && std::memcmp(data, ELFMAG, SELFMAG) == 0;
  if (binds_now && !is_elf) std::abort();
  return 0;
}
