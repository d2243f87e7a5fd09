#pragma once

#include "error.hpp"

#include <anydb/backend.hpp>
#include <anydb/uri.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {

// One attribute of an ODBC connection string, KEY=VALUE or KEY={VALUE} (braces keep ';').
struct Attribute {
  std::string key;
  std::string value;  // without the braces; "}}" undoubled
  std::string raw;    // the value as written (braces and all), handed to the driver unchanged
};

// What connect() needs from an `odbc:` URI.
//
//   odbc:DRIVER=/path/to/driver.so;DATABASE=...;UID=...;PWD=...   (DSN-less)
//   odbc:DRIVER={Registered name};...
//   odbc:DSN=name;UID=...;PWD=...
//   odbc:name                                                     (a bare DSN name)
//
// Everything after "odbc:" is the connection string (it may contain '?'). Attributes whose
// keys start with ANYDB_ are anydb's own and are removed before the string reaches the driver:
//
//   ANYDB_ISOLATION=read_committed|repeatable_read|serializable|read_uncommitted
//       set after connecting, then verified; a level the database does not really run refuses
//       the connection (anydb::ConfigurationError).
//   ANYDB_STATEMENT_CACHE=N   prepared statements kept per connection (default 64, 0 = none)
struct ConnectOptions {
  std::vector<Attribute> attributes;  // the driver's, in order
  std::string display;                // the connection string with every secret redacted
  std::optional<IsolationLevel> isolation;
  std::optional<std::size_t> statement_cache;
  // Guessed from DRIVER before connecting, so that the product's settings can be added to the
  // first connection string (a DSN is only known after connecting).
  Product expected_product = Product::generic;

  // Whether the driver's attributes include `key` (case-insensitive).
  [[nodiscard]] bool has(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<std::string> value(std::string_view key) const;
  // The connection string for SQLDriverConnect: the driver's attributes plus the settings
  // anydb needs for `product` where the user gave none (see uri.cpp). Holds secrets.
  [[nodiscard]] std::string connection_string(Product product) const;
};

// Throws anydb::ConfigurationError (message redacted) for a malformed URI or ANYDB_ option.
[[nodiscard]] ConnectOptions parse_connect_options(const Uri& uri);

// The read and write timeout handed to MariaDB Connector/ODBC (READ_TIMEOUT, WRITE_TIMEOUT)
// unless the URI gives one: the native MariaDB backend's read_timeout default.
inline constexpr int default_read_timeout_seconds = 300;

// The default busy timeout handed to the SQLite ODBC driver (its own default is 100 s).
inline constexpr int default_sqlite_timeout_ms = 5000;

}  // namespace anydb::odbc
