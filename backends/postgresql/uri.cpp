#include "uri.hpp"

#include "common/text.hpp"
#include "error.hpp"
#include "handle.hpp"

#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::postgresql {
namespace {

constexpr std::string_view isolation_key = "isolation";
constexpr std::string_view statement_cache_key = "statement_cache";
constexpr std::string_view pooler_key = "pooler";
constexpr std::string_view read_timeout_key = "read_timeout";
constexpr std::size_t max_statement_cache = 100'000;
constexpr std::size_t max_read_timeout = 86'400;  // as the mariadb backend's read_timeout
constexpr std::array secret_keys{std::string_view{"password"}, std::string_view{"sslpassword"}};

[[noreturn]] void reject(const ConnectOptions& options, std::string_view problem) {
  throw_backend_error(ErrorKind::configuration,
                      fmt::format("postgresql URI '{}': {}", options.display, problem));
}

[[nodiscard]] bool is_anydb_key(std::string_view key) noexcept {
  return key == isolation_key || key == statement_cache_key || key == pooler_key ||
         key == read_timeout_key;
}

[[nodiscard]] bool is_secret_key(std::string_view key) noexcept {
  return std::find(secret_keys.begin(), secret_keys.end(), key) != secret_keys.end();
}

[[nodiscard]] bool is_space(char c) noexcept {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

struct Pair {
  std::string key;
  std::string value;               // unescaped
  std::size_t begin = 0, end = 0;  // the span of "key = value" in the text
};

[[nodiscard]] std::size_t skip_space(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

// A 'single-quoted' value starting after the quote at `i`: a backslash escapes the next
// character. Returns the position after the closing quote; nothing when it is unterminated.
[[nodiscard]] std::optional<std::size_t> read_quoted(std::string_view text, std::size_t i,
                                                     std::string& value) {
  while (i < text.size()) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      value += text[i + 1];
      i += 2;
    } else if (text[i] == '\'') {
      return i + 1;
    } else {
      value += text[i++];
    }
  }
  return std::nullopt;
}

// A bare value: up to the next blank; a backslash escapes the next character.
[[nodiscard]] std::size_t read_bare(std::string_view text, std::size_t i, std::string& value) {
  while (i < text.size() && !is_space(text[i])) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    value += text[i++];
  }
  return i;
}

// Splits a libpq keyword/value string the way libpq's conninfo_parse does: values may be
// 'single-quoted', and a backslash escapes the next character. Nothing when the text is not
// well-formed; libpq then reports the problem itself.
[[nodiscard]] std::optional<std::vector<Pair>> split_conninfo(std::string_view text) {
  std::vector<Pair> pairs;
  for (std::size_t i = skip_space(text, 0); i < text.size(); i = skip_space(text, i)) {
    Pair pair;
    pair.begin = i;
    while (i < text.size() && !is_space(text[i]) && text[i] != '=') pair.key += text[i++];
    i = skip_space(text, i);
    if (i >= text.size() || text[i] != '=') return std::nullopt;
    i = skip_space(text, i + 1);
    if (i < text.size() && text[i] == '\'') {
      const std::optional<std::size_t> end = read_quoted(text, i + 1, pair.value);
      if (!end) return std::nullopt;  // unterminated quote
      i = *end;
    } else {
      i = read_bare(text, i, pair.value);
    }
    pair.end = i;
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

[[nodiscard]] int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Uri::parse has checked the encoding already; a stray '%' is kept as is.
[[nodiscard]] std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int high = text[i] == '%' && i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = high >= 0 ? hex_digit(text[i + 2]) : -1;
    if (low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The URI text for libpq: the scheme in lower case (libpq only knows it so) and anydb's own
// query parameters removed; everything else byte for byte as given.
[[nodiscard]] std::string uri_for_libpq(const Uri& uri) {
  const std::string& text = uri.text();
  const std::size_t scheme_end = text.find("://");
  std::string out = uri.scheme() + text.substr(scheme_end, std::string::npos);
  const std::size_t question = out.find('?', uri.scheme().size() + 3);
  if (question == std::string::npos) return out;
  const std::string_view query = std::string_view(out).substr(question + 1);
  std::string kept;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const std::size_t amp = std::min(query.find('&', pos), query.size());
    const std::string_view piece = query.substr(pos, amp - pos);
    if (!piece.empty() && !is_anydb_key(percent_decode(piece.substr(0, piece.find('='))))) {
      if (!kept.empty()) kept += '&';
      kept.append(piece);
    }
    pos = amp + 1;
  }
  out.resize(question);
  if (!kept.empty()) out += '?' + kept;
  return out;
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

void apply_anydb_parameter(ConnectOptions& options, std::string_view key,
                           const std::string& value) {
  if (key == isolation_key) {
    try {
      options.isolation = parse_isolation_level(value);
    } catch (const Error& error) {
      reject(options, error.message());
    }
  } else if (key == statement_cache_key) {
    options.statement_cache = read_number(options, key, value, max_statement_cache);
  } else if (key == read_timeout_key) {
    options.read_timeout =
        static_cast<unsigned>(read_number(options, key, value, max_read_timeout));
  } else if (key == pooler_key && (value == "transaction" || value == "none")) {
    options.transaction_pooler = value == "transaction";
  } else {
    reject(options, fmt::format("pooler='{}' is not one of none, transaction (a session-mode "
                                "pooler needs none)",
                                printable(value, 40)));
  }
}

void read_uri(const Uri& uri, ConnectOptions& options) {
  if (uri.scheme() != "postgresql" && uri.scheme() != "postgres")
    reject(options, fmt::format("the postgresql backend cannot open a '{}' URI",
                                printable(uri.scheme(), 40)));
  if (uri.password()) options.secrets.push_back(*uri.password());
  for (const auto& [key, value] : uri.query()) {
    if (is_anydb_key(key)) apply_anydb_parameter(options, key, value);
    if (is_secret_key(key)) options.secrets.push_back(value);
  }
  options.conninfo = uri_for_libpq(uri);
}

void read_conninfo(const std::string& text, ConnectOptions& options) {
  const auto pairs = split_conninfo(text);
  if (!pairs) {
    options.conninfo = text;  // malformed: let libpq say what is wrong
    return;
  }
  std::size_t copied = 0;
  for (const Pair& pair : *pairs) {
    if (is_secret_key(pair.key)) options.secrets.push_back(pair.value);
    if (!is_anydb_key(pair.key)) continue;
    apply_anydb_parameter(options, pair.key, pair.value);
    options.conninfo.append(text, copied, pair.begin - copied);
    copied = pair.end;
  }
  options.conninfo.append(text, copied, std::string::npos);
}

}  // namespace

ConnectOptions parse_connect_options(const Uri& uri) {
  ConnectOptions options;
  options.display = uri.to_string();
  switch (uri.shape()) {
    case Uri::Shape::hierarchical: read_uri(uri, options); break;
    case Uri::Shape::opaque:
      if (uri.scheme() == "postgresql" || uri.scheme() == "postgres")
        reject(options,
               "write postgresql://[user[:password]@][host][:port][/dbname][?param=value]");
      reject(options, fmt::format("the postgresql backend cannot open a '{}' URI",
                                  printable(uri.scheme(), 40)));
    case Uri::Shape::bare: read_conninfo(uri.text(), options); break;
  }
  // Let libpq check the syntax and its parameter names now, so that a typo is reported as one
  // (anydb::ConfigurationError) and not as a failure to connect.
  char* raw_message = nullptr;
  const ConninfoOptions parsed(PQconninfoParse(options.conninfo.c_str(), &raw_message));
  const LibpqBuffer<char> message(raw_message);
  if (!parsed) {
    std::string why =
        message ? scrub(support::first_line(message.get()), options) : "out of memory";
    if (uri.shape() == Uri::Shape::bare && options.conninfo.find('=') == std::string::npos)
      why += " (write postgresql://user@host:port/dbname or host=... dbname=...)";
    reject(options, why);
  }
  return options;
}

std::string scrub(std::string_view text, const ConnectOptions& options) {
  std::string out(text);
  for (const std::string& secret : options.secrets) {
    // A secret of one or two characters would turn unrelated words into "***" and protects
    // nothing anyway.
    if (secret.size() < 3) continue;
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3))
      out.replace(at, secret.size(), "***");
  }
  return redact_uri(out);
}

}  // namespace anydb::postgresql
