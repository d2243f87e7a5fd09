#include "usage.hpp"

#include "options.hpp"

#include <anydb/dialect.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <system_error>

namespace anydb::cli {

namespace {

// The subcommand being parsed when the error happened, or the top-level app.
const CLI::App& innermost_command(const CLI::App& app) {
  const CLI::App* current = &app;
  for (;;) {
    const std::vector<CLI::App*> parsed = current->get_subcommands();
    if (parsed.empty()) return *current;
    current = parsed.back();
  }
}

// The option a CLI11 message starts with ("--threads: ..."), or empty.
std::string leading_option(std::string_view message) {
  if (!message.starts_with("-")) return {};
  return std::string(message.substr(0, message.find(':')));
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string available_commands(const CLI::App& app) {
  std::string names;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : " and ") + command->get_name();
  return names;
}

// An argument no option or positional took: an unknown option, an unknown command, or one
// argument too many.
std::string unexpected_argument(const CLI::App& app, const CLI::App& command,
                                const std::string& argument) {
  if (argument.starts_with("-")) return fmt::format("unknown option {}", printable(argument));
  if (&command == &app)
    return fmt::format("unknown command '{}'; the commands are {}", printable(argument),
                       available_commands(app));
  return fmt::format("unexpected argument '{}'", printable(argument));
}

}  // namespace

void usage_error(const std::string& message) { throw UsageError(message); }

CLI::Validator whole_number(long long min, long long max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        long long value = 0;
        const char* const end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        if (text.empty() || error == std::errc::invalid_argument || stop != end)
          return fmt::format("'{}' is not a number (expected a whole number from {} to {})",
                             printable(text, 40), min, max);
        if (error == std::errc::result_out_of_range || value < min || value > max)
          return fmt::format("{} is out of range (expected a whole number from {} to {})",
                             printable(text, 40), min, max);
        return {};
      },
      fmt::format("{} to {}", min, max));
}

std::string parse_error_message(const CLI::ParseError& error, const CLI::App& app) {
  const CLI::App& command = innermost_command(app);
  const std::string message = one_line(error.what());
  for (const CLI::App* scope : {&command, &app}) {
    const std::vector<std::string> left = scope->remaining();
    if (!left.empty()) return unexpected_argument(app, *scope, left.front());
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr &&
      message.find("subcommand") != std::string::npos)
    return fmt::format("no command given; the commands are {}", available_commands(app));
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    const std::string option = leading_option(message);
    if (!option.empty() && message.ends_with("missing")) return option + " needs a value";
    if (!option.empty() && message.find("At Most") != std::string::npos)
      return option + " may be given only once";
  }
  return message;
}

std::string help_command(const CLI::App& app) {
  const CLI::App& command = innermost_command(app);
  if (&command == &app) return app.get_name();
  return app.get_name() + " " + command.get_name();
}

int report_usage_error(std::string_view message, std::string_view command) {
  std::fprintf(stderr, "anydb: %s (try '%s --help')\n", std::string(message).c_str(),
               std::string(command).c_str());
  return exit_usage;
}

}  // namespace anydb::cli
