#include "key_match.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace anydb::detail {

namespace {

std::size_t hash_value(const Value& value) noexcept {
  switch (value.type()) {
    case Value::Type::null: return 0x9e37;
    case Value::Type::integer: return std::hash<std::int64_t>{}(value.as_int());
    case Value::Type::real: return std::hash<double>{}(value.as_double());
    case Value::Type::text: return std::hash<std::string_view>{}(value.as_text());
    case Value::Type::blob: {
      const Blob& blob = value.as_blob();
      return std::hash<std::string_view>{}(
                 std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size())) ^
             0x5bd1;
    }
  }
  return 0;
}

std::size_t hash_key(const KeyView& key) noexcept {
  std::uint64_t seed = key.width;
  for (std::size_t i = 0; i < key.width; ++i)
    seed ^= hash_value(key[i]) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  // Finish with MurmurHash3's mixer: std::hash of an integer is the integer itself, and the
  // table uses the low bits.
  seed ^= seed >> 33;
  seed *= 0xff51afd7ed558ccdULL;
  seed ^= seed >> 33;
  seed *= 0xc4ceb93fe53d1a85ULL;
  seed ^= seed >> 33;
  return static_cast<std::size_t>(seed);
}

bool equal_keys(const KeyView& a, const KeyView& b) noexcept {
  if (a.width != b.width) return false;
  for (std::size_t i = 0; i < a.width; ++i)
    if (!(a[i] == b[i])) return false;
  return true;
}

int compare_reals(double x, double y) {
  if (x < y) return -1;
  if (y < x) return 1;
  // Equal, or NaN involved: fall back to the bits, which are totally ordered.
  std::uint64_t bx = 0, by = 0;
  std::memcpy(&bx, &x, sizeof bx);
  std::memcpy(&by, &y, sizeof by);
  return bx < by ? -1 : (by < bx ? 1 : 0);
}

int compare_values(const Value& a, const Value& b) {
  if (a.type() != b.type()) return a.type() < b.type() ? -1 : 1;
  switch (a.type()) {
    case Value::Type::null: return 0;
    case Value::Type::integer: {
      const auto x = a.as_int(), y = b.as_int();
      return x < y ? -1 : (y < x ? 1 : 0);
    }
    case Value::Type::real: return compare_reals(a.as_double(), b.as_double());
    case Value::Type::text: return a.as_text().compare(b.as_text());
    case Value::Type::blob: {
      const Blob& x = a.as_blob();
      const Blob& y = b.as_blob();
      return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end())
                 ? -1
                 : (std::lexicographical_compare(y.begin(), y.end(), x.begin(), x.end()) ? 1 : 0);
    }
  }
  return 0;
}

// One value's part of a loose spelling: integers, integral reals and text share the "t" form.
std::string loose_part(const Value& value) {
  switch (value.type()) {
    case Value::Type::null: return "z";
    case Value::Type::integer: return "t" + std::to_string(value.as_int());
    case Value::Type::real: {
      const double d = value.as_double();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e18)
        return "t" + std::to_string(static_cast<std::int64_t>(d));
      std::string part = "r";
      part.append(reinterpret_cast<const char*>(&d), sizeof d);
      return part;
    }
    case Value::Type::text: return "t" + value.as_text();
    case Value::Type::blob: {
      const Blob& blob = value.as_blob();
      std::string part = "b";
      part.append(reinterpret_cast<const char*>(blob.data()), blob.size());
      return part;
    }
  }
  return {};
}

// A loose spelling of a key under which an integer, an integral real and the text of that
// integer are the same ("7", 7, 7.0). The database coerces bound values to the column's type
// (the CLI binds every key as text), so a row may come back with 7 for the key "7"; this
// spelling lets such rows be matched without a statement per key. It is only a fast path: a
// key that matches no row exactly, or loosely but not unambiguously, is looked up on its own.
std::string loose_spelling(const KeyView& key) {
  std::string out;
  for (std::size_t i = 0; i < key.width; ++i) {
    const std::string part = loose_part(key[i]);
    out += std::to_string(part.size());
    out += ':';
    out += part;
  }
  return out;
}

bool ascii_iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    const auto lx = x >= 'A' && x <= 'Z' ? x + 32 : x;
    const auto ly = y >= 'A' && y <= 'Z' ? y + 32 : y;
    if (lx != ly) return false;
  }
  return true;
}

// The position of `key` in `columns`: exact, else the one ASCII case-insensitive match.
std::optional<std::size_t> find_column(const std::vector<std::string>& columns,
                                       const std::string& key) {
  auto found = std::find(columns.begin(), columns.end(), key);
  if (found == columns.end()) {
    std::size_t matches = 0;
    for (auto it = columns.begin(); it != columns.end(); ++it)
      if (ascii_iequal(*it, key)) {
        found = it;
        ++matches;
      }
    if (matches != 1) return std::nullopt;
  }
  return static_cast<std::size_t>(found - columns.begin());
}

// One call of match_rows: the rows, where their keys are, and what is taken so far.
class Matcher {
 public:
  Matcher(const std::vector<Row>& rows, const std::vector<std::size_t>& positions,
          const std::vector<std::size_t>& which, const DistinctKeys& keys)
      : rows_(rows),
        positions_(positions),
        which_(which),
        keys_(keys),
        needed_(*std::max_element(positions.begin(), positions.end()) + 1),
        key_done_(which.size(), 0),
        row_used_(rows.size(), 0) {
    matches_.reserve(std::min(rows.size(), which.size()));
  }

  void match_exactly(std::vector<std::ptrdiff_t>& slot) {
    for (std::size_t w = 0; w < which_.size(); ++w)
      slot[which_[w]] = static_cast<std::ptrdiff_t>(w);
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (!has_key(r)) continue;
      const std::size_t found = keys_.find(row_key(r));
      if (found == DistinctKeys::npos) continue;
      const std::ptrdiff_t w = slot[found];
      if (w >= 0 && !key_done_[static_cast<std::size_t>(w)]) take(static_cast<std::size_t>(w), r);
    }
    for (const std::size_t u : which_) slot[u] = -1;
  }

  // A row that matched exactly can never match loosely (its key spells the same), so this pass
  // is worth running only when some row and some key are left over.
  [[nodiscard]] bool anything_left() const noexcept {
    return matches_.size() < rows_.size() && matches_.size() < which_.size();
  }

  void match_loosely() {
    Spellings key_by_spelling;
    for (std::size_t w = 0; w < which_.size(); ++w)
      add_spelling(key_by_spelling, loose_spelling(keys_.view(which_[w])), w);
    Spellings row_by_spelling;
    for (std::size_t r = 0; r < rows_.size(); ++r)
      if (has_key(r)) add_spelling(row_by_spelling, loose_spelling(row_key(r)), r);
    for (const auto& [spelling, w] : key_by_spelling) {
      if (w < 0 || key_done_[static_cast<std::size_t>(w)]) continue;
      const auto row = row_by_spelling.find(spelling);
      if (row == row_by_spelling.end() || row->second < 0) continue;
      const auto r = static_cast<std::size_t>(row->second);
      if (!row_used_[r]) take(static_cast<std::size_t>(w), r);
    }
  }

  [[nodiscard]] std::vector<RowMatch> matches() && { return std::move(matches_); }

 private:
  // A spelling -> the one index that spells it that way, -1 when several do.
  using Spellings = std::unordered_map<std::string, std::ptrdiff_t>;

  static void add_spelling(Spellings& spellings, std::string spelling, std::size_t index) {
    auto [entry, inserted] =
        spellings.try_emplace(std::move(spelling), static_cast<std::ptrdiff_t>(index));
    if (!inserted) entry->second = -1;
  }

  [[nodiscard]] bool has_key(std::size_t r) const noexcept { return rows_[r].size() >= needed_; }
  [[nodiscard]] KeyView row_key(std::size_t r) const noexcept {
    return KeyView{rows_[r].values().data(), positions_.data(), positions_.size()};
  }

  void take(std::size_t w, std::size_t r) {
    key_done_[w] = 1;
    row_used_[r] = 1;
    matches_.push_back(RowMatch{w, r});
  }

  const std::vector<Row>& rows_;
  const std::vector<std::size_t>& positions_;
  const std::vector<std::size_t>& which_;
  const DistinctKeys& keys_;
  std::size_t needed_;  // the shortest row that holds every key column
  std::vector<char> key_done_;
  std::vector<char> row_used_;
  std::vector<RowMatch> matches_;
};

}  // namespace

DistinctKeys::DistinctKeys(std::span<const Value> keys, std::size_t width)
    : keys_(keys), width_(width) {
  const std::size_t count = keys.size() / width;
  std::size_t capacity = 16;
  while (capacity < 2 * count) capacity <<= 1;
  slots_.assign(capacity, npos);
  mask_ = capacity - 1;
  unique_of_.resize(count);
  first_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t u = insert(KeyView{keys.data() + i * width, nullptr, width}, first_.size());
    if (u == first_.size()) first_.push_back(i);
    unique_of_[i] = u;
  }
}

std::size_t DistinctKeys::find(const KeyView& key) const noexcept {
  for (std::size_t at = hash_key(key) & mask_;; at = (at + 1) & mask_) {
    const std::size_t u = slots_[at];
    if (u == npos) return npos;
    if (equal_keys(view(u), key)) return u;
  }
}

std::size_t DistinctKeys::insert(const KeyView& key, std::size_t u) noexcept {
  for (std::size_t at = hash_key(key) & mask_;; at = (at + 1) & mask_) {
    const std::size_t stored = slots_[at];
    if (stored == npos) {
      slots_[at] = u;
      return u;
    }
    if (equal_keys(view(stored), key)) return stored;
  }
}

int compare_keys(std::span<const Value> a, std::span<const Value> b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (const int c = compare_values(a[i], b[i]); c != 0) return c;
  return 0;
}

std::vector<std::size_t> key_positions(const std::vector<std::string>& columns,
                                       const std::vector<std::string>& key_columns) {
  std::vector<std::size_t> positions;
  for (const auto& key : key_columns) {
    const auto position = find_column(columns, key);
    if (!position) return {};
    positions.push_back(*position);
  }
  return positions;
}

std::vector<RowMatch> match_rows(const std::vector<Row>& rows,
                                 const std::vector<std::size_t>& positions,
                                 const std::vector<std::size_t>& which, const DistinctKeys& keys,
                                 std::vector<std::ptrdiff_t>& slot) {
  if (rows.empty() || positions.empty()) return {};
  Matcher matcher(rows, positions, which, keys);
  matcher.match_exactly(slot);
  if (matcher.anything_left()) matcher.match_loosely();
  return std::move(matcher).matches();
}

}  // namespace anydb::detail
