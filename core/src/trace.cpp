#include <anydb/error.hpp>
#include <anydb/trace.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace anydb {

namespace {

// Keeps the event on one line: whitespace runs become one space, other control bytes \xNN.
std::string one_line(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool space = false;
  for (const char c : sql) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    if (byte < 0x20 || byte == 0x7F)
      out += fmt::format("\\x{:02x}", byte);
    else
      out += c;
  }
  return out;
}

std::string redacted(const Value& value) {
  switch (value.type()) {
    case Value::Type::null: return "null";
    case Value::Type::integer: return "int";
    case Value::Type::real: return "real";
    case Value::Type::text: return fmt::format("text({})", value.as_text().size());
    case Value::Type::blob: return fmt::format("blob({})", value.as_blob().size());
  }
  return "?";
}

std::string describe_params(std::span<const Value> params) {
  if (params.empty()) return {};
  std::string out = fmt::format(" [{} param{}:", params.size(), params.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < params.size(); ++i)
    out += (i == 0 ? " " : ", ") + redacted(params[i]);
  return out + "]";
}

std::string describe_outcome(const TraceEvent& event) {
  if (event.error != nullptr) {
    std::string out = fmt::format(" error={}", to_string(event.error->kind()));
    if (!event.error->sqlstate().empty()) out += fmt::format(" ({})", event.error->sqlstate());
    return out;
  }
  if (event.operation != "execute") return {};
  if (event.rows_returned > 0 || event.rows_affected == 0)
    return fmt::format(" rows={}", event.rows_returned);
  return fmt::format(" affected={}", event.rows_affected);
}

}  // namespace

std::string format_trace_line(const TraceEvent& event) {
  const double milliseconds = std::chrono::duration<double, std::milli>(event.duration).count();
  std::string line = fmt::format("anydb: trace: {} {} {:.3f} ms{}", event.backend, event.operation,
                                 milliseconds, describe_outcome(event));
  if (!event.sql.empty()) line += ": " + one_line(event.sql);
  return line + describe_params(event.params);
}

TraceHook trace_to_stderr() {
  return [](const TraceEvent& event) {
    const std::string line = format_trace_line(event) + '\n';
    // One write(2) per line: stdio's buffering could split a long line between threads.
    std::size_t written = 0;
    while (written < line.size()) {
      const ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
      if (n <= 0) break;  // tracing must never fail the statement it describes
      written += static_cast<std::size_t>(n);
    }
  };
}

bool trace_requested_by_environment() {
  const char* value = std::getenv("ANYDB_TRACE");
  if (value == nullptr) return false;
  const std::string_view text(value);
  return !(text.empty() || text == "0" || text == "false" || text == "no" || text == "off");
}

}  // namespace anydb
