#include <anydb/backend.hpp>
#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace anydb {

Backend::~Backend() = default;

std::vector<std::string> Backend::uri_schemes() const { return {std::string(name())}; }

std::string_view to_string(IsolationLevel level) noexcept {
  switch (level) {
    case IsolationLevel::read_uncommitted: return "read_uncommitted";
    case IsolationLevel::read_committed: return "read_committed";
    case IsolationLevel::repeatable_read: return "repeatable_read";
    case IsolationLevel::serializable: return "serializable";
  }
  return "unknown";
}

IsolationLevel parse_isolation_level(std::string_view text) {
  std::string normal(text);
  std::transform(normal.begin(), normal.end(), normal.begin(), [](unsigned char c) {
    return c == '-' || c == ' ' ? '_' : static_cast<char>(std::tolower(c));
  });
  for (auto level : {IsolationLevel::read_uncommitted, IsolationLevel::read_committed,
                     IsolationLevel::repeatable_read, IsolationLevel::serializable})
    if (normal == to_string(level)) return level;
  throw_error(ErrorKind::configuration,
              fmt::format("unknown isolation level '{}' (read_uncommitted, read_committed, "
                          "repeatable_read or serializable)",
                          printable(text, 40)));
}

void ConnectionDeleter::operator()(Connection* connection) const noexcept {
  // Deleting runs the plugin's destructor; owner_ (the plugin library) is released only later,
  // when this deleter itself is destroyed together with its unique_ptr.
  delete connection;
}

ConnectionPtr Backend::connect(const Uri& uri) {
  std::unique_ptr<Connection> connection = do_connect(uri);
  if (!connection)
    throw_error(ErrorKind::plugin, fmt::format("backend '{}' returned no connection", name()));
  // The owner is the shared_ptr the loader made, whose deleter holds the library; it is empty
  // for a backend that no shared_ptr owns, and so was not loaded from a plugin.
  return ConnectionPtr(connection.release(), ConnectionDeleter(weak_from_this().lock()));
}

ConnectionPtr connect(const std::shared_ptr<Backend>& backend, const Uri& uri) {
  if (!backend) throw_error(ErrorKind::invalid_usage, "connect() was given no backend");
  return backend->connect(uri);
}

}  // namespace anydb
