#include <anydb/connection.hpp>
#include <anydb/error.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace anydb {

Statement::~Statement() = default;

Connection::Connection() = default;

Connection::~Connection() {
  // Normally empty already (backends call close_statements() first); this only catches a
  // backend that forgot, at the price of finalising statements after its handle is gone.
  close_statements();
}

Result Connection::execute(std::string_view sql, std::span<const Value> params) {
  return prepare(sql).execute(params);
}

Statement& Connection::prepare(std::string_view sql) {
  if (const auto found = cache_index_.find(sql); found != cache_index_.end()) {
    ++cache_stats_.hits;
    cache_lru_.splice(cache_lru_.begin(), cache_lru_, found->second);
    return *found->second->statement;
  }
  ++cache_stats_.misses;
  std::unique_ptr<Statement> statement = do_prepare(sql);
  if (!statement) throw_error(ErrorKind::database_error, "the backend prepared no statement");
  if (cache_capacity_ == 0) {
    // Caching disabled: keep exactly one statement alive so the returned reference is valid
    // until the next prepare().
    close_statements();
  }
  evict_if_full();
  cache_lru_.push_front(CachedStatement{std::string(sql), std::move(statement)});
  cache_index_.emplace(cache_lru_.front().sql, cache_lru_.begin());
  return *cache_lru_.front().statement;
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

void Connection::set_isolation_level(IsolationLevel level) {
  throw_error(ErrorKind::unsupported,
              fmt::format("this backend cannot set the isolation level ({})", to_string(level)),
              std::string(backend_name()));
}

std::string Connection::next_savepoint_name() {
  return fmt::format("anydb_sp_{}", ++savepoint_counter_);
}

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

}  // namespace anydb
