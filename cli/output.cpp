#include "output.hpp"

#include <anydb/dialect.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>

namespace anydb::cli {

namespace {

std::mutex output_mutex;
// The errno of the first failed write to stdout (0: none). A full disk, a closed pipe or
// /dev/full must fail the run, not pass unnoticed.
std::atomic<int> stdout_error{0};

// Writes under output_mutex (held by the caller) and remembers a failure on stdout.
void write_locked(std::FILE* stream, std::string_view text, bool newline) {
  bool ok = std::fwrite(text.data(), 1, text.size(), stream) == text.size();
  if (ok && newline) ok = std::fputc('\n', stream) != EOF;
  ok = std::fflush(stream) == 0 && ok;
  if (!ok && stream == stdout) {
    int expected = 0;
    stdout_error.compare_exchange_strong(expected, errno == 0 ? EIO : errno);
  }
}

void write_line(std::FILE* stream, std::string_view line) {
  std::lock_guard lock(output_mutex);
  write_locked(stream, line, true);
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
  write_locked(stream, text, false);
}

int finish_output(int status) {
  // CLI11 writes --help and --version through std::cout; everything else goes through stdio.
  errno = 0;
  std::cout.flush();
  if (!std::cout.good()) {
    int expected = 0;
    stdout_error.compare_exchange_strong(expected, errno == 0 ? EIO : errno);
  }
  {
    std::lock_guard lock(output_mutex);
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
      int expected = 0;
      stdout_error.compare_exchange_strong(expected, errno == 0 ? EIO : errno);
    }
  }
  const int error = stdout_error.load();
  if (error == 0) return status;
  std::fprintf(stderr, "anydb: cannot write to standard output: %s\n", std::strerror(error));
  return status == exit_ok ? exit_key_failed : status;
}

}  // namespace anydb::cli
