#pragma once

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>
#include <anydb/export.hpp>
#include <anydb/retry.hpp>
#include <anydb/value.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anydb {

enum class Strategy {
  // Django's: SELECT; on a miss INSERT inside a savepoint (or a transaction of anydb's own);
  // on a unique violation roll back to it and SELECT again.
  safe,
  // INSERT ... ON CONFLICT (key) DO NOTHING RETURNING *, then SELECT only when nothing came
  // back: one round trip on a miss. Needs Dialect::upsert.
  upsert,
  // SELECT, then INSERT with no protection: reproduces the race (a UniqueViolation reaches
  // the caller). For demonstrations and tests only.
  naive,
};

[[nodiscard]] ANYDB_API std::string_view to_string(Strategy strategy) noexcept;
// Throws anydb::InvalidArgument naming the accepted values.
[[nodiscard]] ANYDB_API Strategy parse_strategy(std::string_view text);

// The shape of a get-or-create: which table, which columns identify the row (they must carry a
// unique constraint together), which columns get values only when the row is created.
struct GetOrCreateSpec {
  std::string table;
  std::vector<std::string> key_columns;
  std::vector<std::string> default_columns;
  Strategy strategy = Strategy::safe;
  RetryPolicy retry;
};

struct GetOrCreateResult {
  Row row;                    // the row as stored (every column)
  bool created = false;       // this call inserted it
  int attempts = 1;           // passes through the algorithm, 1 when nothing went wrong
  int conflicts = 0;          // unique violations handled by rolling back to the savepoint
  int transient_retries = 0;  // attempts that followed a transient error or an invisible row
};

// How GetOrCreate::many() resolves a batch of keys.
enum class BatchMethod {
  // multi_row when the dialect has INSERT ... ON CONFLICT DO NOTHING and RETURNING, per_key
  // otherwise.
  automatic,
  // A few statements for the whole batch:
  //   SELECT * FROM t WHERE k IN (...)                                  (every key)
  //   INSERT INTO t (...) VALUES (...), (...) ON CONFLICT (k) DO NOTHING RETURNING *  (the misses)
  //   SELECT * FROM t WHERE k IN (...)                                  (misses not inserted)
  // Needs Dialect::upsert and Dialect::supports_returning (anydb::Unsupported otherwise).
  multi_row,
  // Portable: the same first SELECT, then, in one transaction, each missing key on its own:
  // SELECT, INSERT in a savepoint, on a unique violation roll back to it and SELECT again.
  // Needs savepoints or, failing those, Dialect::upsert.
  per_key,
};

[[nodiscard]] ANYDB_API std::string_view to_string(BatchMethod method) noexcept;

struct BatchOptions {
  BatchMethod method = BatchMethod::automatic;
  // The most parameters bound to one statement. A batch whose statements would need more is
  // split into several statements, still inside the one transaction. The default stays below
  // every limit met so far: SQLite allows 32766 (999 before 3.32), PostgreSQL 65535, but libpq
  // (up to at least 15) loses sync describing a statement of more than 7498 parameters; SQL
  // Server allows 2100. Past a few hundred keys per statement larger batches gain little.
  std::size_t max_parameters = 4096;
};

// The outcome of GetOrCreate::many().
struct GetOrCreateBatchResult {
  // One entry per key given, in the order given. Duplicate keys (equal Values) share the row:
  // the first occurrence is the one reported created. In each entry, `attempts` and
  // `transient_retries` are the batch's, `conflicts` is 1 for a key that another writer
  // created between the batch's first SELECT and its INSERT.
  std::vector<GetOrCreateResult> keys;
  std::size_t created = 0;    // entries with created == true
  std::size_t existing = 0;   // entries with created == false
  int attempts = 1;           // runs of the batch's transaction
  int conflicts = 0;          // keys that lost a race to another writer (see above)
  int transient_retries = 0;  // runs that followed a transient error or an invisible row
};

namespace detail {
struct GetOrCreatePlan;
}  // namespace detail

// A get-or-create compiled for one dialect: identifiers validated and quoted, statements built
// once. Immutable after construction, so one instance may serve many threads, each calling it
// with its own connection (of the backend whose dialect built it).
//
// Transactions: when the connection has no open transaction, anydb owns the attempt — it
// inserts in a transaction of its own and retries transient errors within spec.retry,
// including the case where the row that made the insert fail cannot be found afterwards. When
// the caller has a transaction open, the insert runs in a savepoint, the caller's transaction
// stays usable after a handled unique violation, nothing is retried, and a row that the
// caller's snapshot cannot see is reported as anydb::SerializationFailure (retry the whole
// transaction, e.g. with run_transaction) — never as a bogus "not found" and never as a
// duplicate.
class ANYDB_API GetOrCreate {
 public:
  // Throws anydb::InvalidArgument for bad identifiers or an empty key, anydb::Unsupported when
  // the strategy needs what the dialect lacks.
  GetOrCreate(const Dialect& dialect, GetOrCreateSpec spec);

  // `key` and `defaults` match spec.key_columns and spec.default_columns in order. Key values
  // must not be NULL (a unique constraint never matches NULL).
  [[nodiscard]] GetOrCreateResult operator()(Connection& connection, std::span<const Value> key,
                                             std::span<const Value> defaults = {}) const;
  // The same, filling `result` (every field is overwritten) instead of returning a new one: for
  // a loop of get-or-creates that keeps one GetOrCreateResult. The storage of result.row's values
  // is reused for the next row (anydb::recycle), which spares the two heap allocations a hit's
  // row costs otherwise, about a fifth of what anydb adds to a hit in client instructions
  // (docs/benchmarks.md). Use it where a hot loop resolves one key at a time; the returning
  // form is simpler everywhere else. When it throws, what `result` holds is unspecified (but
  // valid: assign it or call this again).
  void operator()(Connection& connection, std::span<const Value> key,
                  std::span<const Value> defaults, GetOrCreateResult& result) const;

  // Batched get-or-create: many keys in a few statements and one transaction.
  //
  // `keys` holds the key values of n keys back to back (spec.key_columns.size() values each);
  // `defaults` holds n times spec.default_columns.size() values the same way, or is empty when
  // there are no default columns. The per-key contract is the one of operator(): every key is
  // reported created or existing truthfully, exactly one caller creates each row however many
  // batch and single-key callers race for it, and defaults are stored only on creation.
  //
  // Transactions: with no transaction open, the first SELECT runs on its own (a batch of hits
  // never writes or takes a write lock), then the misses are resolved in one transaction that
  // anydb owns and re-runs whole, within spec.retry, after a transient error; the results are
  // returned only after COMMIT. Inside a caller's transaction everything runs in it and nothing
  // is retried: a row the caller's snapshot cannot see raises anydb::SerializationFailure
  // (retry the whole transaction, e.g. with run_transaction).
  //
  // Statement texts depend on the number of keys, rounded up to one of a few sizes (1, 2, 3, 4,
  // 6, 8, 12, 16, 24, ...; the last key repeated as padding) so that the statement cache holds a
  // handful of statements, not one per batch size. Missing keys are inserted in a fixed order,
  // so that batches that overlap cannot deadlock each other.
  //
  // Throws anydb::InvalidArgument for bad shapes or NULL keys and for Strategy::naive (there is
  // no unprotected batch), anydb::Unsupported when `options.method` needs what the dialect
  // lacks, and whatever the database throws (a violation of another constraint fails the whole
  // batch). Thread-safety as for operator().
  [[nodiscard]] GetOrCreateBatchResult many(Connection& connection, std::span<const Value> keys,
                                            std::span<const Value> defaults = {},
                                            BatchOptions options = {}) const;
  // The same with one vector per key (and per key's defaults).
  [[nodiscard]] GetOrCreateBatchResult many(Connection& connection,
                                            std::span<const std::vector<Value>> keys,
                                            std::span<const std::vector<Value>> defaults = {},
                                            BatchOptions options = {}) const;

  [[nodiscard]] const GetOrCreateSpec& spec() const noexcept;
  [[nodiscard]] const std::string& select_sql() const noexcept;
  [[nodiscard]] const std::string& insert_sql() const noexcept;
  // The statements many() runs for `rows` keys (rows must be one of its sizes, see
  // batch_statement_rows): for logs, tests and benchmarks that must send the same SQL text.
  [[nodiscard]] const std::string& batch_select_sql(std::size_t rows) const;
  [[nodiscard]] const std::string& batch_insert_sql(std::size_t rows) const;
  // The statement size many() uses for `keys` keys when at most `max_rows` fit in a statement:
  // the smallest of 1, 2, 3, 4, 6, 8, 12, ... (powers of two and 1.5 times them) that holds
  // them, capped at max_rows.
  [[nodiscard]] static std::size_t batch_statement_rows(std::size_t keys,
                                                        std::size_t max_rows) noexcept;

 private:
  // The statements built from the spec (core/src/get_or_create_plan.hpp): immutable, shared by
  // copies.
  std::shared_ptr<const detail::GetOrCreatePlan> plan_;
};

// One-shot convenience: builds a GetOrCreate for this connection's dialect and runs it.
[[nodiscard]] ANYDB_API GetOrCreateResult
get_or_create(Connection& connection, std::string_view table,
              const std::vector<std::pair<std::string, Value>>& lookup,
              const std::vector<std::pair<std::string, Value>>& defaults = {},
              Strategy strategy = Strategy::safe, RetryPolicy retry = {});

}  // namespace anydb
