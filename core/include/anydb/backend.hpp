#pragma once

#include <anydb/connection.hpp>
#include <anydb/export.hpp>
#include <anydb/uri.hpp>

#include <memory>
#include <optional>
#include <string_view>

namespace anydb {

// A database backend, implemented by a plugin. A Backend is thread-safe: connect() may be
// called from many threads at once.
class ANYDB_API Backend {
public:
  virtual ~Backend();
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // The name users select it by (--backend NAME), e.g. "sqlite".
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // The backend's own version and the client library it uses, e.g. "0.1.0 (sqlite 3.40.1)".
  [[nodiscard]] virtual std::string version() const = 0;
  // Opens a connection. Throws anydb::ConfigurationError for a URI it does not accept and
  // anydb::ConnectionFailed when the database cannot be reached; messages are redacted.
  //
  // Callers normally use anydb::connect(), which also keeps the plugin loaded for as long as
  // the connection lives.
  [[nodiscard]] virtual std::unique_ptr<Connection> connect(const Uri& uri) = 0;
};

// Keeps whatever owns the code of a connection (its plugin library) alive until after the
// connection is destroyed: the deleter deletes first, then releases the owner.
class ANYDB_API ConnectionDeleter {
public:
  ConnectionDeleter() = default;
  explicit ConnectionDeleter(std::shared_ptr<const void> owner) noexcept : owner_(std::move(owner)) {}
  void operator()(Connection* connection) const noexcept;

private:
  std::shared_ptr<const void> owner_;
};
using ConnectionPtr = std::unique_ptr<Connection, ConnectionDeleter>;

// Connects through `backend`; the connection keeps the backend (and so its plugin library)
// alive. Thread-safe.
[[nodiscard]] ANYDB_API ConnectionPtr connect(const std::shared_ptr<Backend>& backend, const Uri& uri);

}  // namespace anydb
