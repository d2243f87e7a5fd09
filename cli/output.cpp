#include "output.hpp"

#include <anydb/dialect.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <mutex>

namespace anydb::cli {

namespace {

std::mutex output_mutex;

void write_line(std::FILE* stream, std::string_view line) {
  std::lock_guard lock(output_mutex);
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

nlohmann::json to_json(const Value& value) {
  switch (value.type()) {
    case Value::Type::null: return nullptr;
    case Value::Type::integer: return value.as_int();
    case Value::Type::real: return value.as_double();
    case Value::Type::text: return value.as_text();
    case Value::Type::blob: return value.to_display_string();
  }
  return nullptr;
}

}  // namespace

void add_format_option(CLI::App& command, std::string& format) {
  command.add_option("--format", format, "Output format: text, or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("FORMAT")
      ->capture_default_str();
}

void print_line(std::string_view line) { write_line(stdout, line); }
void print_error_line(std::string_view line) { write_line(stderr, line); }

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string outcome_line(const KeyOutcome& outcome, std::string_view format, bool& to_stderr) {
  if (is_json(format)) {
    to_stderr = false;
    nlohmann::json line = {{"key", outcome.key}};
    if (outcome.result) {
      const GetOrCreateResult& result = *outcome.result;
      nlohmann::json row = nlohmann::json::object();
      const auto& columns = result.row.columns();
      for (std::size_t i = 0; i < columns.size() && i < result.row.size(); ++i)
        row[columns[i]] = to_json(result.row[i]);
      line["created"] = result.created;
      line["attempts"] = result.attempts;
      line["conflicts"] = result.conflicts;
      line["retries"] = result.transient_retries;
      line["row"] = std::move(row);
    } else {
      line["error"] = {{"kind", std::string(to_string(*outcome.error_kind))},
                       {"message", outcome.error_message}};
    }
    return dump_json(line);
  }
  const std::string key = printable(outcome.key, 200);
  if (outcome.result) {
    to_stderr = false;
    return fmt::format("{} {}", key, outcome.result->created ? "True" : "False");
  }
  to_stderr = true;
  return fmt::format("{} Error: {}: {}", key, to_string(*outcome.error_kind),
                     outcome.error_message);
}

void print_outcome(const KeyOutcome& outcome, std::string_view format) {
  bool to_stderr = false;
  const std::string line = outcome_line(outcome, format, to_stderr);
  write_line(to_stderr ? stderr : stdout, line);
}

void print_block(std::FILE* stream, std::string_view text) {
  std::lock_guard lock(output_mutex);
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

}  // namespace anydb::cli
