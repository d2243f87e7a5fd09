#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include "utf8.hpp"

#include <fmt/format.h>

namespace anydb {

namespace {

constexpr std::size_t max_identifier_bytes = 128;

}  // namespace

std::string Dialect::placeholder(int index) const {
  if (placeholders == Placeholders::dollar_numbered) return fmt::format("${}", index);
  return "?";
}

std::string Dialect::quote_identifier(std::string_view name) const {
  validate_identifier(name);
  std::string quoted(1, identifier_quote);
  for (char c : name) {
    if (c == identifier_quote) quoted += c;  // doubling is the one escape every SQL dialect has
    quoted += c;
  }
  quoted += identifier_quote;
  return quoted;
}

void validate_identifier(std::string_view name) {
  const auto refuse = [&](std::string_view why) {
    throw_error(ErrorKind::invalid_argument,
                fmt::format("invalid identifier \"{}\": {}", printable(name), why));
  };
  if (name.empty()) refuse("it is empty");
  if (name.size() > max_identifier_bytes)
    refuse(fmt::format("it is longer than {} bytes", max_identifier_bytes));
  if (!detail::is_valid_utf8(name)) refuse("it is not valid UTF-8");
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) refuse("it contains a control character or NUL byte");
  }
}

std::string printable(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  std::size_t pos = 0;
  while (pos < bytes.size() && out.size() < max_bytes) {
    const auto byte = static_cast<unsigned char>(bytes[pos]);
    const std::size_t length = detail::utf8_sequence_length(bytes, pos);
    if (byte >= 0x20 && byte != 0x7F && byte != '\\' && length > 0) {
      out.append(bytes.substr(pos, length));
      pos += length;
    } else {
      out += fmt::format("\\x{:02x}", byte);
      ++pos;
    }
  }
  if (pos < bytes.size()) out += "...";
  return out;
}

}  // namespace anydb
