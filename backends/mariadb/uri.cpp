#include "uri.hpp"

#include "error.hpp"

#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include <fmt/format.h>

#include <charconv>
#include <string_view>

namespace anydb::mariadb {
namespace {

// The server's max_prepared_stmt_count defaults to 16382 for all sessions together.
constexpr std::size_t max_statement_cache = 16'000;
constexpr unsigned max_timeout = 86'400;

[[noreturn]] void reject(const ConnectOptions& options, std::string_view problem) {
  throw_backend_error(ErrorKind::configuration,
                      fmt::format("mariadb URI '{}': {}", options.display, problem));
}

[[nodiscard]] std::size_t read_number(const ConnectOptions& options, std::string_view key,
                                      const std::string& value, std::size_t max) {
  std::size_t number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc{} || end != value.data() + value.size() || number > max)
    reject(options,
           fmt::format("{}='{}' is not a number from 0 to {}", key, printable(value, 40), max));
  return number;
}

[[nodiscard]] SslMode read_ssl_mode(const ConnectOptions& options, const std::string& value) {
  if (value == "disabled") return SslMode::disabled;
  if (value == "required") return SslMode::required;
  if (value == "verify_identity") return SslMode::verify_identity;
  if (value == "verify_ca")
    reject(options,
           "ssl_mode=verify_ca is not available: Connector/C verifies the certificate "
           "only together with the host name (use verify_identity)");
  reject(options, fmt::format("ssl_mode='{}' is not one of disabled, required, verify_identity",
                              printable(value, 40)));
}

[[nodiscard]] std::string read_path(const ConnectOptions& options, std::string_view key,
                                    const std::string& value) {
  if (value.empty() || value.find('\0') != std::string::npos)
    reject(options, fmt::format("{} must be a file path", key));
  return value;
}

// One query parameter. The TLS files imply ssl_mode=required unless ssl_mode says otherwise.
void apply_parameter(ConnectOptions& options, const std::string& key, const std::string& value,
                     bool& ssl_mode_given) {
  if (key == "unix_socket") {
    options.unix_socket = read_path(options, key, value);
  } else if (key == "ssl_mode") {
    options.ssl_mode = read_ssl_mode(options, value);
    ssl_mode_given = true;
  } else if (key == "ssl_ca") {
    options.ssl_ca = read_path(options, key, value);
  } else if (key == "ssl_cert") {
    options.ssl_cert = read_path(options, key, value);
  } else if (key == "ssl_key") {
    options.ssl_key = read_path(options, key, value);
  } else if (key == "connect_timeout") {
    options.connect_timeout = static_cast<unsigned>(read_number(options, key, value, max_timeout));
  } else if (key == "read_timeout") {
    options.read_timeout = static_cast<unsigned>(read_number(options, key, value, max_timeout));
  } else if (key == "statement_cache") {
    options.statement_cache = read_number(options, key, value, max_statement_cache);
  } else if (key == "isolation") {
    try {
      options.isolation = parse_isolation_level(value);
    } catch (const Error& error) {
      reject(options, error.message());
    }
  } else {
    reject(options, fmt::format("unknown parameter '{}' (known: unix_socket, ssl_mode, ssl_ca, "
                                "ssl_cert, ssl_key, connect_timeout, read_timeout, isolation, "
                                "statement_cache)",
                                printable(key, 40)));
  }
}

}  // namespace

ConnectOptions parse_connect_options(const Uri& uri) {
  ConnectOptions options;
  options.display = uri.to_string();
  const bool ours = uri.scheme() == "mariadb" || uri.scheme() == "mysql";
  if (!ours)
    reject(options,
           fmt::format("the mariadb backend cannot open a '{}' URI", printable(uri.scheme(), 40)));
  if (uri.shape() != Uri::Shape::hierarchical)
    reject(options, "write mariadb://[user[:password]@][host][:port][/database][?param=value]");
  // The core accepts libpq's host lists (h1:p1,h2:p2); Connector/C would take the list for one
  // host name and fail with "Unknown server host".
  if (uri.host().find(',') != std::string::npos)
    reject(options,
           "the mariadb backend connects to one server, not a host list: give --db once per "
           "server (the CLI spreads its threads over them) or put a proxy in front");
  options.host = uri.host();
  options.user = uri.user();
  options.password = uri.password();
  options.port = uri.port().value_or(0);
  std::string_view database = uri.path();
  if (database.starts_with('/')) database.remove_prefix(1);
  if (database.find('/') != std::string_view::npos)
    reject(options, "the path must be one database name");
  options.database = std::string(database);
  bool ssl_mode_given = false;
  for (const auto& [key, value] : uri.query()) apply_parameter(options, key, value, ssl_mode_given);
  const bool tls_files =
      !options.ssl_ca.empty() || !options.ssl_cert.empty() || !options.ssl_key.empty();
  if (tls_files && !ssl_mode_given) options.ssl_mode = SslMode::required;
  if (tls_files && options.ssl_mode == SslMode::disabled)
    reject(options, "ssl_ca/ssl_cert/ssl_key were given with ssl_mode=disabled");
  if (options.ssl_cert.empty() != options.ssl_key.empty())
    reject(options, "ssl_cert and ssl_key go together");
  return options;
}

}  // namespace anydb::mariadb
