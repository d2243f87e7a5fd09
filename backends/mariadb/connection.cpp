#include "connection.hpp"

#include "common/isolation.hpp"
#include "common/mariadb_dialect.hpp"
#include "common/mariadb_keys.hpp"
#include "common/text.hpp"

#include "error.hpp"
#include "statement.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace anydb::mariadb {
namespace {

void set_option(MYSQL* mysql, mysql_option option, const void* value) {
  if (mysql_options(mysql, option, value) != 0)
    throw_backend_error(ErrorKind::configuration,
                        fmt::format("Connector/C refused option {}", static_cast<int>(option)));
}

void apply_tls(MYSQL* mysql, const ConnectOptions& options) {
  if (options.ssl_mode == SslMode::disabled) return;
  const my_bool yes = 1;
  set_option(mysql, MYSQL_OPT_SSL_ENFORCE, &yes);
  if (options.ssl_mode == SslMode::verify_identity)
    set_option(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
  if (!options.ssl_ca.empty()) set_option(mysql, MYSQL_OPT_SSL_CA, options.ssl_ca.c_str());
  if (!options.ssl_cert.empty()) set_option(mysql, MYSQL_OPT_SSL_CERT, options.ssl_cert.c_str());
  if (!options.ssl_key.empty()) set_option(mysql, MYSQL_OPT_SSL_KEY, options.ssl_key.c_str());
}

void apply_options(MYSQL* mysql, const ConnectOptions& options) {
  // anydb's text is UTF-8; utf8mb4 is all of it (MariaDB's "utf8" stops at three bytes).
  set_option(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // An automatic reconnect would silently lose the open transaction and every prepared statement.
  const my_bool no = 0;
  set_option(mysql, MYSQL_OPT_RECONNECT, &no);
  // LOAD DATA LOCAL lets the server read client files: never wanted behind a database API.
  const unsigned int zero = 0;
  set_option(mysql, MYSQL_OPT_LOCAL_INFILE, &zero);
  if (options.connect_timeout != 0)
    set_option(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &options.connect_timeout);
  if (options.read_timeout != 0) {
    set_option(mysql, MYSQL_OPT_READ_TIMEOUT, &options.read_timeout);
    set_option(mysql, MYSQL_OPT_WRITE_TIMEOUT, &options.read_timeout);
  }
  apply_tls(mysql, options);
}

[[nodiscard]] const char* or_null(const std::string& text) noexcept {
  return text.empty() ? nullptr : text.c_str();
}

[[nodiscard]] ConnectionHandle open(const ConnectOptions& options) {
  ConnectionHandle mysql(mysql_init(nullptr));
  if (!mysql)
    throw_backend_error(ErrorKind::resource_exhausted,
                        "cannot connect to MariaDB: Connector/C ran out of memory");
  apply_options(mysql.get(), options);
  // CLIENT_FOUND_ROWS: rows_affected of an UPDATE counts the rows it matched, as on every other
  // backend, not only those whose values changed. CLIENT_MULTI_STATEMENTS: for execute_script.
  const unsigned long flags = CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS;
  if (mysql_real_connect(mysql.get(), or_null(options.host), or_null(options.user),
                         options.password ? options.password->c_str() : nullptr,
                         or_null(options.database), options.port, or_null(options.unix_socket),
                         flags) == nullptr) {
    // Connector/C's messages name the host, user and socket, never the password.
    ErrorInfo info = describe_error(mysql_errno(mysql.get()), mysql_sqlstate(mysql.get()),
                                    mysql_error(mysql.get()));
    info.kind = ErrorKind::connection_failed;
    info.message = fmt::format("cannot connect to '{}': {}", options.display, info.message);
    anydb::throw_error(std::move(info));
  }
  // Connector/C 3.3 with MYSQL_OPT_SSL_ENFORCE alone falls back to plain text when the server
  // offers no TLS (seen with 10.11; tests/mariadb pins it): check what was negotiated.
  if (options.ssl_mode != SslMode::disabled && mysql_get_ssl_cipher(mysql.get()) == nullptr)
    throw_backend_error(ErrorKind::connection_failed,
                        fmt::format("cannot connect to '{}': ssl_mode requires TLS, but the server "
                                    "does not offer it",
                                    options.display));
  return mysql;
}

// "READ-COMMITTED": the level as @@tx_isolation writes it.
[[nodiscard]] std::string as_tx_isolation(IsolationLevel level) {
  std::string name(support::isolation_sql_name(level));
  std::replace(name.begin(), name.end(), ' ', '-');
  return name;
}

void reject_nul(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos)
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("SQL text contains a NUL byte: '{}'", printable(sql)));
}

}  // namespace

MariaDbConnection::MariaDbConnection(const ConnectOptions& options)
    : mysql_(open(options)), dialect_(support::mariadb_dialect()), display_(options.display) {
  if (options.isolation) set_isolation(*options.isolation);
  if (options.statement_cache) set_statement_cache_capacity(*options.statement_cache);
}

MariaDbConnection::~MariaDbConnection() {
  // The cached statements close their server-side twins through this connection's handle.
  // mysql_close (the handle's deleter) then rolls back an open transaction.
  close_statements();
}

std::string_view MariaDbConnection::backend_name() const noexcept { return mariadb::backend_name; }

void MariaDbConnection::ensure_usable() const {
  if (broken_)
    throw_backend_error(ErrorKind::connection_lost,
                        "the connection to the server was lost earlier; open a new one");
}

DatabaseTransaction MariaDbConnection::do_transaction_status() const noexcept {
  if (broken_) return DatabaseTransaction::none;
  unsigned int status = 0;
  if (mariadb_get_infov(mysql_.get(), MARIADB_CONNECTION_SERVER_STATUS, &status) != 0)
    return DatabaseTransaction::none;
  return (status & SERVER_STATUS_IN_TRANS) != 0 ? DatabaseTransaction::open
                                                : DatabaseTransaction::none;
}

void MariaDbConnection::refresh_status() noexcept {
  if (broken_ || do_transaction_status() == DatabaseTransaction::none) return;
  MYSQL* mysql = mysql_.get();
  // Any reply that ends in an OK or EOF packet updates the status flags; this one reads nothing.
  constexpr std::string_view probe = "SELECT @@in_transaction";
  if (mysql_real_query(mysql, probe.data(), probe.size()) != 0) {
    broken_ = kind_of_error(mysql_errno(mysql)) == ErrorKind::connection_lost;
    return;
  }
  const ResultHandle result(mysql_store_result(mysql));
}

void MariaDbConnection::fail(unsigned code, const char* sqlstate, const char* message,
                             std::string_view sql) {
  ErrorInfo info =
      describe_error(code, sqlstate == nullptr ? "" : sqlstate, message == nullptr ? "" : message);
  // commit_outcome_unknown and transaction_aborted are the core's to decide.
  if (info.kind == ErrorKind::connection_lost) {
    broken_ = true;
  } else {
    refresh_status();
    if (info.kind == ErrorKind::unique_violation && !info.constraint.empty() && !broken_)
      info.columns = key_columns(sql, info.constraint);
  }
  anydb::throw_error(std::move(info));
}

void MariaDbConnection::fail_statement(MYSQL_STMT* stmt, std::string_view sql) {
  fail(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), sql);
}

void MariaDbConnection::run(std::string_view sql) {
  ensure_usable();
  MYSQL* mysql = mysql_.get();
  const auto raise = [&] {
    fail(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql), sql);
  };
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0) raise();
  for (;;) {
    const ResultHandle result(mysql_store_result(mysql));
    if (!result && mysql_field_count(mysql) != 0) raise();
    const int next = mysql_next_result(mysql);
    if (next < 0) return;
    if (next > 0) raise();
  }
}

std::string MariaDbConnection::query_value(std::string_view sql) {
  ensure_usable();
  MYSQL* mysql = mysql_.get();
  if (mysql_real_query(mysql, sql.data(), sql.size()) != 0)
    fail(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql), sql);
  const ResultHandle result(mysql_store_result(mysql));
  if (!result) fail(mysql_errno(mysql), mysql_sqlstate(mysql), mysql_error(mysql), sql);
  const MYSQL_ROW row = mysql_fetch_row(result.get());
  return row == nullptr || row[0] == nullptr ? std::string() : std::string(row[0]);
}

void MariaDbConnection::do_set_isolation_level(IsolationLevel level) { set_isolation(level); }

void MariaDbConnection::set_isolation(IsolationLevel level) {
  run(fmt::format("SET SESSION TRANSACTION ISOLATION LEVEL {}",
                  support::isolation_sql_name(level)));
  std::string actual;
  try {
    actual = query_value("SELECT @@tx_isolation");  // MariaDB (no @@transaction_isolation in 10.11)
  } catch (const Error& error) {
    if (error.native_code() != 1193) throw;  // ER_UNKNOWN_SYSTEM_VARIABLE: MySQL 8 renamed it
    actual = query_value("SELECT @@transaction_isolation");
  }
  if (!support::iequals(actual, as_tx_isolation(level)))
    throw_backend_error(ErrorKind::unsupported,
                        fmt::format("'{}': isolation={} was asked for, but the server runs "
                                    "transactions at '{}'",
                                    display_, to_string(level), printable(actual, 40)));
}

void MariaDbConnection::do_begin(AccessMode mode) {
  run(mode == AccessMode::read_only ? "START TRANSACTION READ ONLY" : "START TRANSACTION");
}

void MariaDbConnection::do_commit() { run("COMMIT"); }

void MariaDbConnection::do_rollback() { run("ROLLBACK"); }

void MariaDbConnection::do_savepoint(std::string_view name) {
  run("SAVEPOINT " + dialect_.quote_identifier(name));
}

void MariaDbConnection::do_release(std::string_view name) {
  run("RELEASE SAVEPOINT " + dialect_.quote_identifier(name));
}

void MariaDbConnection::do_rollback_to(std::string_view name) {
  run("ROLLBACK TO SAVEPOINT " + dialect_.quote_identifier(name));
}

void MariaDbConnection::do_execute_script(std::string_view sql) {
  reject_nul(sql);
  run(sql);
}

std::unique_ptr<Statement> MariaDbConnection::do_prepare(std::string_view sql) {
  reject_nul(sql);
  ensure_usable();
  return std::make_unique<MariaDbStatement>(*this, std::string(sql));
}

// get-or-create needs the columns of the violated key to tell a lost race on its own key from a
// violation of another unique key. Looked up once per table and key.
std::vector<std::string> MariaDbConnection::key_columns(std::string_view sql,
                                                        const std::string& key) {
  return key_columns_.of(sql, key, [this](std::span<const Value> params) {
    MariaDbStatement lookup(*this, std::string(support::MariadbKeyColumns::lookup_sql));
    return lookup.execute(params);
  });
}

}  // namespace anydb::mariadb
