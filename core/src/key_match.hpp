#pragma once

// Keys of a batch: deduplicating them, ordering them, and finding which returned row belongs to
// which key. Private to libanydb (GetOrCreate::many()).

#include <anydb/value.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace anydb::detail {

// The key values of one key, wherever they live: back to back in the caller's flat array, or at
// some positions of a result row. Hashing and comparing views needs no copies of the values.
struct KeyView {
  const Value* values = nullptr;
  const std::size_t* positions = nullptr;  // null: values[0 .. width)
  std::size_t width = 0;

  [[nodiscard]] const Value& operator[](std::size_t i) const noexcept {
    return positions != nullptr ? values[positions[i]] : values[i];
  }
};

// The distinct keys of a batch ("unique index" u: one per distinct key, in order of first
// occurrence), found through an open-addressing table of unique indices (no allocation per key,
// unlike std::unordered_map). Views the caller's values: `keys` must outlive it.
class DistinctKeys {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // `keys` holds the key values back to back, `width` values per key (width > 0).
  DistinctKeys(std::span<const Value> keys, std::size_t width);

  // Distinct keys.
  [[nodiscard]] std::size_t size() const noexcept { return first_.size(); }
  // Keys given, duplicates included.
  [[nodiscard]] std::size_t count() const noexcept { return unique_of_.size(); }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  // The input index of the first occurrence of unique key u.
  [[nodiscard]] std::size_t first(std::size_t u) const noexcept { return first_[u]; }
  // The unique index of input key i.
  [[nodiscard]] std::size_t unique_of(std::size_t i) const noexcept { return unique_of_[i]; }
  [[nodiscard]] std::span<const Value> key(std::size_t u) const {
    return keys_.subspan(first_[u] * width_, width_);
  }
  [[nodiscard]] KeyView view(std::size_t u) const noexcept {
    return KeyView{keys_.data() + first_[u] * width_, nullptr, width_};
  }
  // The unique index of the key equal to `key`, or npos.
  [[nodiscard]] std::size_t find(const KeyView& key) const noexcept;

 private:
  // Stores `u` for `key` unless the key is there already; returns the index stored for it.
  std::size_t insert(const KeyView& key, std::size_t u) noexcept;

  std::span<const Value> keys_;
  std::size_t width_;
  std::vector<std::size_t> first_;
  std::vector<std::size_t> unique_of_;
  std::vector<std::size_t> slots_;  // at most half full by construction
  std::size_t mask_ = 0;
};

// A total order on keys of equal width (type first, then value; <0, 0, >0), used only to give
// every batch the same insert order.
[[nodiscard]] int compare_keys(std::span<const Value> a, std::span<const Value> b);

// Where the key columns are in a result's rows: by exact name, else by a unique ASCII
// case-insensitive match (SQLite and MySQL report the declared spelling). Empty when a key
// column cannot be found, and then no row is matched in bulk: every key is looked up alone.
[[nodiscard]] std::vector<std::size_t> key_positions(const std::vector<std::string>& columns,
                                                     const std::vector<std::string>& key_columns);

// One row given to one key: `key` is a position in the `which` passed to match_rows, `row` an
// index into its rows.
struct RowMatch {
  std::size_t key;
  std::size_t row;
};

// Matches result rows (key columns at `positions`) to the keys of one statement (`which`,
// unique indices of `keys`; `slot` is scratch space of keys.size(), all -1, left so). Exact
// matches first; then a loose spelling under which an integer, an integral real and the text of
// that integer are the same ("7", 7, 7.0), because the database coerces bound values to the
// column's type. The loose match is taken only where it is unambiguous on both sides: one key of
// the statement and one row spell it that way, so a row returned for one key is never handed to
// another key that the database would not have matched. A row goes to one key at most.
[[nodiscard]] std::vector<RowMatch> match_rows(const std::vector<Row>& rows,
                                               const std::vector<std::size_t>& positions,
                                               const std::vector<std::size_t>& which,
                                               const DistinctKeys& keys,
                                               std::vector<std::ptrdiff_t>& slot);

}  // namespace anydb::detail
