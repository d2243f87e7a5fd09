#pragma once

#include "error.hpp"
#include "handle.hpp"
#include "profile.hpp"
#include "uri.hpp"

#include "common/mariadb_keys.hpp"

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {

// The unixODBC driver manager's version ("2.3.11"), or "unknown".
[[nodiscard]] std::string driver_manager_version();

// One ODBC connection (SQLDriverConnect, SQL_DRIVER_NOPROMPT), with its own environment. Like
// every anydb::Connection it is used by one thread at a time.
//
// Transactions use the ODBC API: do_begin() turns autocommit off, do_commit()/do_rollback() end
// the transaction with SQLEndTran and turn autocommit back on. ODBC cannot be asked whether a
// transaction is open, so the connection tracks it, including the cases where the database
// ends or fails a transaction by itself (see fail()), and reports it to the core.
class OdbcConnection final : public Connection {
 public:
  // Connects, recognises the product (SQL_DBMS_NAME), sets up the dialect, applies
  // ANYDB_ISOLATION. Throws anydb::ConnectionFailed or anydb::ConfigurationError.
  explicit OdbcConnection(const ConnectOptions& options);
  ~OdbcConnection() override;
  OdbcConnection(const OdbcConnection&) = delete;
  OdbcConnection& operator=(const OdbcConnection&) = delete;

  [[nodiscard]] const Dialect& dialect() const noexcept override { return dialect_; }
  [[nodiscard]] std::string_view backend_name() const noexcept override;

  [[nodiscard]] Product product() const noexcept { return product_; }
  [[nodiscard]] const ProductProfile& profile() const noexcept { return *profile_; }
  [[nodiscard]] SQLHDBC dbc() const noexcept { return dbc_.get(); }
  // SQLite only: PRAGMA schema_version, which changes with every schema change by any
  // connection (see OdbcStatement).
  [[nodiscard]] std::int64_t sqlite_schema_version();
  // SQLite only: makes SQLite reload this connection's copy of the schema (a statement on the
  // schema table does), so that a prepare sees another connection's changes.
  void reload_sqlite_schema();

  // Throws the anydb error for the diagnostics on `handle` after a failed call, and records what
  // the database did to an open transaction, for do_transaction_status(): PostgreSQL fails it
  // (only ROLLBACK [TO SAVEPOINT] works), MariaDB rolls all of it back on a deadlock, SQLite
  // after a few errors, a lost connection ends it. `sql` is the failed statement, if any (MariaDB:
  // to find the columns of the violated unique key).
  [[noreturn]] void fail(SQLSMALLINT handle_type, SQLHANDLE handle, std::string_view sql = {});

  // classify() for this connection's product, plus: an error the table leaves unclassified on a
  // connection the driver reports dead (SQL_ATTR_CONNECTION_DEAD) is connection_lost.
  [[nodiscard]] ErrorInfo diagnose(SQLSMALLINT handle_type, SQLHANDLE handle);

 protected:
  void do_begin(AccessMode mode) override;
  void do_commit() override;
  void do_rollback() override;
  void do_savepoint(std::string_view name) override;
  void do_release(std::string_view name) override;
  void do_rollback_to(std::string_view name) override;
  void do_execute_script(std::string_view sql) override;
  [[nodiscard]] std::unique_ptr<Statement> do_prepare(std::string_view sql) override;
  void do_set_isolation_level(IsolationLevel level) override;
  [[nodiscard]] DatabaseTransaction do_transaction_status() const noexcept override;

 private:
  void connect(const std::string& connection_string);
  void set_up_product();
  // run(), for the profile.
  [[nodiscard]] RunQuery query();
  void apply_isolation(IsolationLevel level, ErrorKind refusal);
  void set_autocommit(bool on);
  // Ends the transaction the database ended (or that cannot go on) without reporting errors.
  void abandon_transaction() noexcept;
  void record_transaction_effect(const ErrorInfo& info) noexcept;
  [[nodiscard]] bool sqlite_transaction_survived() noexcept;
  // Runs one statement without parameters outside the cache and returns its first row as text.
  std::vector<std::optional<std::string>> run(std::string_view sql);
  // The first row of the result `statement` produced, as text (nothing when it has none).
  [[nodiscard]] std::vector<std::optional<std::string>> read_first_row(SQLHSTMT statement,
                                                                       std::string_view sql);
  [[nodiscard]] std::vector<std::string> mariadb_key_columns(std::string_view sql,
                                                             const std::string& key);

  EnvHandle env_;
  DbcHandle dbc_;
  std::string display_;  // the connection string, redacted
  Product product_ = Product::generic;
  std::string dbms_name_;
  std::string dbms_version_;
  const ProductProfile* profile_ = &profile_for(Product::generic);
  ProductSettings settings_;
  Dialect dialect_;

  // What the database holds, as far as ODBC lets us know: a transaction is open (manual-commit
  // mode, or SQLite's own BEGIN), and it failed (PostgreSQL: only ROLLBACK [TO SAVEPOINT]).
  bool in_transaction_ = false;
  bool failed_ = false;
  // MariaDB: the columns of unique keys, looked up after a violation.
  support::MariadbKeyColumns key_columns_;
};

}  // namespace anydb::odbc
