#include "backend.hpp"

#include "connection.hpp"
#include "error.hpp"
#include "uri.hpp"

#include <anydb/version.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace anydb::postgresql {

PgBackend::PgBackend() : serialise_connects_(PQisthreadsafe() == 0) {}

std::string_view PgBackend::name() const noexcept { return backend_name; }

std::string PgBackend::version() const {
  const int libpq = PQlibVersion();  // major * 10000 + minor since PostgreSQL 10
  return fmt::format("{} (libpq {}.{})", anydb::version_string, libpq / 10000, libpq % 10000);
}

std::unique_ptr<Connection> PgBackend::do_connect(const Uri& uri) {
  const ConnectOptions options = parse_connect_options(uri);
  if (!serialise_connects_) return std::make_unique<PgConnection>(options);
  const std::lock_guard lock(connect_mutex_);
  return std::make_unique<PgConnection>(options);
}

}  // namespace anydb::postgresql
