#pragma once

#include "options.hpp"

#include <CLI/CLI.hpp>

namespace anydb::cli {

struct BackendsOptions {
  std::vector<std::string> plugin_dirs;
  std::string format = "text";
};

CLI::App* add_backends_command(CLI::App& app, BackendsOptions& options);
// Lists every plugin found in the search path. Exit 0 when at least one loads.
int run_backends(const BackendsOptions& options);

}  // namespace anydb::cli
