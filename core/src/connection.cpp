#include <anydb/connection.hpp>
#include <anydb/error.hpp>
#include <anydb/placeholders.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>

namespace anydb {
namespace {

// Names handed out by next_savepoint_name(): one per nesting depth of the open savepoints.
constexpr std::string_view savepoint_prefix = "anydb_sp_";
std::string savepoint_name(std::uint64_t number) {
  return fmt::format("{}{}", savepoint_prefix, number);
}

// Whether `name` is savepoint_name(number), without building that name: release() asks on
// every savepoint released, the per-key hot path of a caller's transaction.
bool is_savepoint_name(std::string_view name, std::uint64_t number) noexcept {
  if (!name.starts_with(savepoint_prefix)) return false;
  name.remove_prefix(savepoint_prefix.size());
  std::uint64_t parsed = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), parsed);
  return error == std::errc() && end == name.data() + name.size() && parsed == number &&
         name.front() != '0';
}

}  // namespace

namespace {

// Runs `run` and reports it to `hook` with its duration and outcome; the hook's own exceptions
// are dropped, so tracing never changes what the traced call does.
template <class Run>
auto run_traced(const TraceHook& hook, TraceEvent& event, Run&& run) -> decltype(run()) {
  const auto started = std::chrono::steady_clock::now();
  const auto report = [&](const Error* error) noexcept {
    event.duration = std::chrono::steady_clock::now() - started;
    event.error = error;
    try {
      hook(event);
    } catch (...) {
    }
  };
  using Outcome = decltype(run());
  if constexpr (std::is_void_v<Outcome>) {
    try {
      run();
    } catch (const Error& error) {
      report(&error);
      throw;
    }
    report(nullptr);
  } else {
    std::optional<Outcome> outcome;
    try {
      outcome.emplace(run());
    } catch (const Error& error) {
      report(&error);
      throw;
    }
    event.rows_returned = static_cast<std::int64_t>(outcome->rows.size());
    event.rows_affected = outcome->rows_affected;
    report(nullptr);
    return std::move(*outcome);
  }
}

// For the steps whose event needs no filling in while it runs.
template <class Run>
auto run_traced(const TraceHook& hook, TraceEvent&& event, Run&& run) -> decltype(run()) {
  return run_traced(hook, event, std::forward<Run>(run));
}

TraceEvent trace_event(std::string_view backend, std::string_view operation,
                       std::string_view sql = {}, std::span<const Value> params = {}) {
  TraceEvent event;
  event.backend = backend;
  event.operation = operation;
  event.sql = sql;
  event.params = params;
  return event;
}

}  // namespace

std::string_view to_string(TransactionState state) noexcept {
  switch (state) {
    case TransactionState::idle: return "idle";
    case TransactionState::active: return "active";
    case TransactionState::failed: return "failed";
    case TransactionState::aborted: return "aborted";
  }
  return "unknown";
}

Statement::~Statement() = default;

Result Statement::execute(std::span<const Value> params) {
  if (owner_ == nullptr) return do_execute(params);
  return owner_->run_statement(*this, params);
}

Connection::Connection() = default;

Connection::~Connection() {
  // Normally empty already (backends call close_statements() first); this only catches a
  // backend that forgot, at the price of finalising statements after its handle is gone.
  close_statements();
}

// ---------------------------------------------------------------------------------------------
// The transaction state machine

void Connection::require_usable(std::string_view operation) const {
  if (state_ == TransactionState::failed || state_ == TransactionState::aborted)
    throw_transaction_aborted(operation);
}

void Connection::require_open(std::string_view operation) const {
  if (state_ == TransactionState::idle)
    throw_error(ErrorKind::invalid_usage, fmt::format("{}: no transaction is open", operation),
                std::string(backend_name()));
}

void Connection::throw_transaction_aborted(std::string_view operation) const {
  ErrorInfo info;
  info.kind = ErrorKind::transaction_aborted;
  info.backend = std::string(backend_name());
  info.transaction_aborted = true;
  if (state_ == TransactionState::aborted) {
    info.message = fmt::format(
        "{}: the database ended the transaction ({}); nothing in it was "
        "committed: call rollback() before anything else",
        operation, abort_reason_);
  } else {
    info.message = fmt::format(
        "{}: the transaction failed earlier ({}); only rollback() or "
        "rollback_to() a savepoint is accepted",
        operation, abort_reason_);
  }
  throw_error(std::move(info));
}

void Connection::fail(const Error& error, bool committing, std::string_view sql) {
  ErrorInfo info = error.info();
  if (!sql.empty() && info.sql.empty()) info.sql = sql;
  info.transaction_aborted = false;
  info.commit_outcome_unknown = false;
  if (state_ != TransactionState::idle) {
    if (committing && error.is_connection_error()) {
      // COMMIT was sent and its answer never came: the work may be durable, or not.
      state_ = TransactionState::idle;
      info.commit_outcome_unknown = true;
      throw_error(std::move(info));
    }
    // An error the database kept the transaction open after (SQLite's BUSY, a MariaDB unique
    // violation) changes nothing; otherwise the transaction failed or is gone.
    const DatabaseTransaction database = do_transaction_status();
    if (database != DatabaseTransaction::open) {
      if (state_ == TransactionState::active) abort_reason_ = error.what();
      if (committing && database == DatabaseTransaction::none) {
        // The failed COMMIT ended the transaction: it is over, and nothing was committed.
        state_ = TransactionState::idle;
      } else {
        state_ = database == DatabaseTransaction::failed ? TransactionState::failed
                                                         : TransactionState::aborted;
      }
      info.transaction_aborted = true;
    }
  }
  throw_error(std::move(info));
}

void Connection::rethrow_for_current_state(const Error& error) const {
  ErrorInfo info = error.info();
  info.transaction_aborted =
      state_ == TransactionState::failed || state_ == TransactionState::aborted;
  if (info.transaction_aborted) info.commit_outcome_unknown = false;
  throw_error(std::move(info));
}

void Connection::begin(AccessMode mode) {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "begin"),
                      [&] { begin_untraced(mode); });
  begin_untraced(mode);
}

void Connection::begin_untraced(AccessMode mode) {
  if (state_ != TransactionState::idle)
    throw_error(ErrorKind::invalid_usage,
                "begin(): a transaction is already open; nest with savepoint() or "
                "anydb::Transaction",
                std::string(backend_name()));
  try {
    do_begin(mode);
  } catch (const Error& error) {
    fail(error, false);
  }
  state_ = TransactionState::active;
  access_mode_ = mode;
  abort_reason_.clear();
  savepoint_counter_ = 0;  // no savepoint outlives its transaction: the names start again
}

void Connection::commit() {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "commit"),
                      [&] { commit_untraced(); });
  commit_untraced();
}

void Connection::commit_untraced() {
  require_open("commit()");
  if (state_ != TransactionState::active) {
    const std::string reason = abort_reason_;
    const bool ended_by_database = state_ == TransactionState::aborted;
    end_aborted_transaction();
    ErrorInfo info;
    info.kind = ErrorKind::transaction_aborted;
    info.backend = std::string(backend_name());
    info.transaction_aborted = true;
    info.message = ended_by_database ? fmt::format(
                                           "commit(): the database rolled the transaction back "
                                           "({}); nothing was committed",
                                           reason)
                                     : fmt::format(
                                           "commit(): the transaction had failed ({}), so it was "
                                           "rolled back; nothing was committed",
                                           reason);
    throw_error(std::move(info));
  }
  try {
    do_commit();
  } catch (const Error& error) {
    fail(error, true);
  }
  state_ = TransactionState::idle;
}

void Connection::end_aborted_transaction() {
  // The database may still hold the remains (PostgreSQL's failed transaction, an ODBC driver's
  // manual-commit mode): end them without reporting, the error that caused this was reported.
  if (do_transaction_status() != DatabaseTransaction::none) {
    try {
      do_rollback();
    } catch (const Error& error) {
      report_cleanup_error(
          fmt::format("rollback of an aborted transaction failed: {}", error.what()));
    }
  }
  state_ = TransactionState::idle;
}

void Connection::rollback() {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "rollback"),
                      [&] { rollback_untraced(); });
  rollback_untraced();
}

void Connection::rollback_untraced() {
  require_open("rollback()");
  if (state_ == TransactionState::aborted) {
    end_aborted_transaction();
    return;
  }
  try {
    do_rollback();
  } catch (const Error& error) {
    // Only a transaction the database no longer has counts as over: ending it here otherwise
    // would let the next statement run in whatever the database still holds open.
    if (error.is_connection_error() || do_transaction_status() == DatabaseTransaction::none)
      state_ = TransactionState::idle;
    throw;
  }
  state_ = TransactionState::idle;
}

void Connection::savepoint(std::string_view name) {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "savepoint", name),
                      [&] { savepoint_untraced(name); });
  savepoint_untraced(name);
}

void Connection::savepoint_untraced(std::string_view name) {
  (void)dialect().quote_identifier(name);  // validates: throws InvalidArgument for a bad name
  require_open("savepoint()");
  require_usable("savepoint()");
  try {
    do_savepoint(name);
  } catch (const Error& error) {
    fail(error, false);
  }
}

void Connection::release(std::string_view name) {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "release", name),
                      [&] { release_untraced(name); });
  release_untraced(name);
}

void Connection::release_untraced(std::string_view name) {
  (void)dialect().quote_identifier(name);  // validates: throws InvalidArgument for a bad name
  require_open("release()");
  require_usable("release()");
  try {
    do_release(name);
  } catch (const Error& error) {
    fail(error, false);
  }
  // The newest generated name is free again once released, so that a loop of nested guards
  // (a savepoint per key) reuses one name, and a backend can keep its statements prepared.
  if (savepoint_counter_ > 0 && is_savepoint_name(name, savepoint_counter_)) --savepoint_counter_;
}

void Connection::rollback_to(std::string_view name) {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "rollback_to", name),
                      [&] { rollback_to_untraced(name); });
  rollback_to_untraced(name);
}

void Connection::rollback_to_untraced(std::string_view name) {
  (void)dialect().quote_identifier(name);  // validates: throws InvalidArgument for a bad name
  require_open("rollback_to()");
  if (state_ == TransactionState::aborted) throw_transaction_aborted("rollback_to()");
  try {
    do_rollback_to(name);
  } catch (const Error& error) {
    fail(error, false);
  }
  state_ = TransactionState::active;
}

void Connection::set_isolation_level(IsolationLevel level) {
  if (state_ != TransactionState::idle)
    throw_error(ErrorKind::invalid_usage, "the isolation level cannot change inside a transaction",
                std::string(backend_name()));
  do_set_isolation_level(level);
}

void Connection::do_set_isolation_level(IsolationLevel level) {
  throw_error(ErrorKind::unsupported,
              fmt::format("this backend cannot set the isolation level ({})", to_string(level)),
              std::string(backend_name()));
}

void Connection::execute_script(std::string_view sql) {
  if (trace_hook_) [[unlikely]]
    return run_traced(trace_hook_, trace_event(backend_name(), "script", sql),
                      [&] { execute_script_untraced(sql); });
  execute_script_untraced(sql);
}

void Connection::execute_script_untraced(std::string_view sql) {
  require_usable("execute_script()");
  try {
    do_execute_script(sql);
  } catch (const Error& error) {
    fail(error, false, sql);
  }
  // A script may run BEGIN, COMMIT or ROLLBACK itself: follow what the database did.
  const DatabaseTransaction database = do_transaction_status();
  if (state_ == TransactionState::idle &&
      (database == DatabaseTransaction::open || database == DatabaseTransaction::failed)) {
    state_ = TransactionState::active;
    access_mode_ = AccessMode::read_write;  // whatever the script began, anydb cannot tell
    abort_reason_.clear();
  } else if (state_ == TransactionState::active && database == DatabaseTransaction::none) {
    state_ = TransactionState::idle;
  }
}

// ---------------------------------------------------------------------------------------------
// Statements and their cache

Result Connection::run_statement(Statement& statement, std::span<const Value> params) {
  if (trace_hook_) [[unlikely]] {
    TraceEvent event = trace_event(backend_name(), "execute", statement.sql_, params);
    return run_traced(trace_hook_, event,
                      [&] { return run_statement_untraced(statement, params); });
  }
  return run_statement_untraced(statement, params);
}

Result Connection::run_statement_untraced(Statement& statement, std::span<const Value> params) {
  require_usable("execute()");
  try {
    return statement.do_execute(params);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::schema_changed) statement.stale_ = true;
    fail(error, false, statement.sql_);
  }
}

Result Connection::execute(std::string_view sql, std::span<const Value> params) {
  // The one test tracing costs when it is off. Traced here rather than in run_statement, so
  // that a statement the database refuses to prepare is reported too.
  if (trace_hook_) [[unlikely]] {
    TraceEvent event = trace_event(backend_name(), "execute", sql, params);
    return run_traced(trace_hook_, event, [&] { return execute_untraced(sql, params, &event); });
  }
  return execute_untraced(sql, params, nullptr);
}

Result Connection::execute_untraced(std::string_view sql, std::span<const Value> params,
                                    TraceEvent* event) {
  const auto run_once = [&] {
    // The caller's text until a statement exists: a retry's prepare() frees the stale one's.
    if (event != nullptr) event->sql = sql;
    Statement& statement = prepare(sql);
    if (event != nullptr) event->sql = statement.sql_;  // as sent: placeholders rewritten
    return run_statement_untraced(statement, params);
  };
  const bool autocommit = state_ == TransactionState::idle;
  try {
    return run_once();
  } catch (const SchemaChanged&) {
    // Outside a transaction nothing was lost: the statement is prepared again (prepare() drops
    // the stale one) and run once more. Inside one the database may have aborted the
    // transaction, so the transient error goes to the retry loop that owns it.
    if (!autocommit) throw;
  }
  return run_once();
}

Statement& Connection::prepare(std::string_view sql) {
  require_usable("prepare()");
  // The statement run last, again (a loop of get-or-creates that hit): one comparison of the
  // text instead of hashing it.
  if (!cache_lru_.empty() && cache_lru_.front().sql == sql &&
      !cache_lru_.front().statement->stale_) {
    ++cache_stats_.hits;
    return *cache_lru_.front().statement;
  }
  if (const auto found = cache_index_.find(sql); found != cache_index_.end()) {
    if (!found->second->statement->stale_) {
      ++cache_stats_.hits;
      cache_lru_.splice(cache_lru_.begin(), cache_lru_, found->second);
      return *found->second->statement;
    }
    const auto entry = found->second;
    cache_index_.erase(found);
    cache_lru_.erase(entry);
    ++cache_stats_.evictions;
  }
  ++cache_stats_.misses;
  // Only dialects whose placeholders differ from the portable `?` pay for a scan, and only here,
  // on a miss: a hit is looked up by the text as written.
  std::string native_sql;
  if (dialect().placeholders != Dialect::Placeholders::question_mark) {
    native_sql = to_native_placeholders(sql, dialect().placeholders);
    if (native_sql == sql) native_sql.clear();
  }
  const std::string_view prepared_sql = native_sql.empty() ? sql : std::string_view(native_sql);
  std::unique_ptr<Statement> statement;
  try {
    statement = do_prepare(prepared_sql);
  } catch (const Error& error) {
    fail(error, false, prepared_sql);
  }
  if (!statement) throw_error(ErrorKind::database_error, "the backend prepared no statement");
  statement->owner_ = this;
  if (cache_capacity_ == 0) {
    // Caching disabled: keep exactly one statement alive so the returned reference is valid
    // until the next prepare().
    close_statements();
  }
  evict_if_full();
  cache_lru_.push_front(
      CachedStatement{std::string(sql), std::move(native_sql), std::move(statement)});
  CachedStatement& entry = cache_lru_.front();
  cache_index_.emplace(entry.sql, cache_lru_.begin());
  // Pointed at only now: moving a short string into the list node moved its characters.
  entry.statement->sql_ = entry.native_sql.empty() ? entry.sql : entry.native_sql;
  return *entry.statement;
}

void Connection::evict_if_full() {
  while (!cache_lru_.empty() && cache_lru_.size() >= std::max<std::size_t>(cache_capacity_, 1)) {
    cache_index_.erase(cache_lru_.back().sql);
    cache_lru_.pop_back();
    ++cache_stats_.evictions;
  }
}

void Connection::set_statement_cache_capacity(std::size_t capacity) {
  cache_capacity_ = capacity;
  while (cache_lru_.size() > capacity) {
    cache_index_.erase(cache_lru_.back().sql);
    cache_lru_.pop_back();
    ++cache_stats_.evictions;
  }
}

void Connection::close_statements() noexcept {
  cache_index_.clear();
  cache_lru_.clear();
}

std::string Connection::next_savepoint_name() { return savepoint_name(++savepoint_counter_); }

void Connection::set_cleanup_error_handler(CleanupErrorHandler handler) {
  cleanup_error_handler_ = std::move(handler);
}

void Connection::report_cleanup_error(std::string_view what) const noexcept {
  try {
    if (cleanup_error_handler_) {
      cleanup_error_handler_(what);
      return;
    }
  } catch (...) {
    // A throwing handler must not turn a destructor into std::terminate; fall through to stderr.
  }
  std::fprintf(stderr, "anydb: %.*s\n", static_cast<int>(what.size()), what.data());
}

void Connection::set_notice_handler(NoticeHandler handler) { notice_handler_ = std::move(handler); }

void Connection::deliver_notice(const Notice& notice) const noexcept {
  if (!notice_handler_) return;
  try {
    notice_handler_(notice);
  } catch (const std::exception& failure) {
    report_cleanup_error(fmt::format("the notice handler threw: {}", failure.what()));
  } catch (...) {
    report_cleanup_error("the notice handler threw");
  }
}

}  // namespace anydb
