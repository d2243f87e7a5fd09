#pragma once

// The state a bulk run shares between its reader, its workers and its reports (bulk.cpp,
// bulk_report.cpp). Private to the CLI.

#include "bulk.hpp"
#include "output.hpp"

#include <anydb/dialect.hpp>
#include <anydb/error.hpp>
#include <anydb/value.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace anydb::cli::bulk {

// Without --per-key only the first few problems are printed; the summary counts them all.
constexpr int shown_errors_without_per_key = 20;

struct Chunk {
  std::vector<Value> keys;      // one value per key: text, or integer (BulkJob::integer_keys)
  std::vector<Value> defaults;  // default_sources.size() values per key
  [[nodiscard]] std::size_t size() const noexcept { return keys.size(); }
};

// The progress line on a terminal, and every other line written to stderr while it is shown:
// those clear it, print, and draw it again, so that nothing is written over. On a terminal
// without escape sequences (TERM=dumb, as in Emacs shells) the line is overwritten with spaces
// instead of erased with ESC [ K.
class StatusLine {
 public:
  StatusLine(bool enabled, bool plain) : enabled_(enabled), plain_(plain) {}

  void show(std::string text) {
    if (!enabled_) return;
    const std::lock_guard lock(mutex_);
    // Plain: pad over what is left of a longer previous line.
    const std::size_t pad =
        plain_ && text.size() < current_.size() ? current_.size() - text.size() : 0;
    current_ = std::move(text);
    print_block(stderr, "\r" + current_ + std::string(pad, ' '));
  }

  // Whole lines, each ending in '\n'.
  void print(std::string_view lines) {
    const std::lock_guard lock(mutex_);
    if (enabled_ && !current_.empty())
      print_block(stderr, erase() + std::string(lines) + current_);
    else
      print_block(stderr, lines);
  }

  void clear() {
    if (!enabled_) return;
    const std::lock_guard lock(mutex_);
    if (!current_.empty()) print_block(stderr, erase());
    current_.clear();
  }

 private:
  // Returns to the start of the line and blanks it.
  [[nodiscard]] std::string erase() const {
    if (!plain_) return "\r\x1b[K";
    return "\r" + std::string(current_.size(), ' ') + "\r";
  }

  std::mutex mutex_;
  bool enabled_;
  bool plain_;
  std::string current_;
};

// What the workers connected to one --db did.
struct ServerCounts {
  std::atomic<std::uint64_t> created{0}, existing{0}, failed{0};
};

struct Shared {
  Shared(const BulkJob& j, bool progress, bool plain_terminal)
      : job(j),
        status(progress, plain_terminal),
        servers(std::max<std::size_t>(1, j.servers.size())) {}

  const BulkJob& job;
  StatusLine status;

  std::atomic<bool> stop_reading{false};  // the reader stops at its next line
  std::atomic<bool> stopping{false};      // workers finish the key or batch in hand, then stop
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> keys_read{0};
  std::atomic<std::uint64_t> created{0}, existing{0}, failed{0}, rejected{0};
  std::atomic<std::uint64_t> conflicts{0}, retries{0}, not_processed{0};
  // Connections replaced after one broke, and COMMITs whose answer the broken connection never
  // delivered: their keys were run again on the new connection, which finds a row that did
  // commit (reported existing) instead of failing or creating it twice.
  std::atomic<std::uint64_t> reconnects{0}, unknown_commits{0};
  std::vector<ServerCounts> servers;         // by --db position
  std::atomic<std::uint64_t> total_keys{0};  // from the counting thread; 0 while unknown
  std::atomic<int> workers_running{0};
  std::atomic<int> shown_errors{0};
  std::atomic<bool> input_complete{false};

  std::mutex read_error_mutex;
  std::string read_error;

  // A problem line for stderr, shown in full with --per-key, otherwise only the first few.
  void report(const std::string& line) {
    const int shown = shown_errors.fetch_add(1);
    if (job.per_key || shown < shown_errors_without_per_key) {
      status.print(line + "\n");
    } else if (shown == shown_errors_without_per_key) {
      status.print("anydb: further errors are counted but not shown (--per-key shows every one)\n");
    }
  }
};

class InputFile {
 public:
  explicit InputFile(const std::string& source) {
    if (source == "-") {
      fd_ = STDIN_FILENO;
      owned_ = false;
    } else {
      fd_ = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0)
        throw_error(ErrorKind::invalid_argument,
                    fmt::format("--keys-from: cannot open '{}': {}", printable(source),
                                std::strerror(errno)));
    }
    struct stat info {};
    if (::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode)) {
      regular_ = true;
      size_ = static_cast<std::uint64_t>(info.st_size);
    }
    if (::fstat(fd_, &info) == 0 && S_ISDIR(info.st_mode))
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("--keys-from: '{}' is a directory", printable(source)));
  }
  ~InputFile() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] bool regular() const noexcept { return regular_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

 private:
  int fd_ = -1;
  bool owned_ = true;
  bool regular_ = false;
  std::uint64_t size_ = 0;
};

}  // namespace anydb::cli::bulk
