#pragma once

#include "options.hpp"

#include <CLI/CLI.hpp>

namespace anydb::cli {

CLI::App* add_get_or_create_command(CLI::App& app, GetOrCreateOptions& options);
// Returns the exit status; set-up failures (plugin, URI, connection, schema) throw anydb::Error.
int run_get_or_create(const GetOrCreateOptions& options);

}  // namespace anydb::cli
