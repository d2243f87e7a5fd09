#include "trace_backend.hpp"

#include "trace_connection.hpp"

#include <anydb/error.hpp>
#include <anydb/version.hpp>

namespace anydb_example {

namespace {

// Which backend serves the inner URI.
std::string inner_backend_name(const anydb::Uri& inner) {
  if (inner.shape() == anydb::Uri::Shape::bare) return "sqlite";
  if (inner.scheme() == "postgres") return "postgresql";
  return inner.scheme();
}

}  // namespace

std::string TraceBackend::version() const {
  return std::string(anydb::version_string) + " (example)";
}

std::unique_ptr<anydb::Connection> TraceBackend::do_connect(const anydb::Uri& uri) {
  if (uri.scheme() != "trace" || uri.shape() != anydb::Uri::Shape::opaque)
    anydb::throw_error(
        anydb::ErrorKind::configuration,
        "the trace backend takes URIs of the form trace:<inner URI>, not '" + uri.to_string() + "'",
        "trace");
  const std::string inner_text = uri.text().substr(uri.text().find(':') + 1);
  anydb::Uri inner = anydb::Uri::parse(inner_text);
  const std::string backend_name = inner_backend_name(inner);
  if (backend_name == "trace")
    anydb::throw_error(anydb::ErrorKind::configuration, "the trace backend cannot wrap itself",
                       "trace");
  std::shared_ptr<anydb::Backend> backend = loader_.load(backend_name);
  return std::make_unique<TraceConnection>(anydb::connect(backend, inner));
}

}  // namespace anydb_example
