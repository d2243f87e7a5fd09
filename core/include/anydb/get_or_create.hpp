#pragma once

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>
#include <anydb/export.hpp>
#include <anydb/retry.hpp>
#include <anydb/value.hpp>

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

  [[nodiscard]] const GetOrCreateSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] const std::string& select_sql() const noexcept { return select_sql_; }
  [[nodiscard]] const std::string& insert_sql() const noexcept { return insert_sql_; }

private:
  GetOrCreateResult run_owned(Connection&, std::span<const Value>, std::span<const Value>) const;
  GetOrCreateResult run_in_callers_transaction(Connection&, std::span<const Value>,
                                               std::span<const Value>) const;
  GetOrCreateResult run_naive(Connection&, std::span<const Value>, std::span<const Value>) const;
  bool attempt_owned(Connection&, std::span<const Value>, std::span<const Value>,
                     GetOrCreateResult&) const;
  std::optional<Row> select(Connection&, std::span<const Value> key) const;
  std::optional<Row> insert(Connection&, std::span<const Value> key,
                            std::span<const Value> defaults) const;
  [[noreturn]] void throw_row_invisible(std::string_view backend, std::string_view why) const;

  GetOrCreateSpec spec_;
  bool returning_ = false;
  std::string select_sql_;
  std::string insert_sql_;  // the upsert statement for Strategy::upsert
};

// One-shot convenience: builds a GetOrCreate for this connection's dialect and runs it.
[[nodiscard]] ANYDB_API GetOrCreateResult
get_or_create(Connection& connection, std::string_view table,
              const std::vector<std::pair<std::string, Value>>& lookup,
              const std::vector<std::pair<std::string, Value>>& defaults = {},
              Strategy strategy = Strategy::safe, RetryPolicy retry = {});

}  // namespace anydb
