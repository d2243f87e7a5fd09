// The raw SQLite driver: what a careful hand-written program does with sqlite3.h. Every
// statement is prepared once per connection on first use (sqlite3_prepare_v3, PERSISTENT),
// rows are read into a small struct, and the connection is set up as anydb's backend sets it
// up (WAL, synchronous=NORMAL, busy timeout 5 s with the same short waits, foreign keys, extended
// result codes).

#include "bench.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace anydb::bench {

namespace {

// The busy handler of the SQLite backend (backends/sqlite/connection.cpp), for the same waits:
// 20 microseconds doubling up to 2 ms, 5 s in all.
int wait_while_busy(void*, int count) {
  using std::chrono::microseconds;
  constexpr microseconds timeout{5'000'000};
  microseconds waited{0};
  microseconds next{20};
  for (int i = 0; i < count && waited < timeout; ++i) {
    waited += next;
    next = std::min(next * 2, microseconds{2000});
  }
  if (waited >= timeout) return 0;
  std::this_thread::sleep_for(std::min(next, timeout - waited));
  return 1;
}

}  // namespace

void backoff(int retry) {
  thread_local std::minstd_rand generator{std::random_device{}()};
  std::int64_t ceiling = 500;
  for (int i = 1; i < retry && ceiling < 50'000; ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, 50'000);
  std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
  std::this_thread::sleep_for(std::chrono::microseconds(pick(generator)));
}

namespace {

const sqlite3_destructor_type transient =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

struct Transient {};  // SQLITE_BUSY and friends: roll back, back off, run the unit again

struct Row {
  std::int64_t id = 0;
  std::int64_t k = 0;
  std::string name;
};

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  [[nodiscard]] sqlite3_stmt* get() const noexcept { return stmt_; }
  [[nodiscard]] explicit operator bool() const noexcept { return stmt_ != nullptr; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

[[noreturn]] void fail(sqlite3* db, int rc) {
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) throw Transient{};
  throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
}

class RawSqliteSession final : public Session {
 public:
  RawSqliteSession(const std::string& path, const Statements& statements)
      : statements_(statements) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_handler(db_, &wait_while_busy, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
    sqlite3_exec(db_, "PRAGMA journal_mode=wal", nullptr, nullptr, nullptr);
    sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    sqlite3_exec(db_, "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
  }
  ~RawSqliteSession() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  bool safe(std::int64_t key, const std::string& name) override {
    for (int attempt = 1;; ++attempt) {
      try {
        Row row;
        if (select_one(key, row)) return false;
        step_done(statement(statements_.begin));
        sqlite3_stmt* insert = statement(statements_.insert);
        sqlite3_bind_int64(insert, 1, key);
        sqlite3_bind_text(insert, 2, name.data(), static_cast<int>(name.size()), transient);
        const int rc = sqlite3_step(insert);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
          // With RETURNING the row comes back; a plain INSERT (what anydb sends on SQLite) is
          // completed from what was bound and sqlite3_last_insert_rowid().
          row = rc == SQLITE_ROW ? read(insert) : Row{sqlite3_last_insert_rowid(db_), key, name};
          // Only a statement that returned a row may be stepped on: one that is done would
          // start over.
          for (int more = rc; more == SQLITE_ROW;) more = sqlite3_step(insert);
          sqlite3_reset(insert);
          step_done(statement("COMMIT"));
          return true;
        }
        sqlite3_reset(insert);
        if (rc == SQLITE_CONSTRAINT_UNIQUE) {
          step_done(statement("ROLLBACK"));
          if (select_one(key, row)) return false;
          throw std::runtime_error("row invisible after a unique violation");
        }
        fail(db_, rc);
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  bool upsert(std::int64_t key, const std::string& name) override {
    for (int attempt = 1;; ++attempt) {
      try {
        sqlite3_stmt* insert = statement(statements_.upsert);
        sqlite3_bind_int64(insert, 1, key);
        sqlite3_bind_text(insert, 2, name.data(), static_cast<int>(name.size()), transient);
        int rc = sqlite3_step(insert);
        Row row;
        const bool returned = rc == SQLITE_ROW;
        if (returned) row = read(insert);
        while (rc == SQLITE_ROW) rc = sqlite3_step(insert);
        sqlite3_reset(insert);
        if (rc != SQLITE_DONE) fail(db_, rc);
        // A plain INSERT ... DO NOTHING (no RETURNING): sqlite3_changes() says whether it
        // inserted, sqlite3_last_insert_rowid() which row.
        const bool created = returned || sqlite3_changes(db_) > 0;
        if (created && !returned) row = Row{sqlite3_last_insert_rowid(db_), key, name};
        if (created) return true;
        if (select_one(key, row)) return false;
        throw std::runtime_error("row invisible after an upsert conflict");
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  std::size_t batched(std::span<const std::int64_t> keys, const std::string& name) override {
    // First look, in autocommit.
    std::vector<char> found(keys.size(), 0);
    std::unordered_map<std::int64_t, std::size_t> index;
    index.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i], i);
    std::vector<std::int64_t> all(keys.begin(), keys.end());
    for (;;) {
      try {
        select_many(all, index, found);
        break;
      } catch (const Transient&) {
        backoff(1);
      }
    }
    std::vector<std::int64_t> missing;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!found[i]) missing.push_back(keys[i]);
    if (missing.empty()) return 0;
    std::sort(missing.begin(), missing.end());

    for (int attempt = 1;; ++attempt) {
      try {
        std::vector<char> seen(keys.size(), 0);
        step_done(statement(statements_.begin));
        std::size_t created = 0;
        std::vector<std::int64_t> chunk;
        for (std::size_t begin = 0; begin < missing.size(); begin += statements_.insert_rows) {
          const std::size_t count = std::min(statements_.insert_rows, missing.size() - begin);
          const std::size_t rows = statements_.round_rows(count, statements_.insert_rows);
          sqlite3_stmt* insert = batch_statement(batch_inserts_, rows, statements_.batch_insert);
          for (std::size_t r = 0; r < rows; ++r) {
            const std::int64_t key = missing[begin + std::min(r, count - 1)];
            sqlite3_bind_int64(insert, static_cast<int>(2 * r + 1), key);
            sqlite3_bind_text(insert, static_cast<int>(2 * r + 2), name.data(),
                              static_cast<int>(name.size()), transient);
          }
          int rc;
          while ((rc = sqlite3_step(insert)) == SQLITE_ROW) {
            const Row row = read(insert);
            seen[index.at(row.k)] = 1;
            ++created;
          }
          sqlite3_reset(insert);
          if (rc != SQLITE_DONE) fail(db_, rc);
        }
        std::vector<std::int64_t> rest;
        for (const std::int64_t key : missing)
          if (!seen[index.at(key)]) rest.push_back(key);
        if (!rest.empty()) {
          std::vector<char> later(keys.size(), 0);
          select_many(rest, index, later);
          for (const std::int64_t key : rest)
            if (!later[index.at(key)]) throw std::runtime_error("batch: row invisible");
        }
        step_done(statement("COMMIT"));
        return created;
      } catch (const Transient&) {
        recover(attempt);
      }
    }
  }

  [[nodiscard]] std::uint64_t retries() const override { return retries_; }

 private:
  sqlite3_stmt* statement(const std::string& sql) {
    auto found = cache_.find(sql);
    if (found == cache_.end()) found = cache_.emplace(sql, Statement(db_, sql)).first;
    return found->second.get();
  }
  sqlite3_stmt* batch_statement(std::map<std::size_t, sqlite3_stmt*>& cache, std::size_t rows,
                                const std::function<std::string(std::size_t)>& text) {
    auto found = cache.find(rows);
    if (found != cache.end()) return found->second;
    sqlite3_stmt* stmt = statement(text(rows));
    cache.emplace(rows, stmt);
    return stmt;
  }

  void step_done(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) fail(db_, rc);
  }

  static Row read(sqlite3_stmt* stmt) {
    Row row;
    row.id = sqlite3_column_int64(stmt, 0);
    row.k = sqlite3_column_int64(stmt, 1);
    if (const unsigned char* text = sqlite3_column_text(stmt, 2))
      row.name.assign(reinterpret_cast<const char*>(text),
                      static_cast<std::size_t>(sqlite3_column_bytes(stmt, 2)));
    return row;
  }

  bool select_one(std::int64_t key, Row& row) {
    sqlite3_stmt* select = statement(statements_.select);
    sqlite3_bind_int64(select, 1, key);
    int rc = sqlite3_step(select);
    const bool found = rc == SQLITE_ROW;
    if (found) row = read(select);
    while (rc == SQLITE_ROW) rc = sqlite3_step(select);
    sqlite3_reset(select);
    if (rc != SQLITE_DONE) fail(db_, rc);
    return found;
  }

  void select_many(const std::vector<std::int64_t>& keys,
                   const std::unordered_map<std::int64_t, std::size_t>& index,
                   std::vector<char>& found) {
    for (std::size_t begin = 0; begin < keys.size(); begin += statements_.select_rows) {
      const std::size_t count = std::min(statements_.select_rows, keys.size() - begin);
      const std::size_t rows = statements_.round_rows(count, statements_.select_rows);
      sqlite3_stmt* select = batch_statement(batch_selects_, rows, statements_.batch_select);
      for (std::size_t r = 0; r < rows; ++r)
        sqlite3_bind_int64(select, static_cast<int>(r + 1), keys[begin + std::min(r, count - 1)]);
      int rc;
      while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        const Row row = read(select);
        found[index.at(row.k)] = 1;
      }
      sqlite3_reset(select);
      if (rc != SQLITE_DONE) fail(db_, rc);
    }
  }

  void recover(int attempt) {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (attempt >= 12) throw std::runtime_error("sqlite: busy for 12 attempts");
    ++retries_;
    backoff(attempt);
  }

  sqlite3* db_ = nullptr;
  const Statements& statements_;
  std::unordered_map<std::string, Statement> cache_;
  std::map<std::size_t, sqlite3_stmt*> batch_selects_, batch_inserts_;
  std::uint64_t retries_ = 0;
};

class RawSqliteDriver final : public Driver {
 public:
  RawSqliteDriver(std::string path, const Statements& statements)
      : path_(std::move(path)), statements_(statements) {}
  [[nodiscard]] std::string name() const override { return "raw sqlite3"; }
  [[nodiscard]] std::unique_ptr<Session> open() override {
    return std::make_unique<RawSqliteSession>(path_, statements_);
  }

 private:
  std::string path_;
  const Statements& statements_;
};

}  // namespace

std::unique_ptr<Driver> make_raw_sqlite(std::string path, const Statements& statements) {
  return std::make_unique<RawSqliteDriver>(std::move(path), statements);
}

}  // namespace anydb::bench
