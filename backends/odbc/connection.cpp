#include "connection.hpp"

#include "statement.hpp"

#include "common/isolation.hpp"
#include "common/mariadb_keys.hpp"
#include "common/text.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

namespace anydb::odbc {

std::string driver_manager_version() {
  SQLHANDLE env = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env))) return "unknown";
  const EnvHandle env_handle(env);
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, integer_attribute(SQL_OV_ODBC3), 0);
  SQLHANDLE dbc = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc))) return "unknown";
  const Handle<SQL_HANDLE_DBC> dbc_handle(dbc);
  const std::string version = driver_info(dbc, SQL_DM_VER);
  return version.empty() ? "unknown" : version;
}

OdbcConnection::OdbcConnection(const ConnectOptions& options) : display_(options.display) {
  connect(options.connection_string(options.expected_product));
  set_up_product();
  // A DSN (or an unrecognised DRIVER) names its product only once connected: connect again when
  // the product needs settings that the first connection string lacked.
  if (product_ != options.expected_product &&
      options.connection_string(product_) != options.connection_string(options.expected_product)) {
    dbc_.reset();
    env_.reset();
    const Product detected = product_;
    connect(options.connection_string(detected));
    set_up_product();
  }
  settings_ = profile_->settings(query(), options);
  if (options.isolation) apply_isolation(*options.isolation, ErrorKind::configuration);
  if (options.statement_cache) set_statement_cache_capacity(*options.statement_cache);
}

OdbcConnection::~OdbcConnection() {
  // The cached statements must be freed while the connection handle still exists. An open
  // transaction is rolled back by the driver when it disconnects.
  close_statements();
}

std::string_view OdbcConnection::backend_name() const noexcept { return odbc::backend_name; }

void OdbcConnection::connect(const std::string& connection_string) {
  SQLHANDLE env = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)))
    throw_backend_error(ErrorKind::resource_exhausted,
                        "cannot allocate an ODBC environment (is unixODBC installed?)");
  env_ = EnvHandle(env);
  if (!SQL_SUCCEEDED(SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, integer_attribute(SQL_OV_ODBC3), 0)))
    throw_backend_error(
        ErrorKind::connection_failed,
        fmt::format("cannot connect to 'odbc:{}': the driver manager refused "
                    "ODBC 3 ({})",
                    display_, join_diagnostics(read_diagnostics(SQL_HANDLE_ENV, env))));
  SQLHANDLE dbc = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)))
    throw_backend_error(
        ErrorKind::resource_exhausted,
        fmt::format("cannot connect to 'odbc:{}': no ODBC connection handle ({})", display_,
                    join_diagnostics(read_diagnostics(SQL_HANDLE_ENV, env))));
  dbc_ = DbcHandle(dbc);

  if (connection_string.size() > static_cast<std::size_t>(std::numeric_limits<SQLSMALLINT>::max()))
    throw_backend_error(
        ErrorKind::configuration,
        fmt::format("URI 'odbc:{}': the connection string is too long for ODBC", display_));
  const SQLRETURN rc = SQLDriverConnect(dbc, nullptr, sql_chars(connection_string),
                                        static_cast<SQLSMALLINT>(connection_string.size()), nullptr,
                                        0, nullptr, SQL_DRIVER_NOPROMPT);
  if (!SQL_SUCCEEDED(rc)) {
    const std::vector<Diagnostic> records = read_diagnostics(SQL_HANDLE_DBC, dbc);
    ErrorInfo info;
    info.kind = ErrorKind::connection_failed;
    info.backend = std::string(odbc::backend_name);
    if (const Diagnostic* primary = primary_diagnostic(records)) {
      info.sqlstate = primary->sqlstate;
      info.native_code = primary->native;
    }
    // Drivers quote the connection string back (with its password) in some messages. The
    // display is redacted already; redacting the whole line would also swallow the "': " that
    // follows its last secret.
    info.message = fmt::format("cannot connect to 'odbc:{}': {}", display_,
                               records.empty() ? std::string("the driver gave no reason")
                                               : redact_uri(join_diagnostics(records)));
    anydb::throw_error(std::move(info));
  }
  dbc_.set_connected(true);
}

void OdbcConnection::set_up_product() {
  dbms_name_ = driver_info(dbc(), SQL_DBMS_NAME);
  dbms_version_ = driver_info(dbc(), SQL_DBMS_VER);
  product_ = product_of_dbms(dbms_name_);
  profile_ = &profile_for(product_);
  dialect_ = profile_->dialect(query(), dbc());
}

RunQuery OdbcConnection::query() {
  return [this](std::string_view sql) { return run(sql); };
}

void OdbcConnection::do_set_isolation_level(IsolationLevel level) {
  apply_isolation(level, ErrorKind::unsupported);
}

void OdbcConnection::apply_isolation(IsolationLevel level, ErrorKind refusal) {
  if (const auto why = profile_->apply_isolation(level, query(), dbc()))
    throw_backend_error(refusal, fmt::format("'odbc:{}': isolation {} is not available: {}",
                                             display_, to_string(level), *why));
}

void OdbcConnection::set_autocommit(bool on) {
  const SQLRETURN rc = SQLSetConnectAttr(
      dbc(), SQL_ATTR_AUTOCOMMIT, integer_attribute(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF),
      SQL_IS_UINTEGER);
  if (!SQL_SUCCEEDED(rc)) fail(SQL_HANDLE_DBC, dbc());
}

DatabaseTransaction OdbcConnection::do_transaction_status() const noexcept {
  if (!in_transaction_) return DatabaseTransaction::none;
  return failed_ ? DatabaseTransaction::failed : DatabaseTransaction::open;
}

void OdbcConnection::abandon_transaction() noexcept {
  in_transaction_ = false;
  failed_ = false;
  if (profile_->begins_with_sql()) {
    try {
      (void)run("ROLLBACK");
    } catch (...) {
      // Nothing is left to roll back, or the connection is gone: either way it is over.
    }
    return;
  }
  SQLEndTran(SQL_HANDLE_DBC, dbc(), SQL_ROLLBACK);
  SQLSetConnectAttr(dbc(), SQL_ATTR_AUTOCOMMIT, integer_attribute(SQL_AUTOCOMMIT_ON),
                    SQL_IS_UINTEGER);
}

void OdbcConnection::do_begin(AccessMode mode) {
  failed_ = false;
  if (profile_->begins_with_sql()) {
    // sqliteodbc starts a manual-commit transaction with a DEFERRED "BEGIN TRANSACTION": one
    // that reads and then writes fails at the write with SQLITE_BUSY at once, without waiting
    // (SQLite's deadlock avoidance), so under contention most attempts would fail. The SQLite
    // connection therefore stays in autocommit mode and runs BEGIN IMMEDIATE itself, which
    // takes the write lock up front and waits for it (Timeout), like anydb's sqlite backend.
    (void)run(mode == AccessMode::read_write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    in_transaction_ = true;
    return;
  }
  // The access mode makes no difference to the other drivers: they start the transaction with
  // their own BEGIN when the first statement runs.
  set_autocommit(false);
  in_transaction_ = true;
}

void OdbcConnection::do_commit() {
  if (profile_->begins_with_sql()) {
    // See do_begin(). A COMMIT that fails with SQLITE_BUSY leaves the transaction open: the
    // core keeps it active, and the caller's guard rolls it back.
    (void)run("COMMIT");
    in_transaction_ = false;
    return;
  }
  const SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, dbc(), SQL_COMMIT);
  if (!SQL_SUCCEEDED(rc)) {
    ErrorInfo info = diagnose(SQL_HANDLE_DBC, dbc());
    if (info.kind == ErrorKind::connection_lost) {
      in_transaction_ = false;
    } else {
      // The server ended the transaction with the failed COMMIT (a serialization failure, a
      // Galera certification conflict): leave manual-commit mode, nothing is open any more.
      abandon_transaction();
    }
    anydb::throw_error(std::move(info));
  }
  in_transaction_ = false;
  set_autocommit(true);
}

void OdbcConnection::do_rollback() {
  if (profile_->begins_with_sql()) {
    in_transaction_ = false;
    (void)run("ROLLBACK");
    return;
  }
  const SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, dbc(), SQL_ROLLBACK);
  if (!SQL_SUCCEEDED(rc)) {
    ErrorInfo info = diagnose(SQL_HANDLE_DBC, dbc());
    // Turning autocommit back on would commit whatever is still open: only for a lost
    // connection, where nothing is, does the transaction count as over.
    if (info.kind == ErrorKind::connection_lost) in_transaction_ = false;
    // An error that itself ends the transaction (a Galera node answers the ROLLBACK of a
    // transaction that a conflicting write set aborted with 1213) means the rollback happened:
    // what was asked for is done.
    if (info.kind == ErrorKind::connection_lost ||
        profile_->effect_of(info, settings_) != TransactionEffect::ended)
      anydb::throw_error(std::move(info));
  }
  in_transaction_ = false;
  failed_ = false;
  set_autocommit(true);
}

void OdbcConnection::do_savepoint(std::string_view name) {
  (void)run("SAVEPOINT " + dialect_.quote_identifier(name));
}

void OdbcConnection::do_release(std::string_view name) {
  (void)run("RELEASE SAVEPOINT " + dialect_.quote_identifier(name));
}

void OdbcConnection::do_rollback_to(std::string_view name) {
  (void)run("ROLLBACK TO SAVEPOINT " + dialect_.quote_identifier(name));
  failed_ = false;
}

void OdbcConnection::do_execute_script(std::string_view sql) { (void)run(sql); }

std::int64_t OdbcConnection::sqlite_schema_version() {
  const auto row = run("PRAGMA schema_version");
  std::int64_t version = 0;
  if (!row.empty() && row[0]) {
    const std::string& text = *row[0];
    (void)std::from_chars(text.data(), text.data() + text.size(), version);
  }
  return version;
}

void OdbcConnection::reload_sqlite_schema() { (void)run("SELECT count(*) FROM sqlite_master"); }

bool OdbcConnection::sqlite_transaction_survived() noexcept {
  // SQLite rolls a transaction back by itself after some errors (SQLITE_FULL, SQLITE_IOERR,
  // SQLITE_NOMEM, an ON CONFLICT ROLLBACK clause), and ODBC cannot ask sqlite3_get_autocommit.
  // A BEGIN can: it fails inside a transaction, and one it starts is rolled back at once.
  SQLHANDLE raw = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc(), &raw))) return true;
  const StatementHandle statement(raw);
  std::string begin = "BEGIN";
  if (!SQL_SUCCEEDED(SQLExecDirect(raw, sql_chars(begin), static_cast<SQLINTEGER>(begin.size()))))
    return true;
  std::string rollback = "ROLLBACK";
  (void)SQLExecDirect(raw, sql_chars(rollback), static_cast<SQLINTEGER>(rollback.size()));
  return false;
}

std::vector<std::optional<std::string>> OdbcConnection::read_first_row(SQLHSTMT statement,
                                                                       std::string_view sql) {
  std::vector<std::optional<std::string>> first_row;
  SQLSMALLINT columns = 0;
  if (!SQL_SUCCEEDED(SQLNumResultCols(statement, &columns)) || columns <= 0) return first_row;
  const SQLRETURN rc = SQLFetch(statement);
  if (rc == SQL_NO_DATA) return first_row;
  if (!SQL_SUCCEEDED(rc)) fail(SQL_HANDLE_STMT, statement, sql);
  for (SQLSMALLINT column = 1; column <= columns; ++column) {
    std::array<char, 1024> buffer{};
    SQLLEN indicator = 0;
    if (!SQL_SUCCEEDED(SQLGetData(statement, static_cast<SQLUSMALLINT>(column), SQL_C_CHAR,
                                  buffer.data(), static_cast<SQLLEN>(buffer.size()), &indicator)))
      fail(SQL_HANDLE_STMT, statement, sql);
    if (indicator == SQL_NULL_DATA) {
      first_row.emplace_back();
    } else {
      first_row.emplace_back(std::string(buffer.data()));
    }
  }
  return first_row;
}

std::vector<std::optional<std::string>> OdbcConnection::run(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos)
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("SQL text contains a NUL byte: '{}'", printable(sql)));
  if (!fits_sqlinteger(sql.size()))
    throw_backend_error(ErrorKind::invalid_argument, "SQL text is too long for ODBC");
  SQLHANDLE raw = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc(), &raw))) fail(SQL_HANDLE_DBC, dbc());
  const StatementHandle statement(raw);
  const std::string text(sql);
  SQLRETURN rc = SQLExecDirect(raw, sql_chars(text), static_cast<SQLINTEGER>(text.size()));
  if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) fail(SQL_HANDLE_STMT, raw, sql);

  std::vector<std::optional<std::string>> first_row = read_first_row(raw, sql);
  // Every further result (a script of several statements) must run, and its error surface.
  while ((rc = SQLMoreResults(raw)) != SQL_NO_DATA) {
    if (!SQL_SUCCEEDED(rc)) fail(SQL_HANDLE_STMT, raw, sql);
  }
  return first_row;
}

std::unique_ptr<Statement> OdbcConnection::do_prepare(std::string_view sql) {
  return std::make_unique<OdbcStatement>(*this, sql);
}

ErrorInfo OdbcConnection::diagnose(SQLSMALLINT handle_type, SQLHANDLE handle) {
  ErrorInfo info = classify(*profile_, read_diagnostics(handle_type, handle));
  if (info.kind == ErrorKind::database_error) {
    SQLUINTEGER dead = SQL_CD_FALSE;
    if (SQL_SUCCEEDED(
            SQLGetConnectAttr(dbc(), SQL_ATTR_CONNECTION_DEAD, &dead, SQL_IS_UINTEGER, nullptr)) &&
        dead == SQL_CD_TRUE) {
      info.kind = ErrorKind::connection_lost;
      info.message += " (the driver reports the connection dead)";
    }
  }
  return info;
}

void OdbcConnection::fail(SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view sql) {
  ErrorInfo info = diagnose(handle_type, handle);
  if (in_transaction_) record_transaction_effect(info);
  if (profile_->unique_violation_names_only_the_key() && info.kind == ErrorKind::unique_violation &&
      !info.constraint.empty() && !sql.empty())
    info.columns = mariadb_key_columns(sql, info.constraint);
  anydb::throw_error(std::move(info));
}

void OdbcConnection::record_transaction_effect(const ErrorInfo& info) noexcept {
  if (info.kind == ErrorKind::connection_lost) {
    in_transaction_ = false;
    failed_ = false;
    return;
  }
  switch (profile_->effect_of(info, settings_)) {
    case TransactionEffect::none: break;
    case TransactionEffect::failed: failed_ = true; break;
    // Leave manual-commit mode here: the core refuses every statement until rollback(), and
    // nothing may start a new transaction meanwhile.
    case TransactionEffect::ended: abandon_transaction(); break;
    case TransactionEffect::ask_database:
      if (!sqlite_transaction_survived()) in_transaction_ = false;
      break;
  }
}

std::vector<std::string> OdbcConnection::mariadb_key_columns(std::string_view sql,
                                                             const std::string& key) {
  return key_columns_.of(sql, key, [this](std::span<const Value> params) {
    OdbcStatement lookup(*this, support::MariadbKeyColumns::lookup_sql);
    return lookup.execute(params);
  });
}

}  // namespace anydb::odbc
