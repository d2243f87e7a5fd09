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

void print_outcome(const KeyOutcome& outcome, std::string_view format) {
  if (is_json(format)) {
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
    print_line(dump_json(line));
    return;
  }
  const std::string key = printable(outcome.key, 200);
  if (outcome.result) {
    print_line(fmt::format("{} {}", key, outcome.result->created ? "True" : "False"));
  } else {
    print_error_line(fmt::format("{} Error: {}: {}", key, to_string(*outcome.error_kind),
                                 outcome.error_message));
  }
}

}  // namespace anydb::cli
