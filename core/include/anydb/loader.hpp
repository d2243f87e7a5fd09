#pragma once

#include <anydb/backend.hpp>
#include <anydb/export.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anydb {

// Finds, loads and caches backend plugins (Boost.DLL).
//
// A backend is named either by a path (anything containing '/' or ending in ".so") or by a
// name, found as `anydb-backend-<name>.so` in, in this order:
//   1. each --plugin-dir given (PluginLoader::Options::plugin_dirs),
//   2. each directory of ANYDB_PLUGIN_PATH (colon-separated),
//   3. `anydb/plugins` next to libanydb itself: the install location, and in a build tree the
//      folder where the build puts the plugins (the build mirrors the installed layout).
// The current directory is never searched implicitly. One alias exists: `mysql` names the
// `mariadb` backend, which serves both servers.
//
// Each library is loaded once per loader (RTLD_NOW | RTLD_LOCAL); the returned Backend keeps
// its library loaded, and so does every connection made through anydb::connect(). Thread-safe,
// but load plugins before starting threads where you can: concurrent dlopen is slow.
//
// Every failure to load throws anydb::PluginError with one line naming the file and the reason.
// The constructor throws anydb::InvalidArgument for an empty path in Options::plugin_dirs,
// which would otherwise mean the current directory.
class ANYDB_API PluginLoader {
 public:
  struct Options {
    std::vector<std::filesystem::path> plugin_dirs;
    bool use_environment = true;  // read ANYDB_PLUGIN_PATH
  };

  struct PluginInfo {
    std::string name;
    std::string version;
    std::filesystem::path path;
    std::string error;  // non-empty when the file was found but could not be loaded
  };

  PluginLoader();
  explicit PluginLoader(Options options);
  ~PluginLoader();
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  [[nodiscard]] std::shared_ptr<Backend> load(std::string_view name_or_path);

  // Every `anydb-backend-*.so` in the search path, each loaded to ask its name and version.
  // A name shadowed by an earlier directory is listed once, from the directory that wins.
  [[nodiscard]] std::vector<PluginInfo> discover();

  // The directories searched for names, in order (existing or not).
  [[nodiscard]] std::vector<std::filesystem::path> search_path() const;

  // The file name a backend called `name` has.
  [[nodiscard]] static std::string file_name_for(std::string_view name);
  [[nodiscard]] static bool looks_like_path(std::string_view name_or_path) noexcept;

 private:
  std::shared_ptr<Backend> load_file(const std::filesystem::path& path);

  Options options_;
  std::mutex mutex_;
  std::map<std::filesystem::path, std::shared_ptr<Backend>> loaded_;
};

// The folder the installed (or built) plugins live in, derived from libanydb's own location.
[[nodiscard]] ANYDB_API std::filesystem::path default_plugin_dir();

}  // namespace anydb
