#pragma once

#include "handle.hpp"
#include "uri.hpp"

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace anydb::sqlite {

// One sqlite3 connection, opened with SQLITE_OPEN_NOMUTEX: like every anydb::Connection it is
// used by one thread at a time, so SQLite's per-connection mutex would be pure overhead.
class SqliteConnection final : public Connection {
 public:
  // Opens and configures the database. Throws anydb::ConnectionFailed (or anydb::Busy when a
  // lock held by another connection outlasted the busy timeout).
  explicit SqliteConnection(const OpenOptions& options);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] const Dialect& dialect() const noexcept override { return dialect_; }
  [[nodiscard]] std::string_view backend_name() const noexcept override;

 protected:
  void do_begin(AccessMode mode) override;
  void do_commit() override;
  void do_rollback() override;
  void do_savepoint(std::string_view name) override;
  void do_release(std::string_view name) override;
  void do_rollback_to(std::string_view name) override;
  void do_execute_script(std::string_view sql) override;
  [[nodiscard]] std::unique_ptr<Statement> do_prepare(std::string_view sql) override;
  // SQLite runs every transaction serializably; other levels are refused.
  void do_set_isolation_level(IsolationLevel level) override;
  // sqlite3_get_autocommit: SQLite rolls a transaction back by itself after some errors.
  [[nodiscard]] DatabaseTransaction do_transaction_status() const noexcept override;

 private:
  // Runs one statement without parameters, outside the cache.
  void run(std::string_view sql);
  // BEGIN IMMEDIATE, BEGIN DEFERRED, COMMIT, ROLLBACK: prepared once, on first use.
  enum Control { begin_immediate, begin_deferred, commit_control, rollback_control, control_count };
  void run_control(Control which);
  // SAVEPOINT, RELEASE SAVEPOINT and ROLLBACK TO SAVEPOINT of one name, prepared once: the
  // core reuses a name per nesting depth, so a savepoint per key costs no preparation.
  enum SavepointVerb { savepoint_verb, release_verb, rollback_to_verb, savepoint_verb_count };
  void run_savepoint(SavepointVerb verb, std::string_view name);
  // Runs `statement` once, preparing it from `sql` (SQLITE_PREPARE_PERSISTENT) the first time.
  void step_persistent(StatementHandle& statement, std::string_view sql);

  // The busy timeout, read by wait_while_busy (connection.cpp) through a pointer SQLite keeps:
  // declared before db_, so that it outlives the handle.
  int busy_timeout_ms_;
  DatabaseHandle db_;
  StatementHandle control_[control_count];  // destroyed before db_
  // By savepoint name; a few names at most in practice (anydb_sp_1, _2, ... by depth), and
  // cleared when a caller's own names make it grow.
  std::map<std::string, std::array<StatementHandle, savepoint_verb_count>, std::less<>>
      savepoints_;  // destroyed before db_
  Dialect dialect_;
};

}  // namespace anydb::sqlite
