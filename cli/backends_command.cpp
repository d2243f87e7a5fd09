#include "backends_command.hpp"

#include "options.hpp"
#include "output.hpp"

#include <anydb/loader.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace anydb::cli {

CLI::App* add_backends_command(CLI::App& app, BackendsOptions& options) {
  CLI::App* command = app.add_subcommand(
      "backends", "List the backend plugins found (name, version, path) and where anydb looks");
  command
      ->add_option("--plugin-dir", options.plugin_dirs,
                   "Also search this directory first (repeatable)")
      ->allow_extra_args(false);
  add_format_option(*command, options.format);
  return command;
}

int run_backends(const BackendsOptions& options) {
  PluginLoader loader(plugin_loader_options(options.plugin_dirs));
  const auto plugins = loader.discover();
  int loadable = 0;

  if (is_json(options.format)) {
    nlohmann::json out = {{"search_path", nlohmann::json::array()},
                          {"backends", nlohmann::json::array()}};
    for (const auto& directory : loader.search_path())
      out["search_path"].push_back(directory.string());
    for (const auto& plugin : plugins) {
      nlohmann::json entry = {{"name", plugin.name}, {"path", plugin.path.string()}};
      if (plugin.error.empty()) {
        entry["version"] = plugin.version;
        ++loadable;
      } else {
        entry["error"] = plugin.error;
      }
      out["backends"].push_back(std::move(entry));
    }
    print_line(dump_json(out));
  } else {
    for (const auto& plugin : plugins) {
      if (plugin.error.empty()) {
        ++loadable;
        print_line(
            fmt::format("{:<12} {:<28} {}", plugin.name, plugin.version, plugin.path.string()));
      } else {
        std::fprintf(stderr, "anydb: %s\n", plugin.error.c_str());
      }
    }
  }
  if (loadable == 0) {
    std::string where;
    for (const auto& directory : loader.search_path())
      where += (where.empty() ? "" : ", ") + directory.string();
    std::fprintf(stderr, "anydb: no loadable backend plugin found in %s\n", where.c_str());
    return exit_key_failed;
  }
  return exit_ok;
}

}  // namespace anydb::cli
