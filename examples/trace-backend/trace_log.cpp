#include "trace_log.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace anydb_example {

namespace {

std::mutex log_mutex;

}  // namespace

void trace_line(std::string_view backend, std::string_view operation,
                std::chrono::steady_clock::duration duration, std::string_view outcome) {
  const double micros = std::chrono::duration<double, std::micro>(duration).count();
  std::string line = "trace: ";
  line.append(backend).append(" ").append(operation).append(" ");
  line.append(std::to_string(static_cast<long long>(micros)))
      .append("us ")
      .append(outcome)
      .append("\n");

  std::lock_guard lock(log_mutex);
  const char* path = std::getenv("ANYDB_TRACE_FILE");
  std::FILE* out = path && *path ? std::fopen(path, "a") : stderr;
  if (out == nullptr) out = stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  if (out != stderr) std::fclose(out);
}

}  // namespace anydb_example
