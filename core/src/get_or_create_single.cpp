// GetOrCreate::operator(): one key with the strategies safe, upsert and naive, and attempt_key(),
// the select -> insert -> select that many() also runs for keys it resolves one at a time.

#include "get_or_create_plan.hpp"

#include <anydb/error.hpp>
#include <anydb/transaction.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace anydb {

namespace detail {

namespace {

std::vector<Value> concatenate(std::span<const Value> first, std::span<const Value> second) {
  std::vector<Value> out;
  out.reserve(first.size() + second.size());
  out.insert(out.end(), first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

// Moves the first row of `result` into `into` (untouched when there is none); the row vector,
// emptied, goes back to recycle() for the next statement's result. False when there was none.
bool take_first_row(Result& result, Row& into) {
  const bool found = !result.rows.empty();
  if (found) into = std::move(result.rows.front());
  recycle(std::move(result.rows));
  return found;
}

std::optional<Row> first_row(Result& result) {
  std::optional<Row> row(std::in_place);
  if (!take_first_row(result, *row)) row.reset();
  return row;
}

// Column names as databases report them may differ in case from the names given (SQLite
// reports the declared spelling): compared without regard to ASCII case.
bool same_column(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A unique violation belongs to our race when it names no columns (the database only reports
// a constraint name) or when its columns cover every key column. Otherwise another unique
// constraint rejected the row, and that is the caller's error, not a race.
bool violation_is_on_key(const UniqueViolation& violation, const std::vector<std::string>& key) {
  const auto& columns = violation.columns();
  if (columns.empty()) return true;
  return std::all_of(key.begin(), key.end(), [&](const std::string& column) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const std::string& reported) { return same_column(reported, column); });
  });
}

// The plain INSERT in a Transaction of its own (a savepoint inside a transaction). A unique
// violation on the key is rolled back and reported by `violation`.
std::optional<Row> insert_guarded(Connection& connection, const GetOrCreatePlan& plan,
                                  std::span<const Value> key, std::span<const Value> defaults,
                                  bool& violation) {
  Transaction guard(connection, AccessMode::read_write);
  try {
    std::optional<Row> created = insert_row(connection, plan, plan.safe_insert_sql, key, defaults);
    guard.commit();
    return created;
  } catch (const UniqueViolation& error) {
    if (!violation_is_on_key(error, plan.spec.key_columns)) guard.rollback_and_rethrow(error);
    // A violation raised by COMMIT itself (a deferred constraint) has ended the transaction:
    // only a guard still active has anything to roll back.
    if (guard.active()) guard.rollback();
    violation = true;
    return std::nullopt;
  } catch (const Error& error) {
    // Rolled back to the savepoint, the caller's transaction goes on: the error must say so
    // (transaction_aborted() false), although the database said otherwise when it was raised.
    guard.rollback_and_rethrow(error);
  }
}

}  // namespace

std::optional<Row> select_row(Connection& connection, const GetOrCreatePlan& plan,
                              std::span<const Value> key) {
  Result result = connection.execute(plan.select_sql, key);
  return first_row(result);
}

bool select_into(Connection& connection, const GetOrCreatePlan& plan, std::span<const Value> key,
                 Row& into) {
  Result result = connection.execute(plan.select_sql, key);
  return take_first_row(result, into);
}

std::optional<Row> insert_row(Connection& connection, const GetOrCreatePlan& plan,
                              const std::string& sql, std::span<const Value> key,
                              std::span<const Value> defaults) {
  // Without defaults the key is the whole parameter list: no copy.
  Result result = defaults.empty() ? connection.execute(sql, key)
                                   : connection.execute(sql, concatenate(key, defaults));
  if (plan.returning) return first_row(result);
  if (result.rows_affected == 0) return std::nullopt;
  return select_row(connection, plan, key);
}

KeyOutcome attempt_key(Connection& connection, const GetOrCreatePlan& plan, const KeyAttempt& how,
                       std::span<const Value> key, std::span<const Value> defaults) {
  KeyOutcome outcome;
  if (how.select_first) {
    outcome.row = select_row(connection, plan, key);
    if (outcome.row) {
      outcome.source = KeyOutcome::Source::first_select;
      return outcome;
    }
  }
  switch (how.insert) {
    case InsertStep::none: return outcome;
    case InsertStep::unsupported:
      throw_error(ErrorKind::unsupported, std::string(how.why),
                  std::string(connection.backend_name()));
    case InsertStep::guarded:
      outcome.row = insert_guarded(connection, plan, key, defaults, outcome.violation);
      break;
    case InsertStep::do_nothing:
      outcome.row = insert_row(connection, plan, plan.upsert_insert_sql, key, defaults);
      break;
  }
  if (outcome.row) {
    outcome.source = KeyOutcome::Source::insert;
    return outcome;
  }
  // The insert lost to another writer: its row is there, if this snapshot can see it.
  outcome.row = select_row(connection, plan, key);
  if (outcome.row) outcome.source = KeyOutcome::Source::second_select;
  return outcome;
}

void require_read_write(const Connection& connection, const GetOrCreatePlan& plan) {
  if (!connection.in_transaction() || connection.transaction_access_mode() != AccessMode::read_only)
    return;
  throw_error(ErrorKind::invalid_usage,
              fmt::format("get-or-create on \"{}\" inside a transaction begun read_only: "
                          "get-or-create writes; begin the transaction read_write",
                          printable(plan.spec.table)),
              std::string(connection.backend_name()));
}

void throw_row_invisible(const GetOrCreatePlan& plan, std::string_view backend,
                         std::string_view why) {
  ErrorInfo info;
  info.kind = ErrorKind::serialization_failure;
  info.backend = std::string(backend);
  info.message = fmt::format(
      "get-or-create on \"{}\" lost a race: {}; retry the whole transaction "
      "(anydb::run_transaction "
      "does that)",
      printable(plan.spec.table), why);
  throw_error(std::move(info));
}

}  // namespace detail

namespace {

using detail::GetOrCreatePlan;

// The strategy's attempt. Strategy::upsert begins with its INSERT ... ON CONFLICT DO NOTHING:
// one statement on a miss. Outside a transaction it runs in autocommit, atomic on its own, and
// the follow-up SELECT runs in a fresh snapshot that sees the row that won the conflict.
detail::KeyAttempt single_key_attempt(Strategy strategy) {
  if (strategy == Strategy::upsert) return {false, detail::InsertStep::do_nothing, {}};
  return {true, detail::InsertStep::guarded, {}};
}

// Copies what the outcome of an attempt that found or made the row says into `result`.
void record(GetOrCreateResult& result, detail::KeyOutcome& outcome) {
  result.created = outcome.source == detail::KeyOutcome::Source::insert;
  result.row = std::move(*outcome.row);
}

// Makes `result` what a fresh GetOrCreateResult is, its row's value storage handed to recycle()
// so that the backend fills the next row into it.
void reset(GetOrCreateResult& result) noexcept {
  recycle(result.row.take_values());
  result.created = false;
  result.attempts = 1;
  result.conflicts = 0;
  result.transient_retries = 0;
}

// anydb owns the transaction: the guarded insert is a transaction of its own, and every attempt
// is retried within spec.retry after a transient error, and while the row that made the insert
// fail cannot be seen.
void run_owned(Connection& connection, const GetOrCreatePlan& plan, std::span<const Value> key,
               std::span<const Value> defaults, GetOrCreateResult& result) {
  detail::KeyAttempt how = single_key_attempt(plan.spec.strategy);
  // The first SELECT goes straight into the caller's row (hit_first), and attempt_key() goes on
  // from the insert: a hit, the common case, moves its row once instead of through an outcome.
  const bool hit_first = std::exchange(how.select_first, false);
  retry_transient(
      plan.spec.retry,
      [&](int attempt) {
        result.attempts = attempt;
        if (hit_first && detail::select_into(connection, plan, key, result.row)) return;
        detail::KeyOutcome outcome = attempt_key(connection, plan, how, key, defaults);
        result.conflicts += outcome.violation ? 1 : 0;
        // Thrown at every attempt so that the retry helper retries it; only the last one's
        // message reaches the caller.
        if (!outcome.row)
          throw_row_invisible(
              plan, connection.backend_name(),
              fmt::format("the conflicting row stayed invisible for {} attempts", attempt));
        record(result, outcome);
      },
      [&](int) { ++result.transient_retries; });
}

// The caller's transaction: the insert runs in a savepoint, which keeps the transaction usable
// after a handled violation (on PostgreSQL any error would otherwise abort the whole
// transaction), and nothing is retried.
void run_in_callers_transaction(Connection& connection, const GetOrCreatePlan& plan,
                                std::span<const Value> key, std::span<const Value> defaults,
                                GetOrCreateResult& result) {
  detail::KeyAttempt how = single_key_attempt(plan.spec.strategy);
  if (how.insert == detail::InsertStep::guarded && !connection.dialect().supports_savepoints)
    how = {true, detail::InsertStep::unsupported,
           "safe get-or-create inside a caller's transaction needs savepoints, which this backend "
           "lacks"};
  // As in run_owned: a hit goes straight into the caller's row.
  if (how.select_first && detail::select_into(connection, plan, key, result.row)) return;
  how.select_first = false;
  detail::KeyOutcome outcome = attempt_key(connection, plan, how, key, defaults);
  result.conflicts = outcome.violation ? 1 : 0;
  if (!outcome.row)
    throw_row_invisible(plan, connection.backend_name(),
                        "the row exists, but this transaction's snapshot cannot see it");
  record(result, outcome);
}

// SELECT, then INSERT with no protection at all: the race stays visible.
void run_naive(Connection& connection, const GetOrCreatePlan& plan, std::span<const Value> key,
               std::span<const Value> defaults, GetOrCreateResult& result) {
  if (detail::select_into(connection, plan, key, result.row)) return;
  std::optional<Row> created = detail::insert_row(connection, plan, plan.insert_sql, key, defaults);
  if (!created)
    throw_error(ErrorKind::database_error, "naive get-or-create: the inserted row is not visible",
                std::string(connection.backend_name()));
  result.row = std::move(*created);
  result.created = true;
}

}  // namespace

GetOrCreateResult GetOrCreate::operator()(Connection& connection, std::span<const Value> key,
                                          std::span<const Value> defaults) const {
  GetOrCreateResult result;
  (*this)(connection, key, defaults, result);
  return result;
}

void GetOrCreate::operator()(Connection& connection, std::span<const Value> key,
                             std::span<const Value> defaults, GetOrCreateResult& result) const {
  const GetOrCreatePlan& plan = *plan_;
  const GetOrCreateSpec& spec = plan.spec;
  if (key.size() != spec.key_columns.size() || defaults.size() != spec.default_columns.size())
    throw_error(ErrorKind::invalid_argument,
                fmt::format("get-or-create on \"{}\" expects {} key and {} default values, got {} "
                            "and {}",
                            printable(spec.table), spec.key_columns.size(),
                            spec.default_columns.size(), key.size(), defaults.size()));
  for (std::size_t i = 0; i < key.size(); ++i)
    if (key[i].is_null())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("key column \"{}\" is NULL: a unique constraint never matches NULL",
                              printable(spec.key_columns[i])));
  detail::require_read_write(connection, plan);

  reset(result);
  if (spec.strategy == Strategy::naive) return run_naive(connection, plan, key, defaults, result);
  if (connection.in_transaction())
    return run_in_callers_transaction(connection, plan, key, defaults, result);
  run_owned(connection, plan, key, defaults, result);
}

}  // namespace anydb
