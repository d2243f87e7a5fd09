// libFuzzer target: identifier validation, quoting and printable() on arbitrary bytes.
// Properties: a name is either refused with anydb::InvalidArgument or quoted so that
// unquoting gives the name back and no lone quote character remains inside; printable()
// output is one line of printable text.

#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

std::string unquote(std::string_view quoted, char quote) {
  if (quoted.size() < 2 || quoted.front() != quote || quoted.back() != quote) std::abort();
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == quote) {
      if (i + 2 >= quoted.size() || quoted[i + 1] != quote) std::abort();  // a lone quote
      ++i;
    }
    out += quoted[i];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  for (char quote : {'"', '`'}) {
    anydb::Dialect dialect;
    dialect.identifier_quote = quote;
    try {
      const std::string quoted = dialect.quote_identifier(name);
      if (unquote(quoted, quote) != name) std::abort();
    } catch (const anydb::InvalidArgument&) {
    }
  }
  const std::string shown = anydb::printable(name, 64);
  for (char c : shown)
    if (c == '\n' || c == '\r' || c == '\0') std::abort();
  return 0;
}
