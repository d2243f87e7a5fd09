// The anydb command: race-safe get-or-create against any backend, and plugin discovery.

#include "backends_command.hpp"
#include "get_or_create_command.hpp"
#include "options.hpp"
#include "output.hpp"
#include "usage.hpp"

#include <anydb/error.hpp>
#include <anydb/version.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <sstream>

namespace {

using namespace anydb::cli;

int run(CLI::App& app, CLI::App& get_or_create, const GetOrCreateOptions& get_or_create_options,
        CLI::App& backends, const BackendsOptions& backends_options) {
  try {
    if (get_or_create.parsed()) return run_get_or_create(get_or_create_options);
    if (backends.parsed()) return run_backends(backends_options);
  } catch (const UsageError& error) {
    return report_usage_error(error.what(), help_command(app));
  } catch (const anydb::Error& error) {
    std::fprintf(stderr, "anydb: %s\n", error.what());
    return exit_usage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "anydb: internal error: %s\n", error.what());
    return exit_usage;
  }
  return exit_usage;
}

// --help and --version: CLI11 writes the text, which then goes out through print_block() so that
// a failed write is noticed like any other.
int print_help_or_version(CLI::App& app, const CLI::Success& request) {
  std::ostringstream text;
  const int status = app.exit(request, text, text);
  print_block(stdout, text.str());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"anydb: portable database access with race-safe get-or-create", "anydb"};
  app.set_version_flag("--version", fmt::format("anydb {} (plugin ABI {})", anydb::version_string,
                                                anydb::abi_version));
  app.require_subcommand(1);

  GetOrCreateOptions get_or_create_options;
  CLI::App* get_or_create = add_get_or_create_command(app, get_or_create_options);
  BackendsOptions backends_options;
  CLI::App* backends = add_backends_command(app, backends_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help_or_version) {
    return finish_output(print_help_or_version(app, help_or_version));
  } catch (const CLI::ParseError& error) {
    return report_usage_error(parse_error_message(error, app), help_command(app));
  }
  return finish_output(
      run(app, *get_or_create, get_or_create_options, *backends, backends_options));
}
