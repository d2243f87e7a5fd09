#pragma once

// Runs a program as a child process and captures what it prints, for tests that treat the CLI
// as a black box (exit status, stdout, stderr).

#include <filesystem>
#include <string>
#include <vector>

namespace anydb::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when the child was killed by a signal
  std::string out;
  std::string err;

  [[nodiscard]] std::vector<std::string> out_lines() const;
  [[nodiscard]] std::vector<std::string> err_lines() const;
};

struct ProcessOptions {
  std::filesystem::path working_directory;     // empty: inherit
  std::vector<std::string> extra_environment;  // NAME=VALUE, added to the inherited environment
  // RLIMIT_FSIZE for the child, in bytes (0: unlimited). SIGXFSZ is ignored in the child, so a
  // write past the limit fails with EFBIG, like a full disk, instead of killing the process.
  unsigned long long file_size_limit = 0;
};

// Runs argv[0] (a path) with argv; stdin is /dev/null. Throws std::runtime_error when the
// program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A temporary directory, removed with everything in it when the guard dies.
class TemporaryDirectory {
 public:
  TemporaryDirectory();
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace anydb::test
