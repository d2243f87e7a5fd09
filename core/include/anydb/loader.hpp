#pragma once

#include <anydb/backend.hpp>
#include <anydb/export.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
// Each library is loaded once per loader, RTLD_LOCAL: RTLD_LAZY for a plugin linked with -z now
// (as anydb_add_backend() links them), whose own symbols are still bound at load, and RTLD_NOW
// for any other, so a symbol missing at run time always fails the load. The returned Backend
// keeps its library loaded, and so does every connection made through anydb::connect().
// Thread-safe, but load plugins before starting threads where you can: concurrent dlopen is slow.
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

  // The backend that opens `uri`: a URI without a scheme (a plain file path) is SQLite's; for
  // any other, the backend named like the scheme (postgres, file and mysql stand for
  // postgresql, sqlite and mariadb) when it declares the scheme (Backend::uri_schemes()),
  // otherwise a plugin this loader loaded already (by path, say) that declares it, otherwise
  // the first plugin in the search path that declares it. Throws anydb::PluginError
  // naming the schemes the installed backends open when none does, and
  // anydb::ConfigurationError for a libpq-style "key=value ..." text, which names no backend.
  [[nodiscard]] std::shared_ptr<Backend> load_for(const Uri& uri);

  // Uri::parse(url), then load_for(uri)->connect(uri). The connection keeps its plugin loaded.
  [[nodiscard]] ConnectionPtr connect(std::string_view url);

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
  // The first file for a backend called `name` in the search path.
  [[nodiscard]] std::optional<std::filesystem::path> find_named(std::string_view name) const;

  Options options_;
  std::mutex mutex_;
  std::map<std::filesystem::path, std::shared_ptr<Backend>> loaded_;
};

// Opens a connection from a URL alone, as SOCI's session("postgresql://..."): the backend is
// chosen by the URL's scheme (PluginLoader::load_for) and loaded by a process-wide loader
// (default_plugin_loader()). The connection keeps its plugin loaded for as long as it lives.
// Thread-safe: any number of threads may call it at once (each connection is then used by one
// thread at a time, as always). Throws what Uri::parse, load_for and Backend::connect throw.
[[nodiscard]] ANYDB_API ConnectionPtr connect(std::string_view url);

// The loader connect(url) uses: default options (ANYDB_PLUGIN_PATH, then the folder beside
// libanydb), created on first use and kept until the process exits, so that each plugin is
// loaded once per process. Thread-safe.
[[nodiscard]] ANYDB_API PluginLoader& default_plugin_loader();

// The folder the installed (or built) plugins live in, derived from libanydb's own location.
[[nodiscard]] ANYDB_API std::filesystem::path default_plugin_dir();

}  // namespace anydb
