// The anydb command: race-safe get-or-create against any backend, and plugin discovery.

#include "backends_command.hpp"
#include "get_or_create_command.hpp"
#include "options.hpp"

#include <anydb/error.hpp>
#include <anydb/version.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  using namespace anydb::cli;

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
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? exit_ok : exit_usage;
  }

  try {
    if (get_or_create->parsed()) return run_get_or_create(get_or_create_options);
    if (backends->parsed()) return run_backends(backends_options);
  } catch (const anydb::Error& error) {
    std::fprintf(stderr, "anydb: %s\n", error.what());
    return exit_usage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "anydb: internal error: %s\n", error.what());
    return exit_usage;
  }
  return exit_usage;
}
