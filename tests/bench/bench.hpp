#pragma once

// anydb-bench: the same get-or-create workloads through anydb (the loaded plugin) and through
// hand-written code on the raw client library, issuing the same SQL text with the same
// transaction shape. Each implementation is a Driver that opens one Session per thread.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace anydb::bench {

// One connection, used by one thread. Every call is one get-or-create of the bench table
// (id, k UNIQUE, name) with `name` as the value stored on creation.
class Session {
 public:
  virtual ~Session() = default;
  // Strategy::safe, anydb owning the transaction: SELECT; on a miss BEGIN (IMMEDIATE) + INSERT
  // ... RETURNING + COMMIT; on a unique violation ROLLBACK and SELECT again. True when created.
  virtual bool safe(std::int64_t key, const std::string& name) = 0;
  // Strategy::upsert: INSERT ... ON CONFLICT DO NOTHING RETURNING * in autocommit, then SELECT
  // when nothing came back.
  virtual bool upsert(std::int64_t key, const std::string& name) = 0;
  // GetOrCreate::many() with BatchMethod::multi_row: SELECT ... IN (...) in autocommit; for the
  // misses BEGIN + multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING * + SELECT of the rest
  // + COMMIT. Returns how many keys it created. `keys` are distinct.
  virtual std::size_t batched(std::span<const std::int64_t> keys, const std::string& name) = 0;
  // Transactions re-run after a transient error (busy, deadlock, serialization failure).
  [[nodiscard]] virtual std::uint64_t retries() const = 0;
};

// The SQL both implementations send, taken from anydb's GetOrCreate so that the texts are
// identical byte for byte.
struct Statements {
  std::string select;           // SELECT * FROM "bench" WHERE "k" = ?
  std::string insert;           // INSERT INTO "bench" ("k", "name") VALUES (?, ?) [RETURNING *]
  std::string upsert;           // the same with ON CONFLICT ("k") DO NOTHING
  std::string begin;            // BEGIN IMMEDIATE (SQLite), BEGIN (PostgreSQL), START TRANSACTION
  std::size_t insert_rows = 0;  // most rows per batch INSERT (parameter limit)
  std::size_t select_rows = 0;  // most keys per batch SELECT
  // The batch statements for a given (rounded) number of rows.
  std::function<std::string(std::size_t rows)> batch_select;
  std::function<std::string(std::size_t rows)> batch_insert;
  // GetOrCreate::batch_statement_rows.
  std::function<std::size_t(std::size_t keys, std::size_t max_rows)> round_rows;
};

class Driver {
 public:
  virtual ~Driver() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual std::unique_ptr<Session> open() = 0;
};

// The raw drivers. `target` is a file name (SQLite) or a libpq connection string / URI.
std::unique_ptr<Driver> make_raw_sqlite(std::string path, const Statements& statements);
std::unique_ptr<Driver> make_raw_postgresql(std::string conninfo, const Statements& statements);
bool have_raw_postgresql();
// `uri` is a mariadb:// URI (user:password@host:port/database, optionally ?unix_socket=PATH).
// Implements safe() only: MariaDB's dialect has neither upsert nor RETURNING.
std::unique_ptr<Driver> make_raw_mariadb(const std::string& uri, const Statements& statements);

// SOCI 4 (libsoci-dev) on "sqlite" (a file name) or "postgresql" (a libpq connection string):
// safe() and upsert() only; `prepared`: statements prepared once per session, otherwise one per
// call as SOCI's documentation writes them. have_soci() is false when built without SOCI.
bool have_soci();
std::unique_ptr<Driver> make_soci(const std::string& backend, const std::string& target,
                                  bool prepared);

// A small full-jitter backoff shared by the raw drivers (anydb's RetryPolicy defaults).
void backoff(int retry);

}  // namespace anydb::bench
