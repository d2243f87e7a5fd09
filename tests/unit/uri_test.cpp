// anydb::Uri::parse and anydb::redact_uri: the three URI shapes, percent-decoding, malformed
// input, and that no secret ever reaches to_string() or an error message.
#include <anydb/error.hpp>
#include <anydb/uri.hpp>

#include "unit_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using anydb::ConfigurationError;
using anydb::ErrorKind;
using anydb::redact_uri;
using anydb::Uri;
using anydb_test::Contains;
using anydb_test::Lacks;
using namespace std::string_literals;
using Query = std::vector<std::pair<std::string, std::string>>;

std::string parse_error(const std::string& text) {
  return anydb_test::what_of<ConfigurationError>([&] { (void)Uri::parse(text); },
                                                 ErrorKind::configuration);
}

// --- bare ----------------------------------------------------------------------------------

TEST(UriBare, AbsolutePath) {
  const Uri uri = Uri::parse("/tmp/x.db");
  EXPECT_EQ(uri.shape(), Uri::Shape::bare);
  EXPECT_EQ(uri.scheme(), "");
  EXPECT_EQ(uri.path(), "/tmp/x.db");
  EXPECT_EQ(uri.text(), "/tmp/x.db");
  EXPECT_EQ(uri.to_string(), "/tmp/x.db");
  EXPECT_FALSE(uri.password().has_value());
  EXPECT_FALSE(uri.port().has_value());
}

TEST(UriBare, RelativePathWithDotIsNotAScheme) {
  const Uri uri = Uri::parse("demo.db");
  EXPECT_EQ(uri.shape(), Uri::Shape::bare);
  EXPECT_EQ(uri.scheme(), "");
  EXPECT_EQ(uri.path(), "demo.db");
}

TEST(UriBare, Memory) {
  const Uri uri = Uri::parse(":memory:");
  EXPECT_EQ(uri.shape(), Uri::Shape::bare);
  EXPECT_EQ(uri.path(), ":memory:");
}

// --- opaque --------------------------------------------------------------------------------

TEST(UriOpaque, FileName) {
  const Uri uri = Uri::parse("sqlite:demo.db");
  EXPECT_EQ(uri.shape(), Uri::Shape::opaque);
  EXPECT_EQ(uri.scheme(), "sqlite");
  EXPECT_EQ(uri.path(), "demo.db");
  EXPECT_EQ(uri.host(), "");
}

TEST(UriOpaque, Memory) {
  const Uri uri = Uri::parse("sqlite::memory:");
  EXPECT_EQ(uri.shape(), Uri::Shape::opaque);
  EXPECT_EQ(uri.scheme(), "sqlite");
  EXPECT_EQ(uri.path(), ":memory:");
}

TEST(UriOpaque, OdbcConnectionStringIsKeptUndecodedAndRedacted) {
  const Uri uri = Uri::parse("odbc:DSN=x;UID=u;PWD=secret");
  EXPECT_EQ(uri.shape(), Uri::Shape::opaque);
  EXPECT_EQ(uri.scheme(), "odbc");
  EXPECT_EQ(uri.path(), "DSN=x;UID=u;PWD=secret");
  EXPECT_EQ(uri.text(), "odbc:DSN=x;UID=u;PWD=secret");
  EXPECT_EQ(uri.to_string(), "odbc:DSN=x;UID=u;PWD=***");
}

TEST(UriOpaque, QueryAfterQuestionMark) {
  const Uri uri = Uri::parse("sqlite:demo.db?mode=ro&cache=shared");
  EXPECT_EQ(uri.path(), "demo.db");
  EXPECT_EQ(uri.query(), (Query{{"mode", "ro"}, {"cache", "shared"}}));
}

// --- hierarchical --------------------------------------------------------------------------

TEST(UriHierarchical, FullPostgresqlUri) {
  const std::string text =
      "postgresql://user:pa%40ss@host:5432/db?sslmode=disable&application_name=x";
  const Uri uri = Uri::parse(text);
  EXPECT_EQ(uri.shape(), Uri::Shape::hierarchical);
  EXPECT_EQ(uri.scheme(), "postgresql");
  EXPECT_EQ(uri.user(), "user");
  ASSERT_TRUE(uri.password().has_value());
  EXPECT_EQ(*uri.password(), "pa@ss");
  EXPECT_EQ(uri.host(), "host");
  ASSERT_TRUE(uri.port().has_value());
  EXPECT_EQ(*uri.port(), 5432);
  EXPECT_EQ(uri.path(), "/db");
  EXPECT_EQ(uri.query(), (Query{{"sslmode", "disable"}, {"application_name", "x"}}));
  EXPECT_EQ(uri.query_value("sslmode"), "disable");
  EXPECT_EQ(uri.query_value("application_name"), "x");
  EXPECT_FALSE(uri.query_value("nope").has_value());
  EXPECT_EQ(uri.text(), text);
  EXPECT_EQ(uri.to_string(),
            "postgresql://user:***@host:5432/db?sslmode=disable&application_name=x");
}

TEST(UriHierarchical, QueryKeepsOrderAndLastValueWins) {
  const Uri uri = Uri::parse("postgresql://h/db?b=1&a=2&b=3&flag&c=x%20y");
  EXPECT_EQ(uri.query(), (Query{{"b", "1"}, {"a", "2"}, {"b", "3"}, {"flag", ""}, {"c", "x y"}}));
  EXPECT_EQ(uri.query_value("b"), "3");
  EXPECT_EQ(uri.query_value("flag"), "");
  EXPECT_EQ(uri.query_value("c"), "x y");
}

TEST(UriHierarchical, UserWithoutPassword) {
  const Uri uri = Uri::parse("postgresql://alice@db.example.com/app");
  EXPECT_EQ(uri.user(), "alice");
  EXPECT_FALSE(uri.password().has_value());
  EXPECT_EQ(uri.host(), "db.example.com");
  EXPECT_FALSE(uri.port().has_value());
  EXPECT_EQ(uri.path(), "/app");
}

TEST(UriHierarchical, EmptyPasswordIsPresentButEmpty) {
  const Uri uri = Uri::parse("postgresql://alice:@h/app");
  ASSERT_TRUE(uri.password().has_value());
  EXPECT_EQ(*uri.password(), "");
}

TEST(UriHierarchical, Ipv6LiteralWithPort) {
  const Uri uri = Uri::parse("postgresql://u@[::1]:5432/db");
  EXPECT_EQ(uri.host(), "::1");
  ASSERT_TRUE(uri.port().has_value());
  EXPECT_EQ(*uri.port(), 5432);
  EXPECT_EQ(uri.path(), "/db");
}

TEST(UriHierarchical, Ipv6LiteralWithoutPort) {
  const Uri uri = Uri::parse("postgresql://[fe80::1%25eth0]/db");
  EXPECT_EQ(uri.host(), "fe80::1%eth0");
  EXPECT_FALSE(uri.port().has_value());
}

TEST(UriHierarchical, EmptyHostKeepsAbsolutePath) {
  const Uri uri = Uri::parse("sqlite:///tmp/x.db");
  EXPECT_EQ(uri.shape(), Uri::Shape::hierarchical);
  EXPECT_EQ(uri.scheme(), "sqlite");
  EXPECT_EQ(uri.host(), "");
  EXPECT_EQ(uri.path(), "/tmp/x.db");
}

TEST(UriHierarchical, SocketDirectoryAsPercentEncodedHost) {
  const Uri uri = Uri::parse("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db");
  EXPECT_EQ(uri.user(), "u");
  EXPECT_EQ(uri.host(), "/var/run/postgresql");
  EXPECT_EQ(uri.path(), "/db");
}

TEST(UriHierarchical, PathIsPercentDecoded) {
  const Uri uri = Uri::parse("sqlite:///tmp/my%20file.db");
  EXPECT_EQ(uri.path(), "/tmp/my file.db");
}

TEST(UriHierarchical, SchemeIsLowerCased) {
  EXPECT_EQ(Uri::parse("PostgreSQL://h/db").scheme(), "postgresql");
  EXPECT_EQ(Uri::parse("SQLITE:demo.db").scheme(), "sqlite");
}

TEST(UriHierarchical, PortRange) {
  EXPECT_EQ(Uri::parse("postgresql://h:1/db").port(), std::uint16_t{1});
  EXPECT_EQ(Uri::parse("postgresql://h:65535/db").port(), std::uint16_t{65535});
}

// libpq's multi-host form (a primary and its standbys): the list is checked host by host and
// kept whole, for the backend that hands the text to libpq.
TEST(UriHierarchical, HostListKeepsEveryHostAndPort) {
  const Uri uri = Uri::parse(
      "postgresql://anydb:s3cret@127.0.0.1:5432,db2.example.org:5433/app"
      "?target_session_attrs=read-write");
  EXPECT_EQ(uri.user(), "anydb");
  EXPECT_EQ(uri.password(), "s3cret");
  EXPECT_EQ(uri.host(), "127.0.0.1:5432,db2.example.org:5433");
  EXPECT_FALSE(uri.port().has_value());
  EXPECT_EQ(uri.path(), "/app");
  EXPECT_EQ(uri.query_value("target_session_attrs"), "read-write");
  EXPECT_EQ(uri.to_string(),
            "postgresql://anydb:***@127.0.0.1:5432,db2.example.org:5433/app"
            "?target_session_attrs=read-write");
}

TEST(UriHierarchical, HostListWithoutSomePortsWithIpv6AndSockets) {
  EXPECT_EQ(Uri::parse("postgresql://h1,h2:5433/db").host(), "h1,h2:5433");
  EXPECT_EQ(Uri::parse("postgresql://h1:5432,h2/db").host(), "h1:5432,h2");
  EXPECT_EQ(Uri::parse("postgresql://[::1]:5432,[fe80::1%25eth0]/db").host(),
            "[::1]:5432,[fe80::1%eth0]");
  EXPECT_EQ(Uri::parse("postgresql://%2Ftmp%2Fa,%2Ftmp%2Fb/db").host(), "/tmp/a,/tmp/b");
  EXPECT_EQ(Uri::parse("postgresql://u@h1,h2").host(), "h1,h2");
}

TEST(UriMalformed, HostListChecksEveryPort) {
  for (const std::string text :
       {"postgresql://h1:5432,h2:abc/db", "postgresql://h1:0,h2/db", "postgresql://h1:,h2/db",
        "postgresql://h1,[::1/db", "postgresql://h1,[::1]x/db", "postgresql://h1:70000,h2:1/db"}) {
    const std::string message = parse_error(text);
    EXPECT_TRUE(Contains(message, "port") || Contains(message, "IPv6")) << text << ": " << message;
  }
  const std::string message = parse_error("postgresql://u:hunter2@h1:1,h2:x/db");
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

// --- malformed input -----------------------------------------------------------------------

TEST(UriMalformed, Empty) { EXPECT_TRUE(Contains(parse_error(""), "empty")); }

TEST(UriMalformed, NulByte) {
  const std::string text = "sqlite:/tmp/x\0.db"s;
  const std::string message = parse_error(text);
  EXPECT_TRUE(Contains(message, "NUL"));
  EXPECT_EQ(message.find('\0'), std::string::npos);
  EXPECT_TRUE(Contains(message, "\\x00"));
}

TEST(UriMalformed, ControlCharacters) {
  for (const std::string text : {"sqlite:/tmp/x\n.db", "sqlite:/tmp/\x01x.db", "/tmp/x\t.db",
                                 "postgresql://h/db\r", "postgresql://h/\x7f"}) {
    const std::string message = parse_error(text);
    EXPECT_TRUE(Contains(message, "control character")) << text;
    EXPECT_EQ(message.find_first_of("\n\r\t\x01\x7f"), std::string::npos) << message;
  }
}

TEST(UriMalformed, BadPort) {
  for (const std::string port : {"abc", "0", "65536", "99999999999", "-1", "+5", "12a", " 5"}) {
    const std::string message = parse_error("postgresql://h:" + port + "/db");
    EXPECT_TRUE(Contains(message, "port")) << port;
  }
}

TEST(UriMalformed, EmptyPort) {
  EXPECT_TRUE(Contains(parse_error("postgresql://host:/db"), "empty port"));
  EXPECT_TRUE(Contains(parse_error("postgresql://host:"), "empty port"));
}

TEST(UriMalformed, BadPercentEscape) {
  for (const std::string text :
       {"postgresql://h/db%zz", "postgresql://h/db%", "postgresql://h/db%4",
        "postgresql://u%g1@h/db", "postgresql://h/db?a=%", "postgresql://h/db?%4=1"}) {
    EXPECT_TRUE(Contains(parse_error(text), "percent-encoding")) << text;
  }
}

TEST(UriMalformed, PercentEncodedNul) {
  for (const std::string text :
       {"postgresql://h/db%00", "postgresql://u%00@h/db", "postgresql://h/db?a=%00"}) {
    EXPECT_TRUE(Contains(parse_error(text), "NUL")) << text;
  }
}

TEST(UriMalformed, UnterminatedIpv6) {
  EXPECT_TRUE(Contains(parse_error("postgresql://[::1/db"), "IPv6"));
  EXPECT_TRUE(Contains(parse_error("postgresql://[::1"), "IPv6"));
}

TEST(UriMalformed, TextAfterIpv6) {
  EXPECT_TRUE(Contains(parse_error("postgresql://[::1]x/db"), "IPv6"));
}

TEST(UriMalformed, Fragment) {
  EXPECT_TRUE(Contains(parse_error("postgresql://h/db#frag"), "fragment"));
}

TEST(UriMalformed, QueryParameterWithoutName) {
  EXPECT_TRUE(Contains(parse_error("postgresql://h/db?=x"), "no name"));
  EXPECT_TRUE(Contains(parse_error("postgresql://h/db?a=1&=x"), "no name"));
  EXPECT_TRUE(Contains(parse_error("sqlite:demo.db?=x"), "no name"));
}

TEST(UriMalformed, MessageQuotesTheRedactedUri) {
  const std::string message = parse_error("postgresql://user:hunter2@host:abc/db");
  EXPECT_TRUE(Contains(message, "postgresql://user:***@host:abc/db"));
  EXPECT_TRUE(Lacks(message, "hunter2"));
}

TEST(UriMalformed, NoSecretInAnyMessage) {
  // Each URI is malformed and carries the secret in a place a careless parser might echo.
  const std::vector<std::string> hostile = {
      "postgresql://user:S3cr3t!@host:abc/db",
      "postgresql://user:S3cr3t!@host:/db",
      "postgresql://user:S3cr3t!@host:0/db",
      "postgresql://user:S3cr3t!@host:99999999999/db",
      "postgresql://user:S3cr3t!%zz@host/db",
      "postgresql://user:S3cr3t!%@host/db",
      "postgresql://user:S3cr3t!%00@host/db",
      "postgresql://user:S3cr3t!@[::1/db",
      "postgresql://user:S3cr3t!@[::1]junk/db",
      "postgresql://user:S3cr3t!@host/db#fragment",
      "postgresql://user:S3cr3t!#@host/db",
      "postgresql://user:S3cr3t!@host/db?=x",
      "postgresql://user:S3cr3t!@host/db\n",
      "postgresql://user:S3cr3t!@host/db\0"s,
      "postgresql://user:S3cr3t!\0@host/db"s,
      "postgresql://user:S3cr3t!\x01@host/db",
      // An unencoded '/', '?' or '@' in the password: the authority ends early, so the
      // parser sees "S3cr3t!..." where the port should be.
      "postgresql://user:S3cr3t!/x@host/db",
      "postgresql://user:S3cr3t!?x@host/db",
      "postgresql://user:S3cr3t!@x@host:abc/db",
      "postgresql://host/db?password=S3cr3t!&=x",
      "postgresql://host/db?sslmode=require&Password=S3cr3t!#x",
      "odbc:DSN=x;UID=u;PWD=S3cr3t!?=x",
      "odbc:DSN=x;UID=u;PWD={S3cr3t!;x}?=x",
      "odbc:DSN=x;pwd=S3cr3t!?a=%zz",
  };
  for (const auto& text : hostile) {
    try {
      (void)Uri::parse(text);
      ADD_FAILURE() << "accepted: " << redact_uri(text);
    } catch (const ConfigurationError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::configuration);
      EXPECT_TRUE(Lacks(error.what(), "S3cr3t")) << "for " << redact_uri(text);
      EXPECT_TRUE(Lacks(error.message(), "S3cr3t"));
      EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << error.what();
    }
  }
}

TEST(UriMalformed, ThrowsTheConfigurationCategory) {
  try {
    (void)Uri::parse("postgresql://h:0/db");
    FAIL() << "accepted port 0";
  } catch (const anydb::Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::configuration);
    EXPECT_NE(dynamic_cast<const ConfigurationError*>(&error), nullptr);
  }
}

// --- redaction -----------------------------------------------------------------------------

TEST(UriRedaction, ToStringHidesPassword) {
  EXPECT_EQ(Uri::parse("postgresql://user:password@host/db").to_string(),
            "postgresql://user:***@host/db");
  EXPECT_EQ(redact_uri("postgresql://user:password@host/db"), "postgresql://user:***@host/db");
}

TEST(UriRedaction, UserWithoutPasswordUnchanged) {
  EXPECT_EQ(redact_uri("postgresql://user@host/db"), "postgresql://user@host/db");
  EXPECT_EQ(Uri::parse("postgresql://user@host:5432/db").to_string(),
            "postgresql://user@host:5432/db");
}

TEST(UriRedaction, PasswordWithUnencodedAtOrSlash) {
  EXPECT_EQ(redact_uri("postgresql://user:p@ss@host/db"), "postgresql://user:***@host/db");
  EXPECT_EQ(redact_uri("postgresql://user:p/ss@host/db"), "postgresql://user:***@host/db");
  EXPECT_EQ(redact_uri("postgresql://user:a/b@c@host:5432/db"),
            "postgresql://user:***@host:5432/db");
  // Parses (the password ends at the last '@'), and to_string() hides all of it.
  const Uri uri = Uri::parse("postgresql://user:p@ss@host/db");
  EXPECT_EQ(uri.password(), "p@ss");
  EXPECT_EQ(uri.to_string(), "postgresql://user:***@host/db");
}

TEST(UriRedaction, SemicolonSeparatedPairsAnyCase) {
  EXPECT_EQ(redact_uri("DRIVER=x;SERVER=h;UID=u;PWD=secret;DATABASE=d"),
            "DRIVER=x;SERVER=h;UID=u;PWD=***;DATABASE=d");
  EXPECT_EQ(redact_uri("Server=h;Password=secret"), "Server=h;Password=***");
  EXPECT_EQ(redact_uri("server=h;pwd=secret;"), "server=h;pwd=***;");
  EXPECT_EQ(redact_uri("odbc:PWD=secret"), "odbc:PWD=***");
}

TEST(UriRedaction, AmpersandSeparatedQuery) {
  EXPECT_EQ(redact_uri("postgresql://h/db?password=secret"), "postgresql://h/db?password=***");
  EXPECT_EQ(redact_uri("postgresql://h/db?sslmode=require&PASSWORD=secret&x=1"),
            "postgresql://h/db?sslmode=require&PASSWORD=***&x=1");
  EXPECT_EQ(Uri::parse("postgresql://h/db?a=1&password=secret").to_string(),
            "postgresql://h/db?a=1&password=***");
}

TEST(UriRedaction, SpaceSeparatedLibpqConninfo) {
  EXPECT_EQ(redact_uri("host=h port=5432 user=u password=secret dbname=d"),
            "host=h port=5432 user=u password=*** dbname=d");
  EXPECT_EQ(redact_uri("host=h password = secret dbname=d"), "host=h password = *** dbname=d");
  EXPECT_EQ(redact_uri("host=h\tpassword=secret"), "host=h\tpassword=***");
}

TEST(UriRedaction, OtherSecretKeyNames) {
  for (const std::string key : {"passwd", "pass", "secret", "token", "sslpassword", "api_key",
                                "apikey", "access_token", "Token", "SSLPASSWORD"}) {
    EXPECT_EQ(redact_uri("a=1;" + key + "=hush;b=2"), "a=1;" + key + "=***;b=2") << key;
  }
}

TEST(UriRedaction, BracedOdbcValue) {
  EXPECT_EQ(redact_uri("DSN=x;PWD={a;b}}c};UID=u"), "DSN=x;PWD=***;UID=u");
  EXPECT_EQ(redact_uri("DSN=x;PWD={plain};UID=u"), "DSN=x;PWD=***;UID=u");
  const std::string redacted = redact_uri("DSN=x;PWD={a;b}}c};UID=u");
  EXPECT_TRUE(Lacks(redacted, "b}"));
  EXPECT_TRUE(Lacks(redacted, "c}"));
  // Unterminated: the secret runs to the end and is still hidden.
  EXPECT_EQ(redact_uri("DSN=x;PWD={a;b;UID=u"), "DSN=x;PWD=***");
}

TEST(UriRedaction, QuotedLibpqValue) {
  EXPECT_EQ(redact_uri("host=h password='a b' dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(redact_uri("host=h password='it''s x' dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(redact_uri(R"(host=h password='a\' b' dbname=d)"), "host=h password=*** dbname=d");
}

TEST(UriRedaction, NonSecretKeysUntouched) {
  const std::string text = "host=h user=pwd dbname=password sslmode=require application_name=x";
  EXPECT_EQ(redact_uri(text), text);
  EXPECT_EQ(redact_uri("DSN=x;UID=u;Database=secret_db"), "DSN=x;UID=u;Database=secret_db");
  EXPECT_EQ(redact_uri("host=h passwordfile=/x"), "host=h passwordfile=/x");
}

TEST(UriRedaction, TextWithoutSecretsUnchanged) {
  for (const std::string text :
       {"", "/tmp/x.db", ":memory:", "sqlite:demo.db", "sqlite:///tmp/x.db",
        "postgresql://user@[::1]:5432/db?sslmode=disable", "no secrets here at all",
        "odbc:DSN=x;UID=u"}) {
    EXPECT_EQ(redact_uri(text), text) << text;
  }
}

TEST(UriRedaction, SeveralSecretsInOneText) {
  EXPECT_EQ(redact_uri("postgresql://u:one@h/db?password=two&token=three"),
            "postgresql://u:***@h/db?password=***&token=***");
}

}  // namespace
