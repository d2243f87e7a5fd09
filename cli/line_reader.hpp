#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::cli {

// Reads lines from a file descriptor through one fixed buffer, so memory does not grow with the
// input. Waits for input with poll() in short slices, so that a stop request is noticed even
// while a pipe or a terminal is idle.
class LineReader {
 public:
  // Lines longer than this are skipped and reported (max_line_too_long).
  static constexpr std::size_t max_line_bytes = 1 << 20;

  enum class Status { line, line_too_long, end, stopped };

  // Does not take ownership of `fd`.
  explicit LineReader(int fd);

  // The next line, without its '\n' (and without a '\r' before it). `line` stays valid until
  // the next call. Throws std::system_error when reading fails.
  Status next(std::string_view& line, const std::atomic<bool>& stop);

  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }

  // True when next() would have to wait for input: no whole line is buffered and the input has
  // nothing to read right now (a pipe or terminal that is idle; never a regular file).
  [[nodiscard]] bool would_block() const noexcept;

 private:
  // Reads more into the buffer; false at end of input or when stopped.
  bool fill(const std::atomic<bool>& stop);
  // next() at the end of input: the unterminated last line, if there is one.
  Status last_line(std::string_view& line, bool too_long);

  int fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool stopped_ = false;
  std::uint64_t bytes_read_ = 0;
};

// Counts the non-empty lines of a regular file, for the progress line's total. Stops early
// (returning 0) when `stop` is set. Never throws.
[[nodiscard]] std::uint64_t count_keys_in_file(const std::string& path,
                                               const std::atomic<bool>& stop) noexcept;

}  // namespace anydb::cli
