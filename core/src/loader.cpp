#include <anydb/dialect.hpp>
#include <anydb/error.hpp>
#include <anydb/loader.hpp>
#include <anydb/version.hpp>

#include "plugin_binding.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <system_error>

namespace anydb {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view file_prefix = "anydb-backend-";
constexpr std::string_view file_suffix = ".so";
constexpr const char* abi_symbol = "anydb_abi_version";
constexpr const char* factory_symbol = "anydb_create_backend";

using AbiVersionFunction = std::uint32_t();
using FactoryFunction = std::unique_ptr<Backend>();

[[noreturn]] void refuse(std::string message) {
  throw_error(ErrorKind::plugin, std::move(message));
}

// Names a backend also answers to: one Connector/C plugin serves MariaDB and MySQL alike, so
// `--backend mysql` loads anydb-backend-mariadb.so (whose name() is "mariadb").
[[nodiscard]] std::string_view canonical_backend_name(std::string_view name) noexcept {
  return name == "mysql" ? std::string_view("mariadb") : name;
}

bool is_valid_backend_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name.front() >= 'a' && name.front() <= 'z' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// Boost.DLL reports dlopen failures as "...(dlerror system message: <path>: <reason>): ...";
// the reason is the useful part, and the path is already in our own message.
std::string dlopen_reason(const std::system_error& error, const fs::path& path) {
  std::string text = error.what();
  constexpr std::string_view marker = "dlerror system message: ";
  if (const auto start = text.find(marker); start != std::string::npos) {
    text = text.substr(start + marker.size());
    if (const auto end = text.rfind("): "); end != std::string::npos) text.resize(end);
  }
  const std::string prefix = path.string() + ": ";
  if (text.starts_with(prefix)) text.erase(0, prefix.size());
  return text;
}

// What a scheme names when it is not a backend's own name.
[[nodiscard]] std::string_view backend_name_for_scheme(std::string_view scheme) noexcept {
  if (scheme == "postgres") return "postgresql";
  if (scheme == "file") return "sqlite";
  return canonical_backend_name(scheme);
}

bool declares_scheme(const Backend& backend, std::string_view scheme) {
  const std::vector<std::string> schemes = backend.uri_schemes();
  return std::find(schemes.begin(), schemes.end(), scheme) != schemes.end();
}

// libpq's "host=... dbname=..." (and ODBC's "DSN=...;"): a key, then '=' before any '/'.
bool looks_like_keyword_string(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) return false;
  std::size_t end = start;
  while (end < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[end])) != 0 || text[end] == '_'))
    ++end;
  if (end == start) return false;
  const std::size_t equals = text.find_first_not_of(' ', end);
  return equals != std::string_view::npos && text[equals] == '=';
}

std::string describe_load_failure(const std::string& reason) {
  if (reason.find("invalid ELF header") != std::string::npos ||
      reason.find("file too short") != std::string::npos)
    return fmt::format("not a shared library ({})", reason);
  if (reason.find("wrong ELF class") != std::string::npos ||
      reason.find("ELF file's") != std::string::npos)
    return fmt::format("built for another architecture ({})", reason);
  return reason;
}

// Paths and foreign texts in messages are escaped (printable()), so that a file name with a
// newline or invalid UTF-8 cannot break the one-line message or the terminal.
std::string escaped(std::string_view text) { return printable(text, 4096); }
std::string shown(const fs::path& path) { return escaped(path.native()); }

std::string join_paths(const std::vector<fs::path>& paths) {
  std::string out;
  for (const auto& path : paths) {
    if (!out.empty()) out += ", ";
    out += shown(path);
  }
  return out.empty() ? "(nowhere)" : out;
}

std::optional<std::string> backend_name_of(const fs::path& file) {
  const std::string name = file.filename().string();
  if (!name.starts_with(file_prefix) || !name.ends_with(file_suffix)) return std::nullopt;
  std::string middle =
      name.substr(file_prefix.size(), name.size() - file_prefix.size() - file_suffix.size());
  if (!is_valid_backend_name(middle)) return std::nullopt;
  return middle;
}

// The backend files in one directory, sorted by name; a missing directory has none.
std::vector<fs::path> plugin_files_in(const fs::path& directory) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error))
    if (backend_name_of(it->path()) && it->is_regular_file(error)) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

fs::path default_plugin_dir() {
  // The install (and the build tree) put plugins in anydb/plugins beside libanydb, so the
  // location of this very library finds them for any host program, wherever it is installed.
  return (boost::dll::this_line_location().parent_path() / "anydb" / "plugins").lexically_normal();
}

PluginLoader::PluginLoader() : PluginLoader(Options{}) {}
PluginLoader::PluginLoader(Options options) : options_(std::move(options)) {
  // An empty path joined with a file name is a relative file name: the current directory,
  // which is never searched implicitly (empty ANYDB_PLUGIN_PATH entries are skipped for the
  // same reason).
  for (const auto& directory : options_.plugin_dirs)
    if (directory.empty())
      throw_error(ErrorKind::invalid_argument,
                  "PluginLoader: an empty directory name is not allowed in plugin_dirs (it would "
                  "mean the current directory; give \".\" to search it)");
}
PluginLoader::~PluginLoader() = default;

std::string PluginLoader::file_name_for(std::string_view name) {
  return fmt::format("{}{}{}", file_prefix, name, file_suffix);
}

bool PluginLoader::looks_like_path(std::string_view name_or_path) noexcept {
  return name_or_path.find('/') != std::string_view::npos || name_or_path.ends_with(file_suffix);
}

std::vector<fs::path> PluginLoader::search_path() const {
  std::vector<fs::path> directories = options_.plugin_dirs;
  if (options_.use_environment) {
    if (const char* env = std::getenv("ANYDB_PLUGIN_PATH")) {
      std::string_view rest(env);
      while (!rest.empty()) {
        const std::size_t colon = std::min(rest.find(':'), rest.size());
        // An empty entry means "the current directory" in PATH-like variables; we never
        // search the current directory implicitly, so it is skipped.
        if (colon > 0) directories.emplace_back(rest.substr(0, colon));
        rest.remove_prefix(std::min(colon + 1, rest.size()));
      }
    }
  }
  directories.push_back(default_plugin_dir());
  return directories;
}

std::shared_ptr<Backend> PluginLoader::load(std::string_view name_or_path) {
  if (name_or_path.empty())
    refuse("no backend given (a name such as 'sqlite' or a path to a plugin)");
  if (looks_like_path(name_or_path)) {
    const fs::path path(name_or_path);
    std::error_code error;
    if (!fs::exists(path, error))
      refuse(fmt::format("plugin file not found: {}", printable(name_or_path, 200)));
    return load_file(fs::absolute(path).lexically_normal());
  }
  const std::string_view name = canonical_backend_name(name_or_path);
  if (!is_valid_backend_name(name))
    refuse(
        fmt::format("invalid backend name '{}': a lower-case letter, then letters, digits and "
                    "'_' (64 at most), or a path to a plugin file",
                    printable(name_or_path, 64)));

  if (const std::optional<fs::path> candidate = find_named(name)) {
    std::shared_ptr<Backend> backend = load_file(*candidate);
    if (backend->name() != name)
      refuse(fmt::format("plugin {} calls itself '{}', not '{}'", shown(*candidate),
                         printable(backend->name(), 64), name));
    return backend;
  }

  const std::vector<fs::path> directories = search_path();
  const std::string file = file_name_for(name);
  std::set<std::string> available;
  for (const auto& directory : directories)
    for (const auto& found : plugin_files_in(directory)) available.insert(*backend_name_of(found));
  std::string names;
  for (const auto& other : available) names += (names.empty() ? "" : ", ") + other;
  refuse(fmt::format("unknown backend '{}': no {} in {}; available: {}", name_or_path, file,
                     join_paths(directories), names.empty() ? "none" : names));
}

std::optional<fs::path> PluginLoader::find_named(std::string_view name) const {
  const std::string file = file_name_for(name);
  for (const auto& directory : search_path()) {
    fs::path candidate = directory / file;
    std::error_code error;
    if (fs::exists(candidate, error)) return candidate;
  }
  return std::nullopt;
}

std::shared_ptr<Backend> PluginLoader::load_for(const Uri& uri) {
  if (uri.shape() == Uri::Shape::bare) {
    if (looks_like_keyword_string(uri.path()))
      throw_error(ErrorKind::configuration,
                  fmt::format("'{}' is a key=value connection string, which names no backend: "
                              "choose the backend explicitly (anydb --backend NAME), or write "
                              "a URL such as postgresql://user@host/db",
                              uri.to_string()));
    return load("sqlite");  // a plain file path, the embedded default
  }
  const std::string& scheme = uri.scheme();
  const std::string_view named = backend_name_for_scheme(scheme);
  // The plugin named like the scheme is tried first, so that the usual case loads one plugin.
  if (is_valid_backend_name(named) && find_named(named)) {
    std::shared_ptr<Backend> backend = load(named);
    if (declares_scheme(*backend, scheme)) return backend;
  }
  // A plugin this loader has loaded already, by path say, answers for its schemes too.
  std::vector<std::shared_ptr<Backend>> loaded;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : loaded_) loaded.push_back(entry.second);
  }
  for (const auto& backend : loaded)
    if (declares_scheme(*backend, scheme)) return backend;
  std::string offered;
  for (const auto& plugin : discover()) {
    if (!plugin.error.empty()) continue;
    std::shared_ptr<Backend> backend = load_file(plugin.path);
    if (declares_scheme(*backend, scheme)) return backend;
    offered += fmt::format("{}{} ({})", offered.empty() ? "" : "; ", plugin.name,
                           fmt::join(backend->uri_schemes(), ", "));
  }
  refuse(fmt::format("no backend opens '{}:' URIs ('{}'); the installed backends open: {}",
                     escaped(scheme), uri.to_string(), offered.empty() ? "nothing" : offered));
}

ConnectionPtr PluginLoader::connect(std::string_view url) {
  const Uri uri = Uri::parse(url);
  return load_for(uri)->connect(uri);
}

PluginLoader& default_plugin_loader() {
  // Never destroyed before the connections it handed out: they hold their backends themselves.
  static PluginLoader loader;
  return loader;
}

ConnectionPtr connect(std::string_view url) { return default_plugin_loader().connect(url); }

std::shared_ptr<Backend> PluginLoader::load_file(const fs::path& path) {
  // Cached by canonical path, so that a symlink and its target load once; messages name the
  // file as the user gave it.
  std::error_code error;
  fs::path key = fs::weakly_canonical(path, error);
  if (error) key = path;

  std::lock_guard lock(mutex_);
  if (const auto found = loaded_.find(key); found != loaded_.end()) return found->second;

  if (!fs::is_regular_file(key, error))
    refuse(fmt::format("cannot load plugin {}: not a regular file", shown(path)));

  // A symbol the plugin needs and no library provides must fail here, with dlopen's message,
  // and never later inside a call. A plugin linked with `-z now` (every anydb_add_backend()
  // plugin) has its own symbols bound at load even under RTLD_LAZY, so it is opened lazily: the
  // libraries it brings in (libpq and some twenty below it) are then bound the way they were
  // linked, as in a program that links them, instead of all at once (RTLD_NOW binds every new
  // library; about 0.3 ms of CPU for the PostgreSQL plugin, docs/benchmarks.md). Any other
  // plugin is opened RTLD_NOW, as before.
  const auto binding = detail::binds_own_symbols_at_load(key) ? boost::dll::load_mode::rtld_lazy
                                                              : boost::dll::load_mode::rtld_now;
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    library->load(key, binding | boost::dll::load_mode::rtld_local);
  } catch (const std::system_error& failure) {
    refuse(fmt::format("cannot load plugin {}: {}", shown(path),
                       escaped(describe_load_failure(dlopen_reason(failure, key)))));
  }

  // The ABI number is checked before any function of the plugin is called (only its static
  // initialisers have run, inside dlopen): a factory compiled against another layout of
  // Backend must never be called.
  if (!library->has(abi_symbol))
    refuse(fmt::format("cannot load plugin {}: not an anydb plugin (no {} symbol)", shown(path),
                       abi_symbol));
  const std::uint32_t plugin_abi = library->get_alias<AbiVersionFunction>(abi_symbol)();
  if (plugin_abi != abi_version)
    refuse(
        fmt::format("cannot load plugin {}: plugin ABI version {} != anydb ABI version {} "
                    "(rebuild the plugin against this anydb)",
                    shown(path), plugin_abi, abi_version));
  if (!library->has(factory_symbol))
    refuse(fmt::format("cannot load plugin {}: not an anydb plugin (no {} symbol)", shown(path),
                       factory_symbol));

  std::unique_ptr<Backend> created;
  try {
    created = library->get_alias<FactoryFunction>(factory_symbol)();
  } catch (const std::exception& failure) {
    refuse(fmt::format("cannot load plugin {}: its factory failed: {}", shown(path),
                       escaped(failure.what())));
  } catch (...) {
    refuse(
        fmt::format("cannot load plugin {}: its factory threw an unknown exception", shown(path)));
  }
  if (!created)
    refuse(fmt::format("cannot load plugin {}: its factory returned no backend", shown(path)));

  // The deleter is created here, in libanydb, and owns the library: the backend's destructor
  // (plugin code) runs before the library can be unloaded.
  std::shared_ptr<Backend> backend(created.release(),
                                   [library](Backend* doomed) { delete doomed; });
  loaded_.emplace(key, backend);
  return backend;
}

std::vector<PluginLoader::PluginInfo> PluginLoader::discover() {
  std::vector<PluginInfo> plugins;
  std::set<std::string> seen;
  for (const auto& directory : search_path()) {
    for (const auto& file : plugin_files_in(directory)) {
      const std::string name = *backend_name_of(file);
      if (!seen.insert(name).second) continue;
      PluginInfo info{name, {}, file, {}};
      try {
        const std::shared_ptr<Backend> backend = load_file(file);
        info.version = backend->version();
        if (backend->name() != name)
          info.error =
              fmt::format("plugin {} calls itself '{}', not '{}': it cannot be loaded by name",
                          shown(file), escaped(backend->name()), name);
      } catch (const Error& failure) {
        info.error = failure.message();
      }
      plugins.push_back(std::move(info));
    }
  }
  return plugins;
}

}  // namespace anydb
