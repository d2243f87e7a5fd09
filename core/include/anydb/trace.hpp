#pragma once

#include <anydb/export.hpp>
#include <anydb/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace anydb {

class Error;

// What a Connection did, reported to its trace hook (Connection::set_trace_hook) once per
// statement, script and transaction step, after it finished. Everything it refers to lives only
// during the call.
struct TraceEvent {
  std::string_view backend;       // "sqlite", "postgresql", ...
  std::string_view operation;     // execute, script, begin, commit, rollback, savepoint, release,
                                  // rollback_to
  std::string_view sql;           // as sent to the backend (placeholders rewritten); for savepoint,
                                  // release and rollback_to the savepoint name; empty otherwise
  std::span<const Value> params;  // the bound values: print them only through
                                  // format_trace_line(), which shows types and sizes, never data
  std::chrono::nanoseconds duration{};
  std::int64_t rows_returned = 0;  // rows of the result (execute)
  std::int64_t rows_affected = 0;  // rows an INSERT/UPDATE/DELETE changed (execute)
  const Error* error = nullptr;    // the failure, or null when it succeeded
};

using TraceHook = std::function<void(const TraceEvent&)>;

// One line describing `event`, without a trailing newline, e.g.
//   anydb: trace: postgresql execute 0.412 ms rows=1: SELECT * FROM "t" WHERE "k" = $1 [1 param:
//   text(4)] anydb: trace: sqlite execute 0.051 ms error=unique_violation: INSERT INTO ... [2
//   params: text(4), null]
// Parameter values are redacted to their type and size; line breaks in the SQL text are folded
// into spaces and other control bytes escaped, so that one event is one line.
[[nodiscard]] ANYDB_API std::string format_trace_line(const TraceEvent& event);

// A hook that writes format_trace_line(event) and a newline to stderr in one write, so lines
// from connections on different threads never interleave.
[[nodiscard]] ANYDB_API TraceHook trace_to_stderr();

// True when the environment variable ANYDB_TRACE is set to something other than "", "0",
// "false", "no" or "off" (what the anydb command and anydb-conformance read).
[[nodiscard]] ANYDB_API bool trace_requested_by_environment();

}  // namespace anydb
