#include <anydb/dialect.hpp>
#include <anydb/error.hpp>
#include <anydb/uri.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>

namespace anydb {

namespace {

constexpr std::string_view redaction = "***";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_secret_key(std::string_view key) {
  static constexpr std::array<std::string_view, 10> secrets = {
      "password", "passwd",      "pwd",     "pass",   "secret",
      "token",    "sslpassword", "api_key", "apikey", "access_token"};
  const std::string name = lower(key);
  return std::find(secrets.begin(), secrets.end(), name) != secrets.end();
}

bool is_pair_separator(char c) { return c == '&' || c == ';' || c == '?' || c == ' ' || c == '\t'; }

// Where the value that starts at `pos` ends: a {braced} ODBC value or a 'quoted' libpq value
// runs to its closing delimiter (or the end), anything else to the next pair separator.
std::size_t value_end(std::string_view text, std::size_t pos) {
  if (pos < text.size() && (text[pos] == '{' || text[pos] == '\'')) {
    const char close = text[pos] == '{' ? '}' : '\'';
    for (std::size_t i = pos + 1; i < text.size(); ++i) {
      if (text[i] == close) {
        if (i + 1 < text.size() && text[i + 1] == close) {
          ++i;
          continue;
        }  // }} or '' escape
        return i + 1;
      }
      if (close == '\'' && text[i] == '\\') ++i;
    }
    return text.size();
  }
  std::size_t end = pos;
  while (end < text.size() && text[end] != '&' && text[end] != ';' && text[end] != ' ' &&
         text[end] != '\t')
    ++end;
  return end;
}

std::size_t skip_blanks(std::string_view text, std::size_t pos) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  return pos;
}

// A "key = value" pair that starts at `pos`: its key (the last segment: the key may end in the
// URI's authority or path, "...db?password=x") and where its value starts.
struct PairStart {
  std::string_view key;
  std::size_t value_start;
};

std::optional<PairStart> pair_at(std::string_view text, std::size_t pos) {
  std::size_t key_end = pos;
  while (key_end < text.size() && text[key_end] != '=' && !is_pair_separator(text[key_end]))
    ++key_end;
  const std::size_t equals = skip_blanks(text, key_end);
  if (equals >= text.size() || text[equals] != '=') return std::nullopt;
  std::string_view key = text.substr(pos, key_end - pos);
  if (const std::size_t cut = key.find_last_of("/:@,"); cut != std::string_view::npos)
    key = key.substr(cut + 1);
  return PairStart{key, skip_blanks(text, equals + 1)};
}

std::string redact_pairs(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const bool token_start = pos == 0 || is_pair_separator(text[pos - 1]);
    const std::optional<PairStart> pair = token_start ? pair_at(text, pos) : std::nullopt;
    if (!pair) {
      out += text[pos++];
      continue;
    }
    const std::size_t end = value_end(text, pair->value_start);
    out.append(text.substr(pos, pair->value_start - pos));
    out.append(is_secret_key(pair->key) ? redaction
                                        : text.substr(pair->value_start, end - pair->value_start));
    pos = end;
  }
  return out;
}

[[noreturn]] void malformed(std::string_view text, std::string_view why) {
  throw_error(ErrorKind::configuration,
              fmt::format("malformed URI '{}': {}", printable(redact_uri(text), 200), why));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, std::string_view whole, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0)
      malformed(whole, fmt::format("invalid percent-encoding in the {}", what));
    const int value = high * 16 + low;
    if (value == 0) malformed(whole, fmt::format("percent-encoded NUL byte in the {}", what));
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query,
                                                             std::string_view whole) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const std::size_t amp = std::min(query.find('&', pos), query.size());
    const std::string_view pair = query.substr(pos, amp - pos);
    if (!pair.empty()) {
      const std::size_t equals = pair.find('=');
      if (equals == 0) malformed(whole, "a query parameter has no name");
      std::string key = percent_decode(pair.substr(0, equals), whole, "query parameter name");
      std::string value = equals == std::string_view::npos
                              ? std::string()
                              : percent_decode(pair.substr(equals + 1), whole, "query");
      out.emplace_back(std::move(key), std::move(value));
    }
    pos = amp + 1;
  }
  return out;
}

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

}  // namespace

std::string redact_uri(std::string_view text) {
  std::string out(text);
  // scheme://user:password@host — the password ends at the last '@', so an unencoded '@' or
  // '/' inside it is still hidden (over-redacting a strange URI beats leaking a secret).
  if (const std::size_t authority = out.find("://"); authority != std::string::npos) {
    const std::size_t start = authority + 3;
    const std::size_t at = out.rfind('@');
    if (at != std::string::npos && at > start) {
      const std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at)
        out.replace(colon + 1, at - colon - 1, redaction);
    }
  }
  return redact_pairs(out);
}

std::optional<std::string> Uri::query_value(std::string_view key) const {
  for (auto it = query_.rbegin(); it != query_.rend(); ++it)
    if (it->first == key) return it->second;
  return std::nullopt;
}

namespace {

// "host:port", "[v6]:port" or "host" (an empty port: none given).
std::pair<std::string_view, std::string_view> split_host_port(std::string_view authority,
                                                              std::string_view text) {
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) malformed(text, "unterminated [IPv6] host");
    const std::string_view tail = authority.substr(close + 1);
    if (tail.empty()) return {authority.substr(1, close - 1), {}};
    if (tail[0] != ':') malformed(text, "unexpected text after the [IPv6] host");
    if (tail.size() == 1) malformed(text, "empty port");
    return {authority.substr(1, close - 1), tail.substr(1)};
  }
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return {authority, {}};
  if (colon + 1 == authority.size()) malformed(text, "empty port");
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

std::uint16_t parse_port(std::string_view port, std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    // The port text is not quoted: when the password holds an unencoded '/' or '?', the
    // authority ends inside it and the "port" is part of the secret. The redacted URI in the
    // message already shows a genuine port.
    malformed(text, "invalid port (a number from 1 to 65535)");
  return static_cast<std::uint16_t>(value);
}

// libpq's multi-host authority, "h1:p1,h2,[::1]:p3": every host and port checked as a single
// one would be, then kept whole, each host percent-decoded and followed by its port as written
// (a bracketed IPv6 literal keeps its brackets, so that the list stays readable).
std::string host_list(std::string_view authority, std::string_view text) {
  std::string hosts;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = std::min(authority.find(',', pos), authority.size());
    const std::string_view entry = authority.substr(pos, comma - pos);
    const auto [host, port] = split_host_port(entry, text);
    if (!port.empty()) (void)parse_port(port, text);
    if (pos > 0) hosts += ',';
    const std::string decoded = percent_decode(host, text, "host");
    hosts += entry.starts_with('[') ? "[" + decoded + "]" : decoded;
    if (!port.empty()) hosts.append(":").append(port);
    if (comma == authority.size()) return hosts;
    pos = comma + 1;
  }
}

}  // namespace

Uri Uri::parse(std::string_view text) {
  if (text.empty()) malformed(text, "it is empty");
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) malformed(text, "it contains a control character or NUL byte");
  }

  Uri uri;
  uri.text_ = std::string(text);
  uri.redacted_ = redact_uri(text);

  std::size_t scheme_end = 0;
  if (std::isalpha(static_cast<unsigned char>(text[0])) != 0) {
    while (scheme_end < text.size() && is_scheme_char(text[scheme_end])) ++scheme_end;
    if (scheme_end >= text.size() || text[scheme_end] != ':') scheme_end = 0;
  }
  if (scheme_end == 0) {
    uri.shape_ = Shape::bare;
    uri.path_ = uri.text_;
    return uri;
  }
  uri.scheme_ = lower(text.substr(0, scheme_end));
  std::string_view rest = text.substr(scheme_end + 1);

  if (!rest.starts_with("//")) {
    uri.shape_ = Shape::opaque;
    const std::size_t question = rest.find('?');
    uri.path_ = std::string(rest.substr(0, question));
    if (question != std::string_view::npos)
      uri.query_ = parse_query(rest.substr(question + 1), text);
    return uri;
  }

  uri.shape_ = Shape::hierarchical;
  rest.remove_prefix(2);
  if (rest.find('#') != std::string_view::npos) malformed(text, "fragments (#...) are not allowed");
  const std::size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view after = rest.substr(authority_end);

  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    uri.user_ = percent_decode(userinfo.substr(0, colon), text, "user name");
    if (colon != std::string_view::npos)
      uri.password_ = percent_decode(userinfo.substr(colon + 1), text, "password");
  }

  if (authority.find(',') != std::string_view::npos) {
    uri.host_ = host_list(authority, text);
  } else {
    const auto [host, port] = split_host_port(authority, text);
    uri.host_ = percent_decode(host, text, "host");
    if (!port.empty()) uri.port_ = parse_port(port, text);
  }

  const std::size_t question = after.find('?');
  uri.path_ = percent_decode(after.substr(0, question), text, "path");
  if (question != std::string_view::npos)
    uri.query_ = parse_query(after.substr(question + 1), text);
  return uri;
}

}  // namespace anydb
