#pragma once

#include <anydb/export.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anydb {

// A parsed database URI. Three shapes are accepted:
//
//   hierarchical  scheme://[user[:password]@]host[:port][/path][?key=value&...]
//                 (percent-decoded; host may be empty, e.g. sqlite:///tmp/x.db, or a bracketed
//                 IPv6 literal; postgresql://u@%2Fvar%2Frun%2Fpostgresql/db names a socket dir;
//                 libpq's host list h1:p1,h2:p2 is accepted, each port checked, and kept whole
//                 in host(), ports included, with port() empty)
//   opaque        scheme:anything-else   e.g. sqlite:demo.db, sqlite::memory:, odbc:DSN=x;PWD=y
//   bare          no scheme at all       e.g. /tmp/x.db, demo.db, :memory:
//
// The password is kept apart from everything printable: to_string() and every error message
// show the URI redacted, and only password() and text() hand the secret out, for the backend
// that has to send it. Parsing throws anydb::ConfigurationError with a redacted message.
class ANYDB_API Uri {
 public:
  enum class Shape { hierarchical, opaque, bare };

  [[nodiscard]] static Uri parse(std::string_view text);

  [[nodiscard]] Shape shape() const noexcept { return shape_; }
  [[nodiscard]] const std::string& scheme() const noexcept { return scheme_; }  // lower case
  [[nodiscard]] const std::string& user() const noexcept { return user_; }
  [[nodiscard]] const std::optional<std::string>& password() const noexcept { return password_; }
  [[nodiscard]] const std::string& host() const noexcept { return host_; }
  [[nodiscard]] std::optional<std::uint16_t> port() const noexcept { return port_; }
  // Hierarchical: the decoded path including its leading '/'. Opaque: everything after
  // "scheme:" up to any '?', undecoded. Bare: the whole text.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& query() const noexcept {
    return query_;
  }
  // The last value given for a query parameter, if any.
  [[nodiscard]] std::optional<std::string> query_value(std::string_view key) const;

  // The text as given, secrets included. Only for handing to a database client library.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  // The text with every secret replaced by "***": safe to print and log.
  [[nodiscard]] std::string to_string() const { return redacted_; }

 private:
  Shape shape_ = Shape::bare;
  std::string scheme_, user_, host_, path_, text_, redacted_;
  std::optional<std::string> password_;
  std::optional<std::uint16_t> port_;
  std::vector<std::pair<std::string, std::string>> query_;
};

// Redacts secrets from any URI-like or connection-string text without requiring it to parse:
// the password of a scheme://user:password@host authority, and the value of every key named
// like a secret (password, passwd, pwd, pass, secret, token, sslpassword, api_key, apikey,
// access_token; any case) in
// key=value pairs separated by '&', ';', whitespace or '?'. Used for every message that
// quotes a URI, including the messages for URIs that fail to parse.
[[nodiscard]] ANYDB_API std::string redact_uri(std::string_view text);

}  // namespace anydb
