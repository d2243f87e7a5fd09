#include "trace_backend.hpp"

#include "trace_connection.hpp"

#include <anydb/error.hpp>
#include <anydb/version.hpp>

namespace anydb_example {

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
  if (inner.scheme() == "trace")
    anydb::throw_error(anydb::ErrorKind::configuration, "the trace backend cannot wrap itself",
                       "trace");
  // The inner URI's scheme picks the inner backend, as it does for anydb::connect(url).
  std::shared_ptr<anydb::Backend> backend = loader_.load_for(inner);
  return std::make_unique<TraceConnection>(anydb::connect(backend, inner));
}

}  // namespace anydb_example
