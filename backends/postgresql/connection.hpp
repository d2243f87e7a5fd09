#pragma once

#include "convert.hpp"
#include "handle.hpp"
#include "uri.hpp"
#include "wait.hpp"

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
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
//
// Every call that waits for the server waits at most read_timeout seconds of silence (see
// wait.hpp); then the query is cancelled, the connection closed, and the call throws
// anydb::ConnectionLost. With pooler=transaction the connection keeps no state in the server
// session that a later transaction needs (see docs/scaling.md).
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
  // True with pooler=transaction: statements run unnamed (PgStatement asks).
  [[nodiscard]] bool transaction_pooler() const noexcept { return transaction_pooler_; }
  // Prepares `sql` under a fresh name, with `types` (0 = let the server infer) declared.
  [[nodiscard]] std::string prepare_named(const std::string& sql, std::span<const Oid> types);
  // Runs the prepared statement `name` with `params`: its result, or the mapped error.
  [[nodiscard]] ResultHandle execute_prepared(const std::string& name, const Parameters& params);
  // Parses, binds and runs `sql` as the unnamed statement in one round trip (pooler mode).
  [[nodiscard]] ResultHandle execute_unnamed(const std::string& sql, const Parameters& params);
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
  // Runs one command without parameters (BEGIN, SAVEPOINT, a script), outside the cache.
  ResultHandle run(const std::string& sql, bool committing = false);
  // Waits for the reply to what a PQsend* call (which returned `sent`) sent, within
  // read_timeout, and returns its result when the command succeeded. Otherwise throws the
  // mapped error (commit_outcome_unknown when `committing` and the connection broke).
  ResultHandle finish(int sent, bool committing = false);
  ResultHandle check(ResultHandle result, bool committing);
  // The server stayed silent for read_timeout: cancel, close, throw anydb::ConnectionLost.
  [[noreturn]] void give_up(bool committing);
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
  SilenceLimit read_timeout_;
  bool transaction_pooler_;
  // What do_begin sends: with pooler=transaction the isolation level goes with every BEGIN,
  // because a session setting would stay on whichever server session the pooler lent.
  std::string begin_sql_ = "BEGIN";
  std::string begin_read_only_sql_ = "BEGIN READ ONLY";
  // Statement names are anydb_<random>_<n>: a name made by another client can never match
  // one of ours, even where a pooler lends us a server session that client prepared on.
  std::string statement_prefix_;
  std::uint64_t statement_counter_ = 0;
  std::vector<std::string> forgotten_statements_;
};

}  // namespace anydb::postgresql
