#pragma once

#include <anydb/backend.hpp>
#include <anydb/uri.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::postgresql {

// How to open and set up one connection, as read from a URI.
struct ConnectOptions {
  // Handed to PQconnectdbParams as dbname with expand_dbname, so that libpq parses it itself
  // (host=/socket/dir, its own query parameters, PG* environment variables, service files).
  // Secrets included; anydb's own parameters removed. Never print it.
  std::string conninfo;
  std::string display;               // the URI redacted, for messages
  std::vector<std::string> secrets;  // passwords in the text, scrubbed from libpq's messages too
  std::optional<IsolationLevel> isolation;
  std::optional<std::size_t> statement_cache;
  // pooler=transaction: a transaction-mode pooler (PgBouncer) may hand every transaction, and
  // every statement outside one, to another server session, so nothing may rely on session
  // state: no named prepared statements, the isolation level sent with each BEGIN.
  bool transaction_pooler = false;
  // read_timeout: seconds the server may stay silent while a call waits for it; 0 waits
  // forever. Then the query is cancelled (best effort), the connection closed, and the call
  // throws anydb::ConnectionLost.
  unsigned read_timeout = 300;
};

// Accepts
//   postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]   (also postgres://)
//   a libpq keyword/value string   host=/tmp/x port=5433 user=u password=p dbname=d
// and libpq's several hosts in either form (postgresql://h1:5432,h2:5433/db, host=h1,h2
// port=5432,5433), passed through unchanged with target_session_attrs choosing among them,
// with anydb's parameters isolation (read_committed | repeatable_read | serializable |
// read_uncommitted), statement_cache (prepared statements kept per connection, 0 to 100000),
// pooler (none | transaction) and read_timeout (seconds, 0 to 86400), as a query parameter of the
// URI or a keyword of the string. Everything else goes to libpq, which rejects what it does not
// know. Throws anydb::ConfigurationError, quoting the URI only redacted.
[[nodiscard]] ConnectOptions parse_connect_options(const Uri& uri);

// `text` from libpq made safe to print: every secret of `options` replaced by ***, then
// anydb::redact_uri over the rest.
[[nodiscard]] std::string scrub(std::string_view text, const ConnectOptions& options);

}  // namespace anydb::postgresql
