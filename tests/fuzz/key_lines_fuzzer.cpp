// libFuzzer target: the CLI's key-file reader (--keys-from) on arbitrary bytes.
// Properties: every line it returns is a piece of the input without '\n' (one '\r' before the
// '\n' is dropped, as in CRLF files), the lines and skipped too-long lines account for every
// newline, and the reader ends. A line longer than the reader's limit cannot be built from a fuzzer
// input of the default size, so the too-long path is covered by the CLI tests instead.

#include "line_reader.hpp"

#include <sys/mman.h>
#include <unistd.h>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("anydb-fuzz-keys", 0);
  if (fd < 0) return 0;
  if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) {
    ::close(fd);
    return 0;
  }
  ::lseek(fd, 0, SEEK_SET);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newlines = 0;
  for (char c : input) newlines += c == '\n' ? 1 : 0;

  anydb::cli::LineReader reader(fd);
  const std::atomic<bool> stop{false};
  std::string_view line;
  std::size_t lines = 0;
  for (;;) {
    const auto status = reader.next(line, stop);
    if (status == anydb::cli::LineReader::Status::end) break;
    if (status == anydb::cli::LineReader::Status::stopped) std::abort();
    ++lines;
    if (status == anydb::cli::LineReader::Status::line) {
      if (line.find('\n') != std::string_view::npos) std::abort();
      if (input.find(line) == std::string_view::npos) std::abort();
    }
    if (lines > newlines + 1) std::abort();  // more lines than the input has
  }
  if (lines < newlines) std::abort();  // a line was lost
  if (reader.bytes_read() != size) std::abort();
  ::close(fd);
  return 0;
}
