#pragma once

#include "handle.hpp"
#include "uri.hpp"

#include "common/mariadb_keys.hpp"

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>

#include <mysql.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::mariadb {

// One Connector/C connection. Like every anydb::Connection it is used by one thread at a time.
//
// The transaction status it reports to the core is the server's own (SERVER_STATUS_IN_TRANS),
// never tracked here. An error packet carries no status flags, so after an error inside a
// transaction the connection asks the server once (SELECT @@in_transaction), whose reply
// refreshes them: after a deadlock InnoDB has rolled the transaction back, and the core must
// learn it. Once the connection is lost, every later call throws anydb::ConnectionLost at once.
class MariaDbConnection final : public Connection {
 public:
  // Connects and applies the URI's settings. Throws anydb::ConnectionFailed (one line, no
  // secrets) when the server cannot be reached or refuses us, anydb::Unsupported when it does not
  // run the isolation level asked for.
  explicit MariaDbConnection(const ConnectOptions& options);
  ~MariaDbConnection() override;
  MariaDbConnection(const MariaDbConnection&) = delete;
  MariaDbConnection& operator=(const MariaDbConnection&) = delete;

  [[nodiscard]] const Dialect& dialect() const noexcept override { return dialect_; }
  [[nodiscard]] std::string_view backend_name() const noexcept override;

  // For MariaDbStatement.
  [[nodiscard]] MYSQL* native() const noexcept { return mysql_.get(); }
  // Throws anydb::ConnectionLost when the connection broke earlier.
  void ensure_usable() const;
  // Throws the mapped error of `stmt`'s last failure. `sql` is the statement (to find the
  // columns of a violated unique key).
  [[noreturn]] void fail_statement(MYSQL_STMT* stmt, std::string_view sql);

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
  // Runs one or more statements without parameters, discarding rows.
  void run(std::string_view sql);
  // Runs one query and returns the first column of its first row ("" when NULL or no row).
  [[nodiscard]] std::string query_value(std::string_view sql);
  [[noreturn]] void fail(unsigned code, const char* sqlstate, const char* message,
                         std::string_view sql);
  // Refreshes the server status flags after an error packet (see the class comment).
  void refresh_status() noexcept;
  [[nodiscard]] std::vector<std::string> key_columns(std::string_view sql, const std::string& key);
  void set_isolation(IsolationLevel level);

  ConnectionHandle mysql_;
  Dialect dialect_;
  std::string display_;  // the URI, redacted, for messages
  bool broken_ = false;
  support::MariadbKeyColumns key_columns_;
};

}  // namespace anydb::mariadb
