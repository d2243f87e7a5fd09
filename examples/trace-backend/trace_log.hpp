#pragma once

#include <chrono>
#include <string_view>

namespace anydb_example {

// Writes one line per traced operation to the file named by ANYDB_TRACE_FILE (appending), or
// to stderr: "trace: <backend> <operation> <duration> <outcome>". Thread-safe.
void trace_line(std::string_view backend, std::string_view operation,
                std::chrono::steady_clock::duration duration, std::string_view outcome);

}  // namespace anydb_example
