// The URI: schemes, the mysql alias, every parameter, and no password in any message.

#include "support.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace anydb::mariadb_test {
namespace {

constexpr std::string_view secret = "Sup3r-s3cret-pw";

// The test URI with its password replaced by `secret` and `query` appended.
std::string with_secret(std::string_view query) {
  std::string text = uri();
  const std::size_t colon = text.find(':', text.find("://") + 3);
  const std::size_t at = text.find('@');
  text.replace(colon + 1, at - colon - 1, secret);
  return text + std::string(query);
}

void expect_refused(const std::string& text, ErrorKind kind, std::string_view part) {
  try {
    (void)connect(text);
    ADD_FAILURE() << "connected to " << redact_uri(text);
  } catch (const Error& error) {
    std::printf("[ uri      ] %s\n", error.what());
    EXPECT_EQ(error.kind(), kind) << error.what();
    EXPECT_NE(std::string_view(error.what()).find(part), std::string_view::npos) << error.what();
    EXPECT_EQ(std::string_view(error.what()).find(secret), std::string_view::npos) << error.what();
    EXPECT_EQ(error.backend(), "mariadb");
  }
}

TEST(Uri, BothSchemesAndTheMysqlAlias) {
  EXPECT_EQ(connect()->execute("SELECT 1").rows.at(0)[0].as_int(), 1);
  std::string mysql = uri();
  mysql.replace(0, mysql.find(':'), "mysql");
  EXPECT_EQ(connect(mysql)->execute("SELECT 2").rows.at(0)[0].as_int(), 2);
  PluginLoader loader;
  EXPECT_EQ(loader.load("mysql")->name(), "mariadb");
}

TEST(Uri, UnixSocket) {
  const char* socket = std::getenv("ANYDB_TEST_MARIADB_SOCKET");
  ASSERT_NE(socket, nullptr) << "ANYDB_TEST_MARIADB_SOCKET is not set";
  const auto connection =
      connect(fmt::format("mariadb://anydb:anydb@localhost/anydb_test?unix_socket={}", socket));
  EXPECT_EQ(connection->execute("SELECT DATABASE()").rows.at(0)[0].as_text(), "anydb_test");
}

TEST(Uri, IsolationAndStatementCache) {
  const auto connection = connect(uri() + "?isolation=read_committed&statement_cache=3");
  EXPECT_EQ(connection->execute("SELECT @@tx_isolation").rows.at(0)[0].as_text(), "READ-COMMITTED");
  for (int i = 0; i < 5; ++i) (void)connection->execute(fmt::format("SELECT {}", i));
  EXPECT_EQ(connection->statement_cache_size(), 3u);
  connection->set_isolation_level(IsolationLevel::serializable);
  EXPECT_EQ(connection->execute("SELECT @@tx_isolation").rows.at(0)[0].as_text(), "SERIALIZABLE");
}

TEST(Uri, ReadTimeoutEndsAHungWait) {
  const auto connection = connect(uri() + "?read_timeout=1&connect_timeout=5");
  try {
    (void)connection->execute("SELECT SLEEP(4)");
    ADD_FAILURE() << "no timeout";
  } catch (const Error& error) {
    std::printf("[ uri      ] read_timeout=1: %s\n", error.what());
    EXPECT_TRUE(error.is_connection_error()) << error.what();
  }
}

TEST(Uri, BadParametersAreConfigurationErrors) {
  expect_refused(with_secret("?bogus=1"), ErrorKind::configuration, "unknown parameter 'bogus'");
  expect_refused(with_secret("?ssl_mode=verify_ca"), ErrorKind::configuration, "verify_identity");
  expect_refused(with_secret("?ssl_mode=sometimes"), ErrorKind::configuration, "ssl_mode");
  expect_refused(with_secret("?ssl_mode=disabled&ssl_ca=/x.pem"), ErrorKind::configuration,
                 "ssl_mode=disabled");
  expect_refused(with_secret("?ssl_cert=/c.pem"), ErrorKind::configuration, "ssl_key");
  expect_refused(with_secret("?read_timeout=soon"), ErrorKind::configuration, "read_timeout");
  expect_refused(with_secret("?statement_cache=-1"), ErrorKind::configuration, "statement_cache");
  expect_refused(with_secret("?isolation=chaos"), ErrorKind::configuration, "isolation");
  expect_refused("mariadb:anydb_test", ErrorKind::configuration, "mariadb://");
  expect_refused(fmt::format("mariadb://anydb:{}@h1:3306,h2:3306/anydb_test", secret),
                 ErrorKind::configuration, "not a host list");
  expect_refused("postgresql://u:Sup3r-s3cret-pw@h/db", ErrorKind::configuration, "'postgresql'");
}

TEST(Uri, FailuresToConnectNeverShowThePassword) {
  expect_refused(with_secret(""), ErrorKind::connection_failed, "Access denied");
  expect_refused(fmt::format("mariadb://anydb:{}@127.0.0.1:1/anydb_test?connect_timeout=2", secret),
                 ErrorKind::connection_failed,
                 "cannot connect to 'mariadb://anydb:***@127.0.0.1:1/");
  // The test server has no certificate: TLS that is required cannot be had. (Connector/C alone
  // would connect in plain text for `required`; the backend checks the negotiated cipher.)
  expect_refused(uri() + "?ssl_mode=required", ErrorKind::connection_failed, "does not offer it");
  expect_refused(uri() + "?ssl_mode=verify_identity", ErrorKind::connection_failed, "SSL");
  std::string unknown_db = uri();
  unknown_db.replace(unknown_db.rfind('/') + 1, std::string::npos, "no_such_db");
  expect_refused(unknown_db, ErrorKind::connection_failed, "no_such_db");
}

}  // namespace
}  // namespace anydb::mariadb_test
