// libFuzzer target: URI parsing and redaction on arbitrary bytes.
// Properties: parse() either succeeds or throws anydb::ConfigurationError (nothing else, no
// crash), and to_string() prints a parsed password as "***".

#include <anydb/error.hpp>
#include <anydb/uri.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// The userinfo of "scheme://user:password@host/...", or nothing: up to the last '@' before the
// path, query or fragment.
std::string_view userinfo(std::string_view text) {
  const auto start = text.find("://");
  if (start == std::string_view::npos) return {};
  const std::string_view rest = text.substr(start + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  return at == std::string_view::npos ? std::string_view() : authority.substr(0, at);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string redacted = anydb::redact_uri(text);
  try {
    const anydb::Uri uri = anydb::Uri::parse(text);
    const auto& password = uri.password();
    // Wherever else the password's text may occur by chance (in the user name, the query), the
    // userinfo that to_string() prints must end in ":***". Not checked for user names with '/',
    // '?' or '#' (they would end the authority early in that reading) or '=' (the redaction
    // then reads "user=..." as a key whose value is secret and hides the whole rest, so no
    // ":***" is left to see).
    if (password && !password->empty() && uri.user().find_first_of("/?#=") == std::string::npos &&
        !userinfo(uri.to_string()).ends_with(":***"))
      std::abort();
    (void)uri.query_value("password");
  } catch (const anydb::ConfigurationError&) {
  }
  return 0;
}
