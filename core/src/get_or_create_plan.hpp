#pragma once

// What GetOrCreate compiles, and the get-or-create of one key that operator() and many() share.
// Private to libanydb. Where each part lives:
//   get_or_create.cpp         the plan (statements built from the spec), names of enums,
//   get_or_create() get_or_create_single.cpp  operator(): the strategies safe, upsert and naive,
//   and attempt_key() batch.cpp                 many(): checks, the batch's transaction and its
//   retries, the results batch_steps.cpp           many()'s statements: SELECT and INSERT of many
//   keys, missing keys one by one batch_sql.cpp             the texts of the batch statements
//   key_match.cpp             distinct keys, their order, and which returned row is which key's

#include "batch_sql.hpp"

#include <anydb/connection.hpp>
#include <anydb/get_or_create.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace anydb::detail {

// Built once by GetOrCreate's constructor and shared, immutable (apart from the guarded cache of
// batch statements), by every copy of it.
struct GetOrCreatePlan {
  // Throws as GetOrCreate's constructor does.
  GetOrCreatePlan(const Dialect& dialect, GetOrCreateSpec spec);

  GetOrCreateSpec spec;
  Dialect dialect;
  bool returning = false;  // the inserts end in RETURNING *
  std::string select_sql;
  std::string insert_sql;         // the insert of spec.strategy
  std::string safe_insert_sql;    // the plain INSERT
  std::string upsert_insert_sql;  // the ON CONFLICT DO NOTHING form, empty without upsert
  BatchStatements batch;
};

// The row stored under `key`, if this connection can see one.
[[nodiscard]] std::optional<Row> select_row(Connection& connection, const GetOrCreatePlan& plan,
                                            std::span<const Value> key);
// The same, moved into `into` (untouched when there is none); false when there is none.
[[nodiscard]] bool select_into(Connection& connection, const GetOrCreatePlan& plan,
                               std::span<const Value> key, Row& into);
// Runs the insert `sql`; returns the row when it was created, nothing when an ON CONFLICT DO
// NOTHING skipped it.
[[nodiscard]] std::optional<Row> insert_row(Connection& connection, const GetOrCreatePlan& plan,
                                            const std::string& sql, std::span<const Value> key,
                                            std::span<const Value> defaults);

// What attempt_key() inserts when the key is missing.
enum class InsertStep {
  none,         // nothing: the key's row was inserted (or skipped) before; only look
  guarded,      // the plain INSERT in a Transaction of its own (a savepoint inside a transaction);
                // a unique violation on the key is rolled back
  do_nothing,   // INSERT ... ON CONFLICT DO NOTHING, which cannot fail on the key
  unsupported,  // none is possible here: anydb::Unsupported (KeyAttempt::why), once a key is
                // missing
};

struct KeyAttempt {
  bool select_first = true;  // false: begin with the insert (Strategy::upsert)
  InsertStep insert = InsertStep::guarded;
  std::string_view why;  // for InsertStep::unsupported
};

struct KeyOutcome {
  // Which step gave the row: none when the key is missing or its row cannot be seen.
  enum class Source { none, first_select, insert, second_select };
  Source source = Source::none;
  std::optional<Row> row;
  bool violation = false;  // the insert met a unique violation on the key and rolled it back
};

// The one get-or-create attempt for a key, for every path that resolves keys one at a time:
// SELECT; on a miss INSERT as `how` says; when that created nothing, SELECT again. Runs in
// whatever transaction is open and retries nothing. Throws what the database throws, except a
// unique violation on the key in a guarded insert.
[[nodiscard]] KeyOutcome attempt_key(Connection& connection, const GetOrCreatePlan& plan,
                                     const KeyAttempt& how, std::span<const Value> key,
                                     std::span<const Value> defaults);

// Throws anydb::UsageError when `connection` is in a transaction begun AccessMode::read_only:
// get-or-create may write, and a write in such a transaction fails at random (SQLite's
// DEFERRED transaction cannot always upgrade its lock: SQLITE_BUSY at once, whatever the busy
// timeout) or always (PostgreSQL's READ ONLY). Refused before any statement, hit or miss, so
// that the mistake shows on the first call rather than under contention.
void require_read_write(const Connection& connection, const GetOrCreatePlan& plan);

// Throws anydb::SerializationFailure: the row exists, the snapshot cannot see it, and only a
// retry of the whole transaction can help.
[[noreturn]] void throw_row_invisible(const GetOrCreatePlan& plan, std::string_view backend,
                                      std::string_view why);

}  // namespace anydb::detail
