// The statements of GetOrCreate::many(): the SELECT and the multi-row INSERT of many keys, and the
// keys that are left, resolved one at a time with attempt_key().

#include "batch_state.hpp"

#include <algorithm>

namespace anydb::detail {

namespace {

// The parameters of a statement of `rows` keys for `chunk`: each key's values, and its defaults
// when `with_defaults`. Padding repeats the last key: in a SELECT, IN (..., x, x) means the same
// as IN (..., x); in an INSERT the copies conflict with the first and are skipped.
void fill_parameters(std::vector<Value>& params, const BatchState& state,
                     const std::vector<std::size_t>& chunk, std::size_t rows, bool with_defaults) {
  params.clear();
  params.reserve(rows * (state.key_width() + (with_defaults ? state.default_width : 0)));
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t u = chunk[std::min(i, chunk.size() - 1)];
    for (const Value& value : state.key(u)) params.push_back(value);
    if (with_defaults)
      for (const Value& value : state.defaults_of(u)) params.push_back(value);
  }
}

// Runs the statement `(plan.batch.*text)(rows)` (select or insert; the insert binds each key's
// defaults too) for consecutive pieces of `which` of at most max_rows keys (`rows`: the piece's
// size rounded up, see round_up_rows), and hands the rows that came back to
// `take(chunk, rows, matches)`: `chunk` holds the piece's unique indices, `matches` says which
// row is which key's.
using BatchText = const std::string& (BatchStatements::*)(std::size_t rows) const;

template <class Take>
void run_in_chunks(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                   const std::vector<std::size_t>& which, std::size_t max_rows, BatchText text,
                   const Take& take) {
  const bool with_defaults = text == &BatchStatements::insert;
  std::vector<Value> params;
  std::vector<std::size_t> chunk;
  for (std::size_t begin = 0; begin < which.size(); begin += max_rows) {
    const std::size_t count = std::min(max_rows, which.size() - begin);
    const std::size_t rows = round_up_rows(count, max_rows);
    chunk.assign(which.begin() + static_cast<std::ptrdiff_t>(begin),
                 which.begin() + static_cast<std::ptrdiff_t>(begin + count));
    fill_parameters(params, state, chunk, rows, with_defaults);
    Result result = connection.execute((plan.batch.*text)(rows), params);
    if (result.rows.empty()) continue;
    const auto positions = key_positions(result.rows.front().columns(), plan.spec.key_columns);
    take(chunk, result.rows, match_rows(result.rows, positions, chunk, state.distinct, state.slot));
  }
}

// INSERTs the keys in `which` with ON CONFLICT DO NOTHING RETURNING * and records the rows our
// statement created. Rows it returned that match no key wait in state.unclaimed.
void batch_insert(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                  const std::vector<std::size_t>& which, std::size_t max_rows) {
  run_in_chunks(connection, plan, state, which, max_rows, &BatchStatements::insert,
                [&](const std::vector<std::size_t>& chunk, std::vector<Row>& rows,
                    const std::vector<RowMatch>& matches) {
                  std::vector<char> used(rows.size(), 0);
                  for (const auto& match : matches) {
                    used[match.row] = 1;
                    state.row[chunk[match.key]] = std::move(rows[match.row]);
                    state.created[chunk[match.key]] = 1;
                  }
                  for (std::size_t r = 0; r < rows.size(); ++r)
                    if (!used[r]) state.unclaimed.push_back(std::move(rows[r]));
                });
}

// A row the first SELECT found for key u: one our own multi-row INSERT made but no key claimed,
// because the database stored the key differently from how it was given ("007" as 7), is
// recognised by the whole row; any other was made by another writer since the batch began.
void claim_found(BatchState& state, std::size_t u, const Row& row) {
  const auto ours =
      std::find_if(state.unclaimed.begin(), state.unclaimed.end(),
                   [&](const Row& candidate) { return candidate.values() == row.values(); });
  if (ours != state.unclaimed.end()) {
    state.unclaimed.erase(ours);
    state.created[u] = 1;
  } else {
    state.conflict[u] = 1;
  }
}

KeyAttempt per_key_attempt(const GetOrCreatePlan& plan, bool inserted_already) {
  // multi_row: the batch INSERT skipped the key; only look for it.
  if (inserted_already) return {true, InsertStep::none, {}};
  if (plan.dialect.supports_savepoints) return {true, InsertStep::guarded, {}};
  // No savepoints, but an insert that cannot fail on the key.
  if (!plan.upsert_insert_sql.empty()) return {true, InsertStep::do_nothing, {}};
  return {true, InsertStep::unsupported,
          "batched get-or-create needs savepoints or INSERT ... ON CONFLICT DO NOTHING, and this "
          "backend has neither"};
}

// One missing key, inside the batch's transaction, the safe way. False when the row exists but
// cannot be seen (the caller of this function retries or reports that).
bool resolve_one(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                 std::size_t u, bool inserted_already) {
  KeyOutcome outcome = attempt_key(connection, plan, per_key_attempt(plan, inserted_already),
                                   state.key(u), state.defaults_of(u));
  switch (outcome.source) {
    case KeyOutcome::Source::none: return false;
    case KeyOutcome::Source::first_select: claim_found(state, u, *outcome.row); break;
    case KeyOutcome::Source::insert: state.created[u] = 1; break;
    case KeyOutcome::Source::second_select: state.conflict[u] = 1; break;
  }
  state.row[u] = std::move(outcome.row);
  return true;
}

// The keys without a row, in one order for every batch: two batches that insert overlapping keys
// then lock them in the same order and cannot deadlock each other.
std::vector<std::size_t> missing_in_insert_order(const BatchState& state) {
  std::vector<std::size_t> missing;
  for (std::size_t u = 0; u < state.size(); ++u)
    if (!state.row[u]) missing.push_back(u);
  std::sort(missing.begin(), missing.end(), [&](std::size_t a, std::size_t b) {
    if (const int c = compare_keys(state.key(a), state.key(b)); c != 0) return c < 0;
    return a < b;
  });
  return missing;
}

void resolve_multi_row(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                       const std::vector<std::size_t>& missing, std::size_t max_parameters) {
  const std::size_t insert_rows =
      std::max<std::size_t>(1, max_parameters / (state.key_width() + state.default_width));
  const std::size_t select_rows = std::max<std::size_t>(1, max_parameters / state.key_width());
  batch_insert(connection, plan, state, missing, insert_rows);
  std::vector<std::size_t> rest;
  for (const std::size_t u : missing)
    if (!state.row[u]) rest.push_back(u);
  if (rest.empty()) return;
  // Skipped by DO NOTHING: another writer's row (or a key the database stores differently
  // from how it was given). Rows committed since the statement began are visible to this
  // SELECT under READ COMMITTED; under a snapshot they may not be, and that is reported.
  batch_select(connection, plan, state, rest, select_rows);
  for (const std::size_t u : rest) {
    if (state.row[u]) {
      state.conflict[u] = 1;
      continue;
    }
    if (!resolve_one(connection, plan, state, u, /*inserted_already=*/true)) return;
  }
}

}  // namespace

void batch_select(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                  const std::vector<std::size_t>& which, std::size_t max_rows) {
  run_in_chunks(connection, plan, state, which, max_rows, &BatchStatements::select,
                [&](const std::vector<std::size_t>& chunk, std::vector<Row>& rows,
                    const std::vector<RowMatch>& matches) {
                  for (const auto& match : matches)
                    state.row[chunk[match.key]] = std::move(rows[match.row]);
                });
}

void resolve_missing(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                     BatchMethod method, std::size_t max_parameters) {
  const std::vector<std::size_t> missing = missing_in_insert_order(state);
  if (missing.empty()) return;
  if (method == BatchMethod::multi_row) {
    resolve_multi_row(connection, plan, state, missing, max_parameters);
    return;
  }
  for (const std::size_t u : missing)
    if (!resolve_one(connection, plan, state, u, /*inserted_already=*/false)) return;
}

}  // namespace anydb::detail
