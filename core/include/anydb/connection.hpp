#pragma once

#include <anydb/dialect.hpp>
#include <anydb/export.hpp>
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

// A prepared statement, owned by the Connection that made it. Not thread-safe.
class ANYDB_API Statement {
public:
  virtual ~Statement();
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Runs the statement with `params` bound in order and materialises the whole result.
  // Throws anydb::Error (the subclass of its kind).
  virtual Result execute(std::span<const Value> params) = 0;
};

// One session with a database. A Connection is used by one thread at a time; different
// connections may be used from different threads concurrently.
//
// Backends implement the protected do_* hooks and the transaction primitives. The public
// execute() goes through a per-connection cache of prepared statements keyed by SQL text.
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
  virtual void begin(AccessMode mode = AccessMode::read_write) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Savepoint names are validated and quoted by the backend; they may only be used inside a
  // transaction (anydb::UsageError otherwise, on every backend).
  virtual void savepoint(std::string_view name) = 0;
  virtual void release(std::string_view name) = 0;
  virtual void rollback_to(std::string_view name) = 0;
  [[nodiscard]] virtual bool in_transaction() const noexcept = 0;

  // The isolation level of every transaction this connection begins from now on (also set by
  // a URI's isolation= parameter). A backend verifies that the database really runs the level
  // and throws anydb::Unsupported when it cannot provide it (SQLite: only serializable);
  // inside a transaction it throws anydb::UsageError. The default refuses every change.
  virtual void set_isolation_level(IsolationLevel level);

  // Runs `sql` with `params` bound (never spliced) through the statement cache.
  Result execute(std::string_view sql, std::span<const Value> params = {});
  Result execute(std::string_view sql, std::initializer_list<Value> params) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Runs `sql` without preparing or caching it: for DDL and one-off statements. No parameters.
  virtual void execute_script(std::string_view sql) = 0;

  // Returns the cached prepared statement for `sql`, preparing it on a miss. The reference
  // stays valid until the statement is evicted (capacity reached) or the cache is cleared.
  Statement& prepare(std::string_view sql);
  void set_statement_cache_capacity(std::size_t capacity);
  [[nodiscard]] std::size_t statement_cache_size() const noexcept { return cache_index_.size(); }
  struct CacheStats {
    std::uint64_t hits = 0, misses = 0, evictions = 0;
  };
  [[nodiscard]] CacheStats statement_cache_stats() const noexcept { return cache_stats_; }

  // A fresh savepoint name, unique on this connection (used by Transaction).
  [[nodiscard]] std::string next_savepoint_name();

  // Where a noexcept destructor reports a cleanup that failed (a rollback in a guard's
  // destructor, say). The default writes one line to stderr; errors are never dropped silently.
  using CleanupErrorHandler = std::function<void(std::string_view message)>;
  void set_cleanup_error_handler(CleanupErrorHandler handler);
  void report_cleanup_error(std::string_view what) const noexcept;

protected:
  Connection();
  // Prepares one statement. Called by prepare() on a cache miss.
  virtual std::unique_ptr<Statement> do_prepare(std::string_view sql) = 0;
  // Destroys every cached statement; call it first thing in a backend's destructor.
  void close_statements() noexcept;

private:
  void evict_if_full();

  struct CachedStatement {
    std::string sql;
    std::unique_ptr<Statement> statement;
  };
  std::list<CachedStatement> cache_lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<CachedStatement>::iterator> cache_index_;
  std::size_t cache_capacity_ = 64;
  CacheStats cache_stats_;
  std::uint64_t savepoint_counter_ = 0;
  CleanupErrorHandler cleanup_error_handler_;
};

}  // namespace anydb
