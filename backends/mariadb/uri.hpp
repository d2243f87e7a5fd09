#pragma once

#include <anydb/connection.hpp>
#include <anydb/uri.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace anydb::mariadb {

// TLS as the URI asks for it. Connector/C either does not use TLS, requires it, or requires it
// and verifies the server's certificate together with its host name: there is no "verify the CA
// only" mode, so ssl_mode=verify_ca is refused rather than quietly made stricter or weaker.
enum class SslMode { disabled, required, verify_identity };

// The read_timeout of a URI that gives none: long enough for any statement get-or-create sends,
// including a lock wait (InnoDB gives up after innodb_lock_wait_timeout, 50 s by default).
inline constexpr unsigned default_read_timeout_seconds = 300;

// How to open and set up one connection, as read from a URI. Holds the password: never print
// it; `display` is the URI redacted.
struct ConnectOptions {
  std::string host;  // empty: localhost through the default socket
  std::string user;
  std::optional<std::string> password;
  std::string database;
  unsigned port = 0;  // 0: Connector/C's default (3306)
  std::string unix_socket;
  SslMode ssl_mode = SslMode::disabled;
  std::string ssl_ca, ssl_cert, ssl_key;
  unsigned connect_timeout = 0;  // seconds; 0 leaves Connector/C's default
  // Seconds per read, and per write: a hung server or network ends a wait with ConnectionLost
  // instead of never. 0: wait forever.
  unsigned read_timeout = default_read_timeout_seconds;
  std::optional<IsolationLevel> isolation;
  std::optional<std::size_t> statement_cache;
  std::string display;
};

// Accepts
//   mariadb://[user[:password]@][host][:port][/database][?param=value&...]   (also mysql://)
// with the parameters unix_socket=/path, ssl_mode (disabled | required | verify_identity),
// ssl_ca, ssl_cert, ssl_key (file paths; any of them without ssl_mode means required),
// connect_timeout and read_timeout (seconds; read_timeout bounds every read and write, 300 by
// default, 0 for none), isolation
// (read_uncommitted | read_committed | repeatable_read | serializable) and statement_cache
// (prepared statements kept per connection, 0 to 16000). Anything else, and any other URI
// shape, throws anydb::ConfigurationError quoting the URI redacted.
[[nodiscard]] ConnectOptions parse_connect_options(const Uri& uri);

}  // namespace anydb::mariadb
