#include "connection.hpp"

#include "error.hpp"
#include "statement.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
#include <utility>

namespace anydb::sqlite {
namespace {

using Clock = std::chrono::steady_clock;

// SQLite takes lengths as int and stops at a NUL byte, which would silently cut the SQL short.
[[nodiscard]] int sql_length(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos)
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("SQL text contains a NUL byte: '{}'", printable(sql)));
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("SQL text of {} bytes is too long for SQLite", sql.size()));
  return static_cast<int>(sql.size());
}

[[nodiscard]] bool is_busy(int rc) noexcept {
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

// Runs a PRAGMA while opening and returns the first column of its first row ("" if none).
[[nodiscard]] std::string open_pragma(sqlite3* db, const OpenOptions& options,
                                      const std::string& sql) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  for (;;) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, sql.c_str(), sql_length(sql), &raw, nullptr);
    const StatementHandle statement(raw);
    std::string first;
    if (rc == SQLITE_OK && statement) {
      while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(statement.get(), 0);
        if (first.empty() && text != nullptr) first = reinterpret_cast<const char*>(text);
      }
      if (rc == SQLITE_DONE) return first;
    }
    // Switching a file to WAL takes an exclusive lock for a moment. The busy handler waits for
    // most locks but not all (SQLite answers BUSY at once where waiting could deadlock), so
    // many threads opening a new file together need this loop as well.
    if (!is_busy(rc) || Clock::now() >= deadline) throw_open_error(db, rc, options.display);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void configure(sqlite3* db, const OpenOptions& options) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // By default SQLite reads a double-quoted name that matches no column as a string literal,
  // so a misspelt quoted identifier would silently compare against a constant. Every
  // identifier anydb sends is double-quoted: turn that legacy behaviour off.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);

  if (options.journal_mode) {
    const std::string& wanted = *options.journal_mode;
    const std::string actual = open_pragma(db, options, "PRAGMA journal_mode=" + wanted);
    if (actual != wanted)
      throw_backend_error(ErrorKind::connection_failed,
                          fmt::format("cannot open database '{}': journal_mode={} was "
                                      "asked for, but SQLite kept '{}'",
                                      options.display, wanted, printable(actual)));
    // WAL with synchronous=NORMAL cannot corrupt the database; a power loss (not a crash of
    // the program) may lose the last commits. That is the setting SQLite's documentation
    // recommends for WAL, and it saves an fsync per commit, which matters under contention.
    if (wanted == "wal") (void)open_pragma(db, options, "PRAGMA synchronous=NORMAL");
  }
  (void)open_pragma(db, options,
                    options.foreign_keys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
}

[[nodiscard]] DatabaseHandle open_database(const OpenOptions& options) {
  int flags = options.open_flags | SQLITE_OPEN_NOMUTEX;
#ifdef SQLITE_OPEN_EXRESCODE
  flags |= SQLITE_OPEN_EXRESCODE;  // 3.37+: extended codes from the open itself
#endif
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(options.filename.c_str(), &raw, flags, nullptr);
  // Owned even when the open failed: SQLite then still returns a handle, to carry the message.
  DatabaseHandle db(raw);
  if (rc != SQLITE_OK) throw_open_error(db.get(), rc, options.display);
  configure(db.get(), options);
  return db;
}

[[nodiscard]] Dialect make_dialect() {
  Dialect dialect;
  dialect.placeholders = Dialect::Placeholders::question_mark;
  dialect.identifier_quote = '"';
  // Asked of the library actually loaded, not of the header we were compiled with.
  const int version = sqlite3_libversion_number();
  dialect.upsert =
      version >= 3'024'000 ? Dialect::Upsert::on_conflict_do_nothing : Dialect::Upsert::none;
  dialect.supports_returning = version >= 3'035'000;
  // Every RETURNING builds and fills a temporary table (SQLite 3.35-3.40 at least): a created
  // key costs about twice the instructions of a plain INSERT. The SELECT of the key that
  // follows the plain INSERT instead is a cached statement and one index lookup.
  dialect.single_row_returning = false;
  dialect.supports_savepoints = true;
  dialect.identity_column = "INTEGER PRIMARY KEY";
  return dialect;
}

// True when `rest` holds nothing SQLite would run: whitespace, comments, empty statements.
[[nodiscard]] bool nothing_to_run(sqlite3* db, std::string_view rest) {
  while (!rest.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db, rest.data(), static_cast<int>(rest.size()), &raw, &tail);
    const StatementHandle statement(raw);
    if (rc != SQLITE_OK || statement) return false;
    if (tail == nullptr || tail <= rest.data()) return true;
    rest.remove_prefix(static_cast<std::size_t>(tail - rest.data()));
  }
  return true;
}

// SQLite's busy handler after the database is open, in place of sqlite3_busy_timeout's, which
// sleeps 1 ms at first, then 2, 5, 10 ms and more: far longer than another connection of the
// process holds the write lock for a batch (a few hundred microseconds), so two writers spent
// much of their time asleep with the lock free. These waits start at 20 microseconds and double
// up to 2 ms; the total still ends at the busy timeout. `count` is the number of earlier calls
// for the same lock, as SQLite numbers them.
int wait_while_busy(void* timeout_ms, int count) {
  using std::chrono::microseconds;
  constexpr microseconds first_wait{20};
  constexpr microseconds longest_wait{2000};
  const microseconds timeout = std::chrono::milliseconds(*static_cast<const int*>(timeout_ms));
  microseconds waited{0};
  microseconds next = first_wait;
  for (int i = 0; i < count && waited < timeout; ++i) {
    waited += next;
    next = std::min(next * 2, longest_wait);
  }
  if (waited >= timeout) return 0;  // give up: SQLITE_BUSY reaches the statement
  std::this_thread::sleep_for(std::min(next, timeout - waited));
  return 1;
}

}  // namespace

SqliteConnection::SqliteConnection(const OpenOptions& options)
    : busy_timeout_ms_(options.busy_timeout_ms),
      db_(open_database(options)),
      dialect_(make_dialect()) {
  sqlite3_busy_handler(db_.get(), &wait_while_busy, &busy_timeout_ms_);
}

SqliteConnection::~SqliteConnection() {
  // The cached statements must be finalised while the handle still exists. An open
  // transaction is rolled back by sqlite3_close_v2.
  close_statements();
  savepoints_.clear();
}

std::string_view SqliteConnection::backend_name() const noexcept { return sqlite::backend_name; }

void SqliteConnection::do_set_isolation_level(IsolationLevel level) {
  if (level != IsolationLevel::serializable)
    throw_backend_error(ErrorKind::unsupported,
                        fmt::format("isolation level {} is not available: SQLite only provides "
                                    "serializable isolation",
                                    to_string(level)));
}

DatabaseTransaction SqliteConnection::do_transaction_status() const noexcept {
  return sqlite3_get_autocommit(db_.get()) == 0 ? DatabaseTransaction::open
                                                : DatabaseTransaction::none;
}

void SqliteConnection::do_begin(AccessMode mode) {
  // IMMEDIATE takes the write lock now, waiting up to the busy timeout. A DEFERRED transaction
  // that reads and then writes would instead fail at the write with SQLITE_BUSY, at once.
  run_control(mode == AccessMode::read_write ? begin_immediate : begin_deferred);
}

void SqliteConnection::do_commit() {
  // A COMMIT that fails with SQLITE_BUSY leaves the transaction open; the core sees that.
  run_control(commit_control);
}

void SqliteConnection::do_rollback() { run_control(rollback_control); }

void SqliteConnection::do_savepoint(std::string_view name) { run_savepoint(savepoint_verb, name); }

void SqliteConnection::do_release(std::string_view name) { run_savepoint(release_verb, name); }

void SqliteConnection::do_rollback_to(std::string_view name) {
  run_savepoint(rollback_to_verb, name);
}

void SqliteConnection::run_savepoint(SavepointVerb verb, std::string_view name) {
  static constexpr std::string_view verbs[savepoint_verb_count] = {
      "SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT "};
  static constexpr std::size_t most_names = 16;
  auto found = savepoints_.find(name);
  if (found == savepoints_.end()) {
    if (savepoints_.size() >= most_names) savepoints_.clear();
    found = savepoints_.emplace(std::string(name), std::array<StatementHandle, 3>{}).first;
  }
  StatementHandle& statement = found->second[verb];
  // The text is needed, and built, only the first time: to prepare the statement.
  step_persistent(statement, statement
                                 ? std::string()
                                 : std::string(verbs[verb]) + dialect_.quote_identifier(name));
}

void SqliteConnection::step_persistent(StatementHandle& statement, std::string_view sql) {
  if (!statement) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), sql_length(sql),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement.reset(raw);
    if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc);
  }
  const int rc = sqlite3_step(statement.get());
  sqlite3_reset(statement.get());
  if (rc != SQLITE_DONE) throw_sqlite_error(db_.get(), rc);
}

void SqliteConnection::do_execute_script(std::string_view sql) { run(sql); }

void SqliteConnection::run_control(Control which) {
  static constexpr std::string_view texts[control_count] = {"BEGIN IMMEDIATE", "BEGIN DEFERRED",
                                                            "COMMIT", "ROLLBACK"};
  step_persistent(control_[which], texts[which]);
}

void SqliteConnection::run(std::string_view sql) {
  const char* next = sql.data();
  const char* const end = next + sql_length(sql);
  while (next < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), next, static_cast<int>(end - next), &raw, &tail);
    const StatementHandle statement(raw);
    if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc);
    if (tail == nullptr || tail <= next) break;
    next = tail;
    if (!statement) continue;  // only whitespace or a comment
    while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) throw_sqlite_error(db_.get(), rc);
  }
}

std::unique_ptr<Statement> SqliteConnection::do_prepare(std::string_view sql) {
  // An empty view may have a null data pointer, which SQLite would call API misuse.
  if (sql.empty())
    throw_backend_error(ErrorKind::invalid_argument, "an empty string holds no SQL statement");
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  // PERSISTENT: these statements live on in the connection's cache, so SQLite should not
  // spend its small lookaside pool, kept for short-lived allocations, on them.
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), sql_length(sql),
                                    SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  StatementHandle statement(raw);
  if (rc != SQLITE_OK) throw_sqlite_error(db_.get(), rc);
  if (!statement)
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("'{}' holds no SQL statement", printable(sql)));
  const auto used = static_cast<std::size_t>(tail - sql.data());
  if (!nothing_to_run(db_.get(), sql.substr(used)))
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("a prepared statement is one SQL statement, but '{}' holds "
                                    "more: run scripts with execute_script()",
                                    printable(sql)));
  return std::make_unique<SqliteStatement>(std::move(statement));
}

}  // namespace anydb::sqlite
