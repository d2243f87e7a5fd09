#pragma once

#include <anydb/connection.hpp>
#include <anydb/export.hpp>
#include <anydb/uri.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anydb {

// Keeps whatever owns the code of a connection (its plugin library) alive until after the
// connection is destroyed: the deleter deletes first, then releases the owner.
class ANYDB_API ConnectionDeleter {
 public:
  ConnectionDeleter() = default;
  explicit ConnectionDeleter(std::shared_ptr<const void> owner) noexcept
      : owner_(std::move(owner)) {}
  void operator()(Connection* connection) const noexcept;

 private:
  std::shared_ptr<const void> owner_;
};
using ConnectionPtr = std::unique_ptr<Connection, ConnectionDeleter>;

// A database backend, implemented by a plugin. A Backend is thread-safe: connect() may be
// called from many threads at once.
//
// Lifetime: PluginLoader hands out every Backend in a std::shared_ptr whose deleter owns the
// plugin library, and every connection that connect() returns holds that shared_ptr. So no
// object a plugin makes outlives the plugin's code, whichever of loader, backend and
// connection goes first. Plugins implement do_connect(); connect() itself is not virtual, so
// no plugin can hand out a connection without that guarantee.
class ANYDB_API Backend : public std::enable_shared_from_this<Backend> {
 public:
  virtual ~Backend();
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // The name users select it by (--backend NAME), e.g. "sqlite".
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // The backend's own version and the client library it uses, e.g. "0.1.0 (sqlite 3.40.1)".
  [[nodiscard]] virtual std::string version() const = 0;
  // The URI schemes this backend opens, in lower case (e.g. "postgresql", "postgres"), so that a
  // URI can pick its backend: PluginLoader::load_for(), anydb::connect(url) and the anydb
  // command without --backend. The default is the backend's name alone.
  [[nodiscard]] virtual std::vector<std::string> uri_schemes() const;
  // Opens a connection, which keeps this backend (and so its plugin library) alive for as long
  // as it lives. Throws anydb::ConfigurationError for a URI the backend does not accept,
  // anydb::ConnectionFailed when the database cannot be reached (messages are redacted), and
  // anydb::PluginError when the backend returns no connection. Thread-safe.
  //
  // A Backend that no std::shared_ptr owns (one a program made itself rather than loaded, so
  // its code cannot be unloaded) gives connections that hold nothing.
  [[nodiscard]] ConnectionPtr connect(const Uri& uri);

 protected:
  // The backend's part of connect(): opens the connection, with the same contract. Called
  // only by connect(), possibly from many threads at once.
  [[nodiscard]] virtual std::unique_ptr<Connection> do_connect(const Uri& uri) = 0;
};

// backend->connect(uri), with a null `backend` refused (anydb::UsageError). Thread-safe.
[[nodiscard]] ANYDB_API ConnectionPtr connect(const std::shared_ptr<Backend>& backend,
                                              const Uri& uri);

}  // namespace anydb
