#pragma once

// What one call of GetOrCreate::many() knows about its keys, and the steps that resolve them
// (batch_steps.cpp). Private to libanydb.

#include "get_or_create_plan.hpp"
#include "key_match.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace anydb::detail {

// The keys of a batch, deduplicated ("unique index" u: one per distinct key, its first
// occurrence), and per unique key what is known so far. Views the caller's values.
struct BatchState {
  // `keys` and `defaults` hold key_width and default_width values per key, back to back
  // (`defaults` is empty when default_width is 0).
  BatchState(std::span<const Value> keys, std::span<const Value> all_defaults,
             std::size_t key_width, std::size_t defaults_per_key)
      : distinct(keys, key_width),
        defaults(all_defaults),
        default_width(defaults_per_key),
        slot(distinct.size(), -1),
        row(distinct.size()),
        created(distinct.size(), 0),
        conflict(distinct.size(), 0) {}

  DistinctKeys distinct;
  std::span<const Value> defaults;
  std::size_t default_width;

  std::vector<std::ptrdiff_t> slot;     // scratch for match_rows, all -1 between uses
  std::vector<std::optional<Row>> row;  // per unique key, once known
  std::vector<char> created;            // per unique key: our INSERT made the row
  std::vector<char> conflict;           // per unique key: missing at first, then someone else's

  // Rows our INSERT returned that no key has claimed yet (recognised again by the single-key
  // look-up, by comparing whole rows, when the database coerced a key beyond recognition).
  std::vector<Row> unclaimed;

  [[nodiscard]] std::size_t size() const noexcept { return distinct.size(); }
  [[nodiscard]] std::size_t key_width() const noexcept { return distinct.width(); }
  [[nodiscard]] std::span<const Value> key(std::size_t u) const { return distinct.key(u); }
  [[nodiscard]] std::span<const Value> defaults_of(std::size_t u) const {
    if (default_width == 0) return {};
    return defaults.subspan(distinct.first(u) * default_width, default_width);
  }
  // Some key has no row yet.
  [[nodiscard]] bool unresolved() const {
    return std::any_of(row.begin(), row.end(), [](const auto& found) { return !found; });
  }
};

// SELECTs the keys in `which` (unique indices) in statements of at most max_rows keys and
// records the rows found. Keys that match no row are left without one.
void batch_select(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                  const std::vector<std::size_t>& which, std::size_t max_rows);

// Inserts the keys that have no row yet, with `method` (multi_row or per_key), in whatever
// transaction is open, and records what it finds or creates. Stops at the first key whose row
// exists but cannot be seen, and leaves it (and the keys after it) without a row.
void resolve_missing(Connection& connection, const GetOrCreatePlan& plan, BatchState& state,
                     BatchMethod method, std::size_t max_parameters);

}  // namespace anydb::detail
