#include "line_reader.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace anydb::cli {

namespace {

constexpr std::size_t initial_buffer_bytes = 64 * 1024;
constexpr int poll_slice_ms = 100;

}  // namespace

LineReader::LineReader(int fd) : fd_(fd), buffer_(initial_buffer_bytes) {}

bool LineReader::fill(const std::atomic<bool>& stop) {
  if (begin_ > 0) {
    // Keep the partial line at the front.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(std::min(buffer_.size() * 2, max_line_bytes + 2));
  for (;;) {
    if (stop.load(std::memory_order_relaxed)) {
      stopped_ = true;
      return false;
    }
    pollfd waiting{fd_, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, poll_slice_ms);
    if (ready < 0 && errno != EINTR)
      throw std::system_error(errno, std::generic_category(), "poll");
    if (ready <= 0) continue;
    const ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::system_error(errno, std::generic_category(), "read");
    }
    if (got == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<std::size_t>(got);
    bytes_read_ += static_cast<std::uint64_t>(got);
    return true;
  }
}

namespace {

std::string_view without_carriage_return(std::string_view line) noexcept {
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

LineReader::Status LineReader::next(std::string_view& line, const std::atomic<bool>& stop) {
  bool too_long = false;
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      const auto length = static_cast<std::size_t>(newline - start);
      begin_ += length + 1;
      if (too_long) return Status::line_too_long;
      line = without_carriage_return(std::string_view(start, length));
      return Status::line;
    }
    if (end_ - begin_ > max_line_bytes) {
      // Too long: drop what we have and skip to the next newline.
      too_long = true;
      begin_ = end_ = 0;
    }
    if (eof_) return last_line(line, too_long);
    if (!fill(stop) && stopped_) return Status::stopped;
  }
}

LineReader::Status LineReader::last_line(std::string_view& line, bool too_long) {
  if (begin_ == end_) return too_long ? Status::line_too_long : Status::end;
  // The last line has no newline.
  line = std::string_view(buffer_.data() + begin_, end_ - begin_);
  begin_ = end_;
  if (too_long) return Status::line_too_long;
  line = without_carriage_return(line);
  return Status::line;
}

bool LineReader::would_block() const noexcept {
  if (eof_ || stopped_) return false;
  if (std::memchr(buffer_.data() + begin_, '\n', end_ - begin_) != nullptr) return false;
  pollfd waiting{fd_, POLLIN, 0};
  return ::poll(&waiting, 1, 0) == 0;
}

std::uint64_t count_keys_in_file(const std::string& path, const std::atomic<bool>& stop) noexcept {
  std::vector<char> buffer;
  try {
    buffer.resize(256 * 1024);
  } catch (...) {
    return 0;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::uint64_t keys = 0;
  bool content = false;  // the current line has more than an optional '\r'
  for (;;) {
    if (stop.load(std::memory_order_relaxed)) {
      ::close(fd);
      return 0;
    }
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; ++i) {
      const char c = buffer[static_cast<std::size_t>(i)];
      if (c == '\n') {
        keys += content ? 1 : 0;
        content = false;
      } else if (c != '\r') {
        content = true;
      }
    }
  }
  keys += content ? 1 : 0;
  ::close(fd);
  return keys;
}

}  // namespace anydb::cli
