#include "uri.hpp"

#include "profile.hpp"

#include "common/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

namespace anydb::odbc {
namespace {

constexpr std::string_view anydb_prefix = "ANYDB_";
constexpr std::size_t max_statement_cache = 100'000;

// Keys whose values are secrets in every driver anydb knows.
[[nodiscard]] bool is_secret_key(std::string_view key) {
  static constexpr std::array secrets{
      std::string_view{"pwd"},     std::string_view{"password"},    std::string_view{"passwd"},
      std::string_view{"secret"},  std::string_view{"token"},       std::string_view{"sslpassword"},
      std::string_view{"api_key"}, std::string_view{"access_token"}};
  const std::string name = support::ascii_lower(key);
  return std::find(secrets.begin(), secrets.end(), name) != secrets.end();
}

// A value needs braces when it holds a character with a meaning in connection strings.
[[nodiscard]] std::string render_value(std::string_view value) {
  if (value.find(';') == std::string_view::npos && !value.starts_with('{') &&
      support::trim(value) == value)
    return std::string(value);
  std::string braced = "{";
  for (char c : value) {
    if (c == '}') braced += '}';  // "}}" is a literal '}' inside braces
    braced += c;
  }
  braced += '}';
  return braced;
}

[[nodiscard]] std::string render(const std::vector<Attribute>& attributes, bool redact) {
  std::string out;
  for (const Attribute& attribute : attributes) {
    if (!out.empty()) out += ';';
    out += attribute.key;
    out += '=';
    if (redact && is_secret_key(attribute.key))
      out += "***";
    else
      out += attribute.raw.empty() ? render_value(attribute.value) : attribute.raw;
  }
  return out;
}

[[noreturn]] void reject(std::string_view display, std::string_view problem) {
  throw_backend_error(ErrorKind::configuration, fmt::format("URI 'odbc:{}': {}", display, problem));
}

// Where the segment that starts at `pos` ends: at its ';', or at the end of the text.
[[nodiscard]] std::size_t segment_end(std::string_view text, std::size_t pos) noexcept {
  const std::size_t semicolon = text.find(';', pos);
  return semicolon == std::string_view::npos ? text.size() : semicolon;
}

// Reads the braced value that starts at text[pos] == '{' into `value` ("}}" is a literal '}');
// returns the position after the closing brace.
[[nodiscard]] std::size_t read_braced(std::string_view text, std::size_t pos, std::string& value,
                                      std::string_view key, std::string_view display) {
  for (++pos;; ++pos) {
    if (pos >= text.size())
      reject(display, fmt::format("the value of {} has no closing '}}'", printable(key)));
    if (text[pos] != '}') {
      value += text[pos];
    } else if (pos + 1 < text.size() && text[pos + 1] == '}') {
      value += '}';
      ++pos;
    } else {
      return pos + 1;
    }
  }
}

// Reads the value that follows "KEY=" at `pos` into `attribute`; returns where the next
// attribute starts (past the end of the text after the last one).
[[nodiscard]] std::size_t read_value(std::string_view text, std::size_t pos, Attribute& attribute,
                                     std::string_view display) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos >= text.size() || text[pos] != '{') {
    const std::size_t end = segment_end(text, pos);
    attribute.value = std::string(support::trim(text.substr(pos, end - pos)));
    attribute.raw = attribute.value;
    return end + 1;
  }
  const std::size_t value_start = pos;
  pos = read_braced(text, pos, attribute.value, attribute.key, display);
  attribute.raw = std::string(text.substr(value_start, pos - value_start));
  const std::size_t end = segment_end(text, pos);
  if (!support::trim(text.substr(pos, end - pos)).empty())
    reject(display,
           fmt::format("unexpected text after the braced value of {}", printable(attribute.key)));
  return end + 1;
}

// Splits an ODBC connection string into attributes. `display` is only for messages.
[[nodiscard]] std::vector<Attribute> split_attributes(std::string_view text,
                                                      std::string_view display) {
  std::vector<Attribute> attributes;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = segment_end(text, pos);
    const std::size_t equals = text.find('=', pos);
    if (equals == std::string_view::npos || equals > end) {
      // A segment without '=': only whitespace (as in "a=b;;" or a trailing ';') is allowed.
      const std::string_view segment = support::trim(text.substr(pos, end - pos));
      if (!segment.empty())
        reject(display, fmt::format("'{}' is not KEY=VALUE", printable(segment)));
      pos = end + 1;
      continue;
    }
    Attribute attribute;
    attribute.key = std::string(support::trim(text.substr(pos, equals - pos)));
    if (attribute.key.empty()) reject(display, "an attribute has an empty key");
    pos = read_value(text, equals + 1, attribute, display);
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

}  // namespace

bool ConnectOptions::has(std::string_view key) const noexcept {
  return std::any_of(attributes.begin(), attributes.end(), [&](const Attribute& attribute) {
    return support::iequals(attribute.key, key);
  });
}

std::optional<std::string> ConnectOptions::value(std::string_view key) const {
  std::optional<std::string> found;
  for (const Attribute& attribute : attributes)
    if (support::iequals(attribute.key, key)) found = attribute.value;
  return found;
}

std::string ConnectOptions::connection_string(Product product) const {
  std::vector<Attribute> all = attributes;
  const auto add_default = [&](std::string_view key, std::string value) {
    if (!has(key)) all.push_back(Attribute{std::string(key), std::move(value), {}});
  };
  profile_for(product).add_connection_defaults(add_default);
  return render(all, false);
}

ConnectOptions parse_connect_options(const Uri& uri) {
  std::string text;
  switch (uri.shape()) {
    case Uri::Shape::opaque:
      if (uri.scheme() != backend_name)
        throw_backend_error(ErrorKind::configuration,
                            fmt::format("the odbc backend cannot open a '{}' URI ('{}')",
                                        printable(uri.scheme()), redact_uri(uri.text())));
      text = uri.text().substr(backend_name.size() + 1);
      break;
    case Uri::Shape::bare: text = uri.text(); break;
    case Uri::Shape::hierarchical:
      throw_backend_error(ErrorKind::configuration,
                          fmt::format("URI '{}': the odbc backend takes a connection string, not a "
                                      "scheme://host URI: write odbc:DSN=name;UID=..;PWD=.. or "
                                      "odbc:DRIVER=...;DATABASE=...",
                                      redact_uri(uri.text())));
  }
  // The first display, before the text is understood, must already be safe.
  const std::string raw_display = redact_uri(text);
  if (support::trim(text).empty())
    reject(raw_display,
           "no connection string: write odbc:DSN=name, odbc:name or odbc:DRIVER=...;...");
  if (text.find('\0') != std::string::npos)
    reject(raw_display, "the connection string contains a NUL byte");

  ConnectOptions options;
  std::vector<Attribute> attributes;
  if (text.find('=') == std::string::npos) {
    // A bare data source name.
    attributes.push_back(Attribute{"DSN", std::string(support::trim(text)), {}});
  } else {
    attributes = split_attributes(text, raw_display);
  }
  options.display = redact_uri(render(attributes, true));

  for (Attribute& attribute : attributes) {
    const std::string upper_key = [&] {
      std::string key = attribute.key;
      std::transform(key.begin(), key.end(), key.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return key;
    }();
    if (!upper_key.starts_with(anydb_prefix)) {
      options.attributes.push_back(std::move(attribute));
      continue;
    }
    if (upper_key == "ANYDB_ISOLATION") {
      try {
        options.isolation = parse_isolation_level(attribute.value);
      } catch (const Error& error) {
        reject(options.display, error.message());
      }
    } else if (upper_key == "ANYDB_STATEMENT_CACHE") {
      std::size_t size = 0;
      const std::string& value = attribute.value;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), size);
      if (error != std::errc{} || end != value.data() + value.size() || size > max_statement_cache)
        reject(options.display,
               fmt::format("ANYDB_STATEMENT_CACHE='{}' is not a number from 0 to {}",
                           printable(value), max_statement_cache));
      options.statement_cache = size;
    } else {
      reject(options.display, fmt::format("unknown anydb option '{}' (known: ANYDB_ISOLATION, "
                                          "ANYDB_STATEMENT_CACHE)",
                                          printable(attribute.key)));
    }
  }
  if (options.attributes.empty())
    reject(options.display, "no driver attributes: give DSN=name or DRIVER=...");
  if (const auto driver = options.value("DRIVER"))
    options.expected_product = product_of_driver(*driver);
  return options;
}

}  // namespace anydb::odbc
