#pragma once

#include <anydb/dialect.hpp>
#include <anydb/export.hpp>
#include <anydb/trace.hpp>
#include <anydb/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace anydb {

enum class AccessMode {
  read_write,  // SQLite: BEGIN IMMEDIATE (take the write lock up front, so a later write
               // cannot fail with SQLITE_BUSY without waiting)
  read_only,   // SQLite: BEGIN DEFERRED
};

enum class IsolationLevel { read_uncommitted, read_committed, repeatable_read, serializable };

[[nodiscard]] ANYDB_API std::string_view to_string(IsolationLevel level) noexcept;
// Accepts "read_committed", "read-committed", "read committed" (any case), etc. Throws
// anydb::ConfigurationError naming the accepted values.
[[nodiscard]] ANYDB_API IsolationLevel parse_isolation_level(std::string_view text);

// Where a transaction stands, as the core tracks it for every backend (docs/architecture.md,
// "The transaction contract", has the full table of transitions).
enum class TransactionState {
  idle,     // no transaction: statements run in autocommit
  active,   // begin() succeeded; statements run inside the transaction
  failed,   // a statement failed and the database accepts nothing but rollback_to() a
            // savepoint or rollback() (PostgreSQL's "current transaction is aborted")
  aborted,  // the database ended the transaction by itself (deadlock victim, lock-wait timeout
            // with rollback, SQLite's automatic rollback, a lost connection): nothing runs until
            // the caller ends it with rollback() (or a guard's destructor does)
};

[[nodiscard]] ANYDB_API std::string_view to_string(TransactionState state) noexcept;

// What a backend's database says about its transaction right now (Connection's
// do_transaction_status hook). Backends report; the core decides what follows.
enum class DatabaseTransaction {
  none,    // no transaction is open on the database side (never begun, ended, or rolled back)
  open,    // a transaction is open and accepts statements
  failed,  // a transaction is open but accepts nothing but ROLLBACK [TO SAVEPOINT]
  ended,   // the database ended the transaction, but the backend still holds state that its
           // do_rollback() must clear (a wrapping connection, a driver's manual-commit mode)
};

class Connection;
class Error;

// A message the database sent with a statement's result that is not an error: PostgreSQL's
// NOTICE, WARNING and INFO (RAISE NOTICE, "relation ... already exists, skipping"). The views
// are valid only during the handler's call.
struct Notice {
  std::string_view severity;  // as the database words it: "NOTICE", "WARNING", ...
  std::string_view message;   // the primary message
  std::string_view text;      // the whole report as the client library renders it, with its
                              // final new line ("NOTICE:  ...\n" for libpq)
};

// A prepared statement, owned by the Connection that made it. Not thread-safe.
class ANYDB_API Statement {
 public:
  virtual ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Runs the statement with `params` bound in order and materialises the whole result, under
  // the owning connection's transaction contract: in a failed or aborted transaction it throws
  // anydb::TransactionAborted without reaching the database. Throws anydb::Error (the subclass
  // of its kind).
  Result execute(std::span<const Value> params);

 protected:
  Statement() = default;
  // Runs the statement on the database. Backends implement it; they never call it through
  // execute() from their own code unless the statement is one of their private ones.
  virtual Result do_execute(std::span<const Value> params) = 0;

 private:
  friend class Connection;
  Connection* owner_ = nullptr;  // set by Connection::prepare(); null for a backend's own
  bool stale_ = false;           // the database said the schema changed under it
  std::string_view sql_;         // the text as prepared (owned by the connection's cache entry)
};

// One session with a database. A Connection is used by one thread at a time; different
// connections may be used from different threads concurrently.
//
// The core owns the transaction contract: the public transaction calls and execute() check and
// update one state machine (TransactionState) and call the backend's protected do_* hooks. A
// backend only runs what it is asked to and reports, through do_transaction_status(), what its
// database did to the transaction. The rules, written once here, hold on every backend:
//   - once the database has ended a transaction on its own, the connection is `aborted` until
//     rollback(): every statement, savepoint and get-or-create throws anydb::TransactionAborted,
//     nothing ever runs in autocommit, and commit() throws anydb::TransactionAborted saying that
//     the database rolled the transaction back;
//   - ErrorInfo::transaction_aborted on an error means "the transaction that was open can no
//     longer commit" (see error.hpp), computed by the core from the state after the error;
//   - a cached statement the database calls stale after a schema change is prepared again: run
//     once more at once outside a transaction, reported as the transient anydb::SchemaChanged
//     inside one (run_transaction's retry prepares it afresh).
//
// Destruction: a backend's destructor must call close_statements() before it releases its
// native handle, because the cached statements are destroyed after the derived part otherwise.
class ANYDB_API Connection {
 public:
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] virtual const Dialect& dialect() const noexcept = 0;
  [[nodiscard]] virtual std::string_view backend_name() const noexcept = 0;

  // Transaction primitives. Most code wants anydb::Transaction or anydb::atomic() instead,
  // which pair these correctly even when exceptions fly.
  //
  // begin(): idle only (anydb::UsageError otherwise; nest with savepoints).
  void begin(AccessMode mode = AccessMode::read_write);
  // commit(): active -> idle. From failed or aborted it rolls back and throws
  // anydb::TransactionAborted ("nothing was committed"). A COMMIT the database refuses leaves
  // the state the database reports (SQLite keeps a BUSY transaction open); one whose connection
  // broke throws with commit_outcome_unknown() true.
  void commit();
  // rollback(): any open state -> idle. From aborted it only tidies up, quietly: the error that
  // ended the transaction was reported already.
  void rollback();
  // Savepoint names are validated by the core and quoted by the backend; savepoint() and release()
  // need an active transaction, rollback_to() an active or failed one (anydb::UsageError when none
  // is open, anydb::TransactionAborted when the transaction cannot go on).
  void savepoint(std::string_view name);
  void release(std::string_view name);
  void rollback_to(std::string_view name);
  // True in every state but idle: a failed or aborted transaction still has to be ended.
  [[nodiscard]] bool in_transaction() const noexcept { return state_ != TransactionState::idle; }
  [[nodiscard]] TransactionState transaction_state() const noexcept { return state_; }
  // The access mode the open transaction was begun with (read_write when none is open).
  [[nodiscard]] AccessMode transaction_access_mode() const noexcept {
    return state_ == TransactionState::idle ? AccessMode::read_write : access_mode_;
  }

  // The isolation level of every transaction this connection begins from now on (also set by
  // a URI's isolation= parameter). A backend verifies that the database really runs the level
  // and throws anydb::Unsupported when it cannot provide it (SQLite: only serializable);
  // inside a transaction it throws anydb::UsageError.
  void set_isolation_level(IsolationLevel level);

  // Runs `sql` with `params` bound (never spliced) through the statement cache. `?` is the
  // portable placeholder on every backend (see anydb/placeholders.hpp); an error from it carries
  // the SQL text (Error::sql()).
  Result execute(std::string_view sql, std::span<const Value> params = {});
  Result execute(std::string_view sql, std::initializer_list<Value> params) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs `sql` without preparing or caching it: for DDL and one-off statements. No parameters.
  // A script that begins or ends a transaction itself is followed: the state is asked of the
  // backend afterwards.
  void execute_script(std::string_view sql);

  // Returns the cached prepared statement for `sql`, preparing it on a miss (or when the cached
  // one went stale); the cache is keyed by `sql` as written, and a miss hands the backend the
  // text in its own placeholder syntax (to_native_placeholders). The reference stays valid until
  // the statement is evicted (capacity reached), replaced after going stale, or the cache is
  // cleared.
  Statement& prepare(std::string_view sql);
  void set_statement_cache_capacity(std::size_t capacity);
  [[nodiscard]] std::size_t statement_cache_size() const noexcept { return cache_index_.size(); }
  struct CacheStats {
    std::uint64_t hits = 0, misses = 0, evictions = 0;
  };
  [[nodiscard]] CacheStats statement_cache_stats() const noexcept { return cache_stats_; }

  // A savepoint name that no savepoint open on this connection has (used by Transaction).
  // Names are reused once released, so that a backend may keep their statements prepared.
  [[nodiscard]] std::string next_savepoint_name();

  // Where a noexcept destructor reports a cleanup that failed (a rollback in a guard's
  // destructor, say). The default writes one line to stderr; errors are never dropped silently.
  using CleanupErrorHandler = std::function<void(std::string_view message)>;
  void set_cleanup_error_handler(CleanupErrorHandler handler);
  void report_cleanup_error(std::string_view what) const noexcept;

  // Receives the notices the database sends (PostgreSQL; SQLite, ODBC and MariaDB deliver
  // none). Called on the thread that runs the statement, while it runs; it must not use this
  // connection. None (the default): notices are dropped, never printed.
  using NoticeHandler = std::function<void(const Notice& notice)>;
  void set_notice_handler(NoticeHandler handler);

  // Calls `hook` once per statement, script and transaction step this connection runs, after it
  // finished (see anydb/trace.hpp; trace_to_stderr() prints one line each). An empty hook turns
  // tracing off; unset, it costs one branch per call. Exceptions the hook throws are dropped.
  // Like every other call, set it from the thread that uses the connection.
  void set_trace_hook(TraceHook hook) noexcept { trace_hook_ = std::move(hook); }
  [[nodiscard]] bool tracing() const noexcept { return static_cast<bool>(trace_hook_); }

  // Throws a copy of `error` whose transaction_aborted() says whether the transaction open now
  // can still commit. For code that recovered the transaction (rolled back to its own savepoint)
  // before passing an error on, as get-or-create and nested anydb::Transaction guards do.
  [[noreturn]] void rethrow_for_current_state(const Error& error) const;

 protected:
  Connection();

  // The backend's hooks. Each runs its operation on the database and throws the mapped
  // anydb::Error when it fails; the core has checked the state before calling and updates it
  // afterwards. A savepoint `name` has been validated already: dialect().quote_identifier(name)
  // quotes it.
  virtual void do_begin(AccessMode mode) = 0;
  virtual void do_commit() = 0;
  // Called only while the backend reports a transaction (open, failed or ended).
  virtual void do_rollback() = 0;
  virtual void do_savepoint(std::string_view name) = 0;
  virtual void do_release(std::string_view name) = 0;
  virtual void do_rollback_to(std::string_view name) = 0;
  virtual void do_execute_script(std::string_view sql) = 0;
  // Prepares one statement. Called by prepare() on a cache miss.
  virtual std::unique_ptr<Statement> do_prepare(std::string_view sql) = 0;
  // Called only when no transaction is open. The default refuses every level.
  virtual void do_set_isolation_level(IsolationLevel level);
  // What the database says about its transaction now. Asked after every failed operation inside
  // a transaction, after a script, and before tidying up an aborted transaction. Backends whose
  // database cannot be asked (ODBC) answer from what they know of their product.
  [[nodiscard]] virtual DatabaseTransaction do_transaction_status() const noexcept = 0;

  // Destroys every cached statement; call it first thing in a backend's destructor.
  void close_statements() noexcept;

  // For backends: hands a notice to the handler, if any. A handler that throws is reported
  // through report_cleanup_error(), because it runs inside the client library's callback.
  void deliver_notice(const Notice& notice) const noexcept;

 private:
  friend class Statement;
  Result run_statement(Statement& statement, std::span<const Value> params);
  Result run_statement_untraced(Statement& statement, std::span<const Value> params);
  // `event`, when tracing, learns the SQL text as the backend prepared it.
  Result execute_untraced(std::string_view sql, std::span<const Value> params, TraceEvent* event);
  void begin_untraced(AccessMode mode);
  void commit_untraced();
  void rollback_untraced();
  void savepoint_untraced(std::string_view name);
  void release_untraced(std::string_view name);
  void rollback_to_untraced(std::string_view name);
  void execute_script_untraced(std::string_view sql);
  // Refuses to run anything in a failed or aborted transaction.
  void require_usable(std::string_view operation) const;
  void require_open(std::string_view operation) const;
  // After `error` escaped a hook: moves the state to what the database reports and throws the
  // error again with transaction_aborted set from the new state.
  // `sql`, when given, is recorded in the error (ErrorInfo::sql).
  [[noreturn]] void fail(const Error& error, bool committing, std::string_view sql = {});
  [[noreturn]] void throw_transaction_aborted(std::string_view operation) const;
  void end_aborted_transaction();
  void evict_if_full();

  struct CachedStatement {
    std::string sql;         // as the caller wrote it: the cache key
    std::string native_sql;  // as the backend prepared it, when placeholders were rewritten
    std::unique_ptr<Statement> statement;
  };
  std::list<CachedStatement> cache_lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<CachedStatement>::iterator> cache_index_;
  std::size_t cache_capacity_ = 64;
  CacheStats cache_stats_;
  std::uint64_t savepoint_counter_ = 0;
  CleanupErrorHandler cleanup_error_handler_;
  NoticeHandler notice_handler_;
  TransactionState state_ = TransactionState::idle;
  AccessMode access_mode_ = AccessMode::read_write;
  std::string abort_reason_;  // the error that made the transaction failed or aborted
  TraceHook trace_hook_;
};

}  // namespace anydb
