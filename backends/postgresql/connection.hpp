#pragma once

#include "handle.hpp"
#include "uri.hpp"

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::postgresql {

// One libpq connection. Like every anydb::Connection it is used by one thread at a time.
//
// The transaction status it reports to the core is always asked of libpq (PQtransactionStatus),
// never tracked here. Once the connection is lost, every later call throws anydb::ConnectionLost
// at once.
class PgConnection final : public Connection {
 public:
  // Connects and applies the URI's settings. Throws anydb::ConnectionFailed (one line, no
  // secrets) when the server cannot be reached or refuses us, anydb::Unsupported when the
  // server does not run the isolation level asked for.
  explicit PgConnection(const ConnectOptions& options);
  ~PgConnection() override;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  [[nodiscard]] const Dialect& dialect() const noexcept override { return dialect_; }
  [[nodiscard]] std::string_view backend_name() const noexcept override;

  // For PgStatement.
  [[nodiscard]] PGconn* native() const noexcept { return conn_.get(); }
  // Throws anydb::ConnectionLost when the connection broke earlier.
  void ensure_usable() const;
  // Takes ownership of `raw`, the result of a command, and returns it when the command
  // succeeded. Otherwise throws the mapped error (commit_outcome_unknown when `committing` and
  // the connection broke).
  ResultHandle check(PGresult* raw, bool committing = false);
  // Prepares `sql` under a fresh name, with `types` (0 = let the server infer) declared.
  [[nodiscard]] std::string prepare_named(const std::string& sql, std::span<const Oid> types);
  // A statement that is gone no longer needs its server-side twin; DEALLOCATE runs later, when
  // no transaction is open (an aborted one would refuse it). Never throws.
  void forget_statement(std::string name) noexcept;

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
  // Runs one command without parameters (BEGIN, SAVEPOINT, ...), outside the cache.
  ResultHandle run(const std::string& sql, bool committing = false);
  void set_isolation(IsolationLevel level, std::string_view display);
  void deallocate_forgotten() noexcept;
  // A COPY started by a script: end it, so that the connection is usable again.
  void abandon_copy(ExecStatusType status) noexcept;
  // libpq's notice receiver: hands the server's NOTICE/WARNING/INFO to Connection's handler.
  static void receive_notice(void* self, const PGresult* notice) noexcept;

  ConnectionHandle conn_;
  Dialect dialect_;
  std::string display_;  // the URI, redacted, for messages
  bool broken_ = false;
  std::uint64_t statement_counter_ = 0;
  std::vector<std::string> forgotten_statements_;
};

}  // namespace anydb::postgresql
