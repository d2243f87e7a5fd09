// GetOrCreate::many(): the batch's checks, who owns its transaction, its retries, and the
// results per key. The statements it runs are in batch_steps.cpp.

#include "batch_state.hpp"

#include <anydb/error.hpp>
#include <anydb/transaction.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace anydb {

namespace {

using detail::BatchState;
using detail::GetOrCreatePlan;

// Throws anydb::InvalidArgument for a batch many() cannot run (see get_or_create.hpp).
void check_batch(const GetOrCreateSpec& spec, std::span<const Value> keys,
                 std::span<const Value> defaults, const BatchOptions& options) {
  const std::size_t key_width = spec.key_columns.size();
  const std::size_t default_width = spec.default_columns.size();
  if (spec.strategy == Strategy::naive)
    throw_error(ErrorKind::invalid_argument,
                "batched get-or-create has no naive strategy: use safe or upsert");
  if (keys.size() % key_width != 0)
    throw_error(ErrorKind::invalid_argument,
                fmt::format("batched get-or-create on \"{}\": {} key values are not a whole number "
                            "of {}-column keys",
                            printable(spec.table), keys.size(), key_width));
  const std::size_t count = keys.size() / key_width;
  if (defaults.size() != count * default_width)
    throw_error(
        ErrorKind::invalid_argument,
        fmt::format("batched get-or-create on \"{}\" expects {} default values for {} keys, "
                    "got {}",
                    printable(spec.table), count * default_width, count, defaults.size()));
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i].is_null())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("key column \"{}\" is NULL: a unique constraint never matches NULL",
                              printable(spec.key_columns[i % key_width])));
  if (options.max_parameters < key_width + default_width)
    throw_error(ErrorKind::invalid_argument,
                fmt::format("max_parameters {} cannot hold one row of {} values",
                            options.max_parameters, key_width + default_width));
}

// The method `requested` stands for with this plan's dialect. Throws anydb::Unsupported for
// multi_row where the dialect lacks it.
BatchMethod choose_method(BatchMethod requested, const GetOrCreatePlan& plan,
                          const Connection& connection) {
  const bool multi_row = plan.batch.multi_row();
  if (requested == BatchMethod::automatic)
    return multi_row ? BatchMethod::multi_row : BatchMethod::per_key;
  if (requested == BatchMethod::multi_row && !multi_row)
    throw_error(ErrorKind::unsupported,
                "BatchMethod::multi_row needs INSERT ... ON CONFLICT DO NOTHING and RETURNING, "
                "which this backend's dialect does not offer; use per_key or automatic",
                std::string(connection.backend_name()));
  return requested;
}

// Everything in the caller's transaction, nothing retried.
void resolve_in_callers_transaction(Connection& connection, const GetOrCreatePlan& plan,
                                    BatchState& state, BatchMethod method,
                                    const BatchOptions& options) {
  std::vector<std::size_t> everything(state.size());
  std::iota(everything.begin(), everything.end(), std::size_t{0});
  detail::batch_select(connection, plan, state, everything,
                       std::max<std::size_t>(1, options.max_parameters / state.key_width()));
  detail::resolve_missing(connection, plan, state, method, options.max_parameters);
  if (state.unresolved())
    detail::throw_row_invisible(plan, connection.backend_name(),
                                "a row exists, but this transaction's snapshot cannot see it");
}

// anydb owns the transaction. The first look needs none: a batch of hits never writes. The
// misses are then resolved in one transaction, re-run whole within spec.retry after a transient
// error and while a conflicting row cannot be seen; `out` counts the runs.
void resolve_owned(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                   BatchMethod method, const BatchOptions& options, GetOrCreateBatchResult& out) {
  std::vector<std::size_t> everything(state.size());
  std::iota(everything.begin(), everything.end(), std::size_t{0});
  detail::batch_select(connection, plan, state, everything,
                       std::max<std::size_t>(1, options.max_parameters / state.key_width()));
  if (!state.unresolved()) return;
  std::vector<char> found_first(state.size());
  for (std::size_t u = 0; u < state.size(); ++u) found_first[u] = state.row[u].has_value();
  retry_transient(
      plan.spec.retry,
      [&](int attempt) {
        out.attempts = attempt;
        // What an earlier run learnt was rolled back with it.
        for (std::size_t u = 0; u < state.size(); ++u)
          if (!found_first[u]) state.row[u].reset();
        std::fill(state.created.begin(), state.created.end(), 0);
        std::fill(state.conflict.begin(), state.conflict.end(), 0);
        state.unclaimed.clear();
        Transaction transaction(connection, AccessMode::read_write);
        detail::resolve_missing(connection, plan, state, method, options.max_parameters);
        if (!state.unresolved()) {
          transaction.commit();
          return;
        }
        transaction.rollback();
        // Thrown at every run so that the retry helper retries it; only the last one's message
        // reaches the caller.
        detail::throw_row_invisible(
            plan, connection.backend_name(),
            fmt::format("a conflicting row stayed invisible for {} attempts", attempt));
      },
      [&](int) { ++out.transient_retries; });
}

// The entries of `out`, one per key given, from what `state` found.
void report(BatchState& state, GetOrCreateBatchResult& out) {
  const std::size_t count = state.distinct.count();
  out.keys.resize(count);
  // Backwards, so that the first occurrence of each key, which comes last, takes the row and
  // the duplicates before it copy it.
  for (std::size_t i = count; i-- > 0;) {
    const std::size_t u = state.distinct.unique_of(i);
    GetOrCreateResult& result = out.keys[i];
    const bool first = state.distinct.first(u) == i;
    result.created = first && state.created[u] != 0;
    result.conflicts = first && state.conflict[u] != 0 ? 1 : 0;
    result.attempts = out.attempts;
    result.transient_retries = out.transient_retries;
    result.row = first ? std::move(*state.row[u]) : *state.row[u];
    if (result.created) ++out.created;
    out.conflicts += result.conflicts;
  }
  out.existing = count - out.created;
}

GetOrCreateBatchResult run_many(Connection& connection, const GetOrCreatePlan& plan,
                                std::span<const Value> keys, std::span<const Value> defaults,
                                const BatchOptions& options) {
  detail::require_read_write(connection, plan);
  check_batch(plan.spec, keys, defaults, options);
  const BatchMethod method = choose_method(options.method, plan, connection);
  GetOrCreateBatchResult out;
  if (keys.empty()) return out;
  BatchState state(keys, defaults, plan.spec.key_columns.size(), plan.spec.default_columns.size());
  if (connection.in_transaction())
    resolve_in_callers_transaction(connection, plan, state, method, options);
  else
    resolve_owned(connection, plan, state, method, options, out);
  report(state, out);
  return out;
}

}  // namespace

GetOrCreateBatchResult GetOrCreate::many(Connection& connection, std::span<const Value> keys,
                                         std::span<const Value> defaults,
                                         BatchOptions options) const {
  return run_many(connection, *plan_, keys, defaults, options);
}

GetOrCreateBatchResult GetOrCreate::many(Connection& connection,
                                         std::span<const std::vector<Value>> keys,
                                         std::span<const std::vector<Value>> defaults,
                                         BatchOptions options) const {
  const GetOrCreateSpec& spec = plan_->spec;
  if (!defaults.empty() && defaults.size() != keys.size())
    throw_error(ErrorKind::invalid_argument,
                fmt::format("batched get-or-create on \"{}\" got {} keys but {} default lists",
                            printable(spec.table), keys.size(), defaults.size()));
  std::vector<Value> flat_keys, flat_defaults;
  flat_keys.reserve(keys.size() * spec.key_columns.size());
  for (const auto& key : keys) {
    if (key.size() != spec.key_columns.size())
      throw_error(
          ErrorKind::invalid_argument,
          fmt::format("batched get-or-create on \"{}\" expects {} key values per key, got {}",
                      printable(spec.table), spec.key_columns.size(), key.size()));
    flat_keys.insert(flat_keys.end(), key.begin(), key.end());
  }
  for (const auto& values : defaults) {
    if (values.size() != spec.default_columns.size())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("batched get-or-create on \"{}\" expects {} default values per key, "
                              "got {}",
                              printable(spec.table), spec.default_columns.size(), values.size()));
    flat_defaults.insert(flat_defaults.end(), values.begin(), values.end());
  }
  return run_many(connection, *plan_, flat_keys, flat_defaults, options);
}

}  // namespace anydb
