#include <anydb/error.hpp>
#include <anydb/get_or_create.hpp>
#include <anydb/transaction.hpp>

#include <fmt/format.h>

#include <functional>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <unordered_map>

namespace anydb {

namespace {

std::string column_list(const Dialect& dialect, const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& column : columns) {
    if (!out.empty()) out += ", ";
    out += dialect.quote_identifier(column);
  }
  return out;
}

std::vector<Value> concatenate(std::span<const Value> first, std::span<const Value> second) {
  std::vector<Value> out;
  out.reserve(first.size() + second.size());
  out.insert(out.end(), first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

// A unique violation belongs to our race when it names no columns (the database only reports
// a constraint name) or when its columns cover every key column. Otherwise another unique
// constraint rejected the row, and that is the caller's error, not a race.
// Column names as databases report them may differ in case from the names given (SQLite
// reports the declared spelling): compared without regard to ASCII case.
bool same_column(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool violation_is_on_key(const UniqueViolation& violation, const std::vector<std::string>& key) {
  const auto& columns = violation.columns();
  if (columns.empty()) return true;
  return std::all_of(key.begin(), key.end(), [&](const std::string& column) {
    return std::any_of(columns.begin(), columns.end(),
                       [&](const std::string& reported) { return same_column(reported, column); });
  });
}

}  // namespace

// The texts of the batch statements, built on first use per size.
struct GetOrCreate::BatchSql {
  Dialect dialect;
  std::string table;                     // quoted
  std::vector<std::string> key_columns;  // quoted
  std::string insert_columns;            // quoted, comma-separated: keys, then defaults
  std::string conflict_clause;           // " ON CONFLICT (keys) DO NOTHING"
  bool multi_row = false;                // the dialect has ON CONFLICT DO NOTHING and RETURNING

  std::mutex mutex;
  // std::map: references to the texts stay valid while other sizes are added.
  std::map<std::size_t, std::string> selects;
  std::map<std::size_t, std::string> inserts;
};

std::string_view to_string(Strategy strategy) noexcept {
  switch (strategy) {
    case Strategy::safe: return "safe";
    case Strategy::upsert: return "upsert";
    case Strategy::naive: return "naive";
  }
  return "unknown";
}

Strategy parse_strategy(std::string_view text) {
  for (auto strategy : {Strategy::safe, Strategy::upsert, Strategy::naive})
    if (text == to_string(strategy)) return strategy;
  throw_error(ErrorKind::invalid_argument,
              fmt::format("unknown strategy '{}' (safe, upsert or naive)", printable(text, 40)));
}

GetOrCreate::GetOrCreate(const Dialect& dialect, GetOrCreateSpec spec) : spec_(std::move(spec)) {
  if (spec_.key_columns.empty())
    throw_error(ErrorKind::invalid_argument, "get-or-create needs at least one key column");
  if (spec_.retry.max_attempts < 1)
    throw_error(ErrorKind::invalid_argument, "get-or-create needs retry.max_attempts >= 1");
  std::set<std::string> seen;
  for (const auto* columns : {&spec_.key_columns, &spec_.default_columns})
    for (const auto& column : *columns)
      if (!seen.insert(column).second)
        throw_error(ErrorKind::invalid_argument,
                    fmt::format("column \"{}\" is given twice", printable(column)));

  const std::string table = dialect.quote_identifier(spec_.table);
  std::string where;
  for (std::size_t i = 0; i < spec_.key_columns.size(); ++i) {
    if (i > 0) where += " AND ";
    where += fmt::format("{} = {}", dialect.quote_identifier(spec_.key_columns[i]),
                         dialect.placeholder(static_cast<int>(i) + 1));
  }
  select_sql_ = fmt::format("SELECT * FROM {} WHERE {}", table, where);

  std::vector<std::string> insert_columns = spec_.key_columns;
  insert_columns.insert(insert_columns.end(), spec_.default_columns.begin(),
                        spec_.default_columns.end());
  std::string placeholders;
  for (std::size_t i = 0; i < insert_columns.size(); ++i) {
    if (i > 0) placeholders += ", ";
    placeholders += dialect.placeholder(static_cast<int>(i) + 1);
  }
  const std::string plain_insert = fmt::format("INSERT INTO {} ({}) VALUES ({})", table,
                                               column_list(dialect, insert_columns), placeholders);
  const std::string conflict_clause =
      fmt::format(" ON CONFLICT ({}) DO NOTHING", column_list(dialect, spec_.key_columns));
  const bool has_upsert = dialect.upsert == Dialect::Upsert::on_conflict_do_nothing;
  if (spec_.strategy == Strategy::upsert && !has_upsert)
    throw_error(ErrorKind::unsupported,
                "the upsert strategy needs INSERT ... ON CONFLICT DO NOTHING, which this "
                "backend does not offer; use the safe strategy");
  returning_ = dialect.supports_returning;
  const std::string returning = returning_ ? " RETURNING *" : "";
  safe_insert_sql_ = plain_insert + returning;
  if (has_upsert) upsert_insert_sql_ = plain_insert + conflict_clause + returning;
  insert_sql_ = spec_.strategy == Strategy::upsert ? upsert_insert_sql_ : safe_insert_sql_;

  auto batch = std::make_shared<BatchSql>();
  batch->dialect = dialect;
  batch->table = table;
  for (const auto& column : spec_.key_columns) batch->key_columns.push_back(dialect.quote_identifier(column));
  batch->insert_columns = column_list(dialect, insert_columns);
  batch->conflict_clause = conflict_clause;
  batch->multi_row = has_upsert && returning_;
  batch_sql_ = std::move(batch);
}

GetOrCreateResult GetOrCreate::operator()(Connection& connection, std::span<const Value> key,
                                          std::span<const Value> defaults) const {
  if (key.size() != spec_.key_columns.size() || defaults.size() != spec_.default_columns.size())
    throw_error(ErrorKind::invalid_argument,
                fmt::format("get-or-create on \"{}\" expects {} key and {} default values, got {} "
                            "and {}",
                            printable(spec_.table), spec_.key_columns.size(),
                            spec_.default_columns.size(), key.size(), defaults.size()));
  for (std::size_t i = 0; i < key.size(); ++i)
    if (key[i].is_null())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("key column \"{}\" is NULL: a unique constraint never matches NULL",
                              printable(spec_.key_columns[i])));

  if (spec_.strategy == Strategy::naive) return run_naive(connection, key, defaults);
  if (connection.in_transaction()) return run_in_callers_transaction(connection, key, defaults);
  return run_owned(connection, key, defaults);
}

std::optional<Row> GetOrCreate::select(Connection& connection, std::span<const Value> key) const {
  Result result = connection.execute(select_sql_, key);
  if (result.rows.empty()) return std::nullopt;
  return std::move(result.rows.front());
}

// Inserts the row; returns it when it was created, nothing when an upsert found a conflict.
std::optional<Row> GetOrCreate::insert(Connection& connection, std::span<const Value> key,
                                       std::span<const Value> defaults) const {
  return insert_with(connection, insert_sql_, key, defaults);
}

std::optional<Row> GetOrCreate::insert_with(Connection& connection, const std::string& sql,
                                            std::span<const Value> key,
                                            std::span<const Value> defaults) const {
  // Without defaults the key is the whole parameter list: no copy.
  Result result = defaults.empty() ? connection.execute(sql, key)
                                   : connection.execute(sql, concatenate(key, defaults));
  if (returning_) {
    if (result.rows.empty()) return std::nullopt;
    return std::move(result.rows.front());
  }
  if (result.rows_affected == 0) return std::nullopt;
  return select(connection, key);
}

std::optional<Row> GetOrCreate::insert_guarded(Connection& connection, const std::string& sql,
                                               std::span<const Value> key,
                                               std::span<const Value> defaults, bool& conflict) const {
  Transaction guard(connection, AccessMode::read_write);
  try {
    std::optional<Row> created = insert_with(connection, sql, key, defaults);
    guard.commit();
    return created;
  } catch (const UniqueViolation& violation) {
    // A violation raised by COMMIT itself (a deferred constraint) has ended the transaction:
    // only a guard still active has anything to roll back.
    if (guard.active()) guard.rollback();
    if (!violation_is_on_key(violation, spec_.key_columns)) throw;
    conflict = true;
    return std::nullopt;
  }
}

// One pass in a transaction anydb owns. Returns false when the row could not be seen after a
// conflict (the caller of this function retries).
bool GetOrCreate::attempt_owned(Connection& connection, std::span<const Value> key,
                                std::span<const Value> defaults, GetOrCreateResult& result) const {
  if (spec_.strategy == Strategy::upsert) {
    // One autocommit statement: atomic on its own, and the follow-up SELECT runs in a fresh
    // snapshot that sees the row that won the conflict.
    if (auto created = insert(connection, key, defaults)) {
      result.row = std::move(*created);
      result.created = true;
      return true;
    }
  } else {
    if (auto found = select(connection, key)) {
      result.row = std::move(*found);
      return true;
    }
    bool conflict = false;
    if (auto created = insert_guarded(connection, insert_sql_, key, defaults, conflict)) {
      result.row = std::move(*created);
      result.created = true;
      return true;
    }
    result.conflicts += conflict ? 1 : 0;
  }
  if (auto found = select(connection, key)) {
    result.row = std::move(*found);
    return true;
  }
  return false;
}

GetOrCreateResult GetOrCreate::run_owned(Connection& connection, std::span<const Value> key,
                                         std::span<const Value> defaults) const {
  GetOrCreateResult result;
  for (int attempt = 1;; ++attempt) {
    result.attempts = attempt;
    try {
      if (attempt_owned(connection, key, defaults, result)) return result;
      if (attempt >= spec_.retry.max_attempts)
        throw_row_invisible(connection.backend_name(),
                            fmt::format("the conflicting row stayed invisible for {} attempts",
                                        attempt));
    } catch (const Error& error) {
      if (!spec_.retry.should_retry(error, attempt)) throw;
    }
    ++result.transient_retries;
    spec_.retry.sleep_before(attempt);
  }
}

GetOrCreateResult GetOrCreate::run_in_callers_transaction(Connection& connection,
                                                          std::span<const Value> key,
                                                          std::span<const Value> defaults) const {
  GetOrCreateResult result;
  if (spec_.strategy == Strategy::upsert) {
    if (auto created = insert(connection, key, defaults)) {
      result.row = std::move(*created);
      result.created = true;
      return result;
    }
  } else {
    if (auto found = select(connection, key)) {
      result.row = std::move(*found);
      return result;
    }
    if (!connection.dialect().supports_savepoints)
      throw_error(ErrorKind::unsupported,
                  "safe get-or-create inside a caller's transaction needs savepoints, which this "
                  "backend lacks",
                  std::string(connection.backend_name()));
    // The savepoint keeps the caller's transaction usable after a handled violation (on
    // PostgreSQL any error would otherwise abort the whole transaction).
    bool conflict = false;
    if (auto created = insert_guarded(connection, insert_sql_, key, defaults, conflict)) {
      result.row = std::move(*created);
      result.created = true;
      return result;
    }
    result.conflicts += conflict ? 1 : 0;
  }
  if (auto found = select(connection, key)) {
    result.row = std::move(*found);
    return result;
  }
  throw_row_invisible(connection.backend_name(),
                      "the row exists, but this transaction's snapshot cannot see it");
}

GetOrCreateResult GetOrCreate::run_naive(Connection& connection, std::span<const Value> key,
                                         std::span<const Value> defaults) const {
  GetOrCreateResult result;
  if (auto found = select(connection, key)) {
    result.row = std::move(*found);
    return result;
  }
  std::optional<Row> created = insert(connection, key, defaults);
  if (!created)
    throw_error(ErrorKind::database_error, "naive get-or-create: the inserted row is not visible",
                std::string(connection.backend_name()));
  result.row = std::move(*created);
  result.created = true;
  return result;
}

void GetOrCreate::throw_row_invisible(std::string_view backend, std::string_view why) const {
  ErrorInfo info;
  info.kind = ErrorKind::serialization_failure;
  info.backend = std::string(backend);
  info.message = fmt::format(
      "get-or-create on \"{}\" lost a race: {}; retry the whole transaction (anydb::run_transaction "
      "does that)",
      printable(spec_.table), why);
  throw_error(std::move(info));
}

// ---------------------------------------------------------------------------------------------
// Batched get-or-create


namespace {

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

std::size_t hash_value(const Value& value) noexcept {
  switch (value.type()) {
    case Value::Type::null: return 0x9e37;
    case Value::Type::integer: return std::hash<std::int64_t>{}(value.as_int());
    case Value::Type::real: return std::hash<double>{}(value.as_double());
    case Value::Type::text: return std::hash<std::string_view>{}(value.as_text());
    case Value::Type::blob: {
      const Blob& blob = value.as_blob();
      return std::hash<std::string_view>{}(
          std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size())) ^ 0x5bd1;
    }
  }
  return 0;
}

std::size_t hash_key(const KeyView& key) noexcept {
  std::uint64_t seed = key.width;
  for (std::size_t i = 0; i < key.width; ++i)
    seed ^= hash_value(key[i]) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  // Finish with MurmurHash3's mixer: std::hash of an integer is the integer itself, and the
  // table below uses the low bits.
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

// The distinct keys of a batch: an open-addressing table of unique indices (no allocation per
// key, unlike std::unordered_map), looked up by key views of the caller's values or of rows.
class KeyIndex {
public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  void reset(std::size_t expected) {
    std::size_t capacity = 16;
    while (capacity < 2 * expected) capacity <<= 1;
    slots_.assign(capacity, npos);
    mask_ = capacity - 1;
  }

  // The unique index stored for `key`, or npos. `view_of(u)` is the key of unique index u.
  template <class ViewOf>
  [[nodiscard]] std::size_t find(const KeyView& key, const ViewOf& view_of) const noexcept {
    for (std::size_t at = hash_key(key) & mask_;; at = (at + 1) & mask_) {
      const std::size_t u = slots_[at];
      if (u == npos) return npos;
      if (equal_keys(view_of(u), key)) return u;
    }
  }

  // Stores `u` for `key` unless the key is there already; returns the index stored for it.
  // At most half full by construction (reset() with the number of keys to come).
  template <class ViewOf>
  std::size_t insert(const KeyView& key, std::size_t u, const ViewOf& view_of) noexcept {
    for (std::size_t at = hash_key(key) & mask_;; at = (at + 1) & mask_) {
      const std::size_t stored = slots_[at];
      if (stored == npos) {
        slots_[at] = u;
        return u;
      }
      if (equal_keys(view_of(stored), key)) return stored;
    }
  }

private:
  std::vector<std::size_t> slots_;
  std::size_t mask_ = 0;
};

// A total order on values (type first), used only to give every batch the same insert order.
int compare_values(const Value& a, const Value& b) {
  if (a.type() != b.type()) return a.type() < b.type() ? -1 : 1;
  switch (a.type()) {
    case Value::Type::null: return 0;
    case Value::Type::integer: {
      const auto x = a.as_int(), y = b.as_int();
      return x < y ? -1 : (y < x ? 1 : 0);
    }
    case Value::Type::real: {
      const double x = a.as_double(), y = b.as_double();
      if (x < y) return -1;
      if (y < x) return 1;
      // Equal, or NaN involved: fall back to the bits, which are totally ordered.
      std::uint64_t bx = 0, by = 0;
      std::memcpy(&bx, &x, sizeof bx);
      std::memcpy(&by, &y, sizeof by);
      return bx < by ? -1 : (by < bx ? 1 : 0);
    }
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

// A loose spelling of a key under which an integer, an integral real and the text of that
// integer are the same ("7", 7, 7.0). The database coerces bound values to the column's type
// (the CLI binds every key as text), so a row may come back with 7 for the key "7"; this
// spelling lets such rows be matched without a statement per key. It is only a fast path: a
// key that matches no row exactly, or loosely but not unambiguously, is looked up on its own.
std::string loose_spelling(const KeyView& key) {
  std::string out;
  for (std::size_t i = 0; i < key.width; ++i) {
    const Value& value = key[i];
    std::string part;
    switch (value.type()) {
      case Value::Type::null: part = "z"; break;
      case Value::Type::integer: part = "t" + std::to_string(value.as_int()); break;
      case Value::Type::real: {
        const double d = value.as_double();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e18) {
          part = "t" + std::to_string(static_cast<std::int64_t>(d));
        } else {
          part = "r";
          part.append(reinterpret_cast<const char*>(&d), sizeof d);
        }
        break;
      }
      case Value::Type::text: part = "t" + value.as_text(); break;
      case Value::Type::blob: {
        const Blob& blob = value.as_blob();
        part = "b";
        part.append(reinterpret_cast<const char*>(blob.data()), blob.size());
        break;
      }
    }
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

// Where the key columns are in a result's rows: by exact name, else by a unique ASCII
// case-insensitive match (SQLite and MySQL report the declared spelling). Empty when a key
// column cannot be found, and then no row is matched in bulk: every key is looked up alone.
std::vector<std::size_t> key_positions(const std::vector<std::string>& columns,
                                       const std::vector<std::string>& key_columns) {
  std::vector<std::size_t> positions;
  for (const auto& key : key_columns) {
    auto found = std::find(columns.begin(), columns.end(), key);
    if (found == columns.end()) {
      std::size_t matches = 0;
      for (auto it = columns.begin(); it != columns.end(); ++it)
        if (ascii_iequal(*it, key)) {
          found = it;
          ++matches;
        }
      if (matches != 1) return {};
    }
    positions.push_back(static_cast<std::size_t>(found - columns.begin()));
  }
  return positions;
}

// The sizes statements are built for: 1, 2, 3, 4, 6, 8, 12, 16, 24, ... (at most a third of a
// statement is padding), capped at max_rows.
std::size_t round_up_rows(std::size_t keys, std::size_t max_rows) noexcept {
  if (keys == 0) return 0;
  if (keys >= max_rows) return max_rows;
  std::size_t size = 1, power = 1;
  while (size < keys) {
    if (size == power && power >= 2) {
      size = power + power / 2;
    } else {
      power *= 2;
      size = power;
    }
  }
  return std::min(size, max_rows);
}

}  // namespace

std::string_view to_string(BatchMethod method) noexcept {
  switch (method) {
    case BatchMethod::automatic: return "automatic";
    case BatchMethod::multi_row: return "multi_row";
    case BatchMethod::per_key: return "per_key";
  }
  return "unknown";
}

std::size_t GetOrCreate::batch_statement_rows(std::size_t keys, std::size_t max_rows) noexcept {
  return round_up_rows(keys, std::max<std::size_t>(max_rows, 1));
}

const std::string& GetOrCreate::batch_select_sql(std::size_t rows) const {
  if (rows == 0) throw_error(ErrorKind::invalid_argument, "a batch statement needs at least one row");
  BatchSql& sql = *batch_sql_;
  const std::lock_guard lock(sql.mutex);
  auto [entry, inserted] = sql.selects.try_emplace(rows);
  if (!inserted) return entry->second;
  const std::size_t width = sql.key_columns.size();
  std::string& text = entry->second;
  text = fmt::format("SELECT * FROM {} WHERE ", sql.table);
  if (width == 1) {
    // IN (...) is a flat list everywhere.
    text += sql.key_columns.front();
    text += " IN (";
    for (std::size_t i = 0; i < rows; ++i) {
      if (i > 0) text += ", ";
      text += sql.dialect.placeholder(static_cast<int>(i) + 1);
    }
    text += ')';
  } else {
    // A composite key: (a = ? AND b = ?) OR ..., parenthesised as a balanced tree, because
    // SQLite limits the depth of an expression tree (1000) and a flat OR chain is a deep one.
    const auto term = [&](std::size_t row) {
      std::string out = "(";
      for (std::size_t k = 0; k < width; ++k) {
        if (k > 0) out += " AND ";
        out += sql.key_columns[k];
        out += " = ";
        out += sql.dialect.placeholder(static_cast<int>(row * width + k) + 1);
      }
      return out + ")";
    };
    const auto tree = [&](const auto& self, std::size_t first, std::size_t last) -> std::string {
      if (last - first == 1) return term(first);
      const std::size_t middle = first + (last - first) / 2;
      return "(" + self(self, first, middle) + " OR " + self(self, middle, last) + ")";
    };
    text += tree(tree, 0, rows);
  }
  return text;
}

const std::string& GetOrCreate::batch_insert_sql(std::size_t rows) const {
  if (rows == 0) throw_error(ErrorKind::invalid_argument, "a batch statement needs at least one row");
  BatchSql& sql = *batch_sql_;
  if (!sql.multi_row)
    throw_error(ErrorKind::unsupported,
                "a multi-row batch insert needs INSERT ... ON CONFLICT DO NOTHING and RETURNING, "
                "which this backend's dialect does not offer; use BatchMethod::per_key");
  const std::lock_guard lock(sql.mutex);
  auto [entry, inserted] = sql.inserts.try_emplace(rows);
  if (!inserted) return entry->second;
  const std::size_t width = spec_.key_columns.size() + spec_.default_columns.size();
  std::string& text = entry->second;
  text = fmt::format("INSERT INTO {} ({}) VALUES ", sql.table, sql.insert_columns);
  for (std::size_t row = 0; row < rows; ++row) {
    text += row > 0 ? ", (" : "(";
    for (std::size_t column = 0; column < width; ++column) {
      if (column > 0) text += ", ";
      text += sql.dialect.placeholder(static_cast<int>(row * width + column) + 1);
    }
    text += ')';
  }
  text += sql.conflict_clause;
  text += " RETURNING *";
  return text;
}

// Everything one call of many() knows about its keys. Keys are deduplicated first ("unique"
// below means one entry per distinct key, the first occurrence).
struct GetOrCreate::BatchState {
  std::span<const Value> keys;      // flat, key_width per key
  std::span<const Value> defaults;  // flat, default_width per key (empty when default_width is 0)
  std::size_t key_width = 0;
  std::size_t default_width = 0;

  KeyIndex index;                      // every distinct key -> its unique index
  std::vector<std::ptrdiff_t> slot;    // scratch for match_rows, all -1 between uses
  std::vector<std::size_t> first;      // per unique key: the input index of its first occurrence
  std::vector<std::size_t> unique_of;  // per input key: its unique index
  std::vector<std::optional<Row>> row; // per unique key, once known
  std::vector<char> created;           // per unique key: our INSERT made the row
  std::vector<char> conflict;          // per unique key: missing at first, then someone else's

  // Rows our INSERT returned that no key has claimed yet (recognised again by the single-key
  // look-up, by comparing whole rows, when the database coerced a key beyond recognition).
  std::vector<Row> unclaimed;

  [[nodiscard]] std::size_t size() const noexcept { return first.size(); }
  [[nodiscard]] std::span<const Value> key(std::size_t u) const {
    return keys.subspan(first[u] * key_width, key_width);
  }
  [[nodiscard]] std::span<const Value> defaults_of(std::size_t u) const {
    if (default_width == 0) return {};
    return defaults.subspan(first[u] * default_width, default_width);
  }
  [[nodiscard]] KeyView key_view(std::size_t u) const noexcept {
    return KeyView{keys.data() + first[u] * key_width, nullptr, key_width};
  }
};

namespace {

// Matches result rows to the keys of one statement (`which`, unique indices; `index` maps every
// key of the batch to its unique index; `slot` is scratch space of the batch's size, all -1) and
// returns the pairs (position in which, row index). Exact matches first; then the loose
// spelling, but only where it is unambiguous on both sides: one key of the statement and one row
// spell it that way (a row returned for one key is then never handed to another key that the
// database would not have matched). A row that matched exactly can never match loosely (its
// key spells the same), so the loose pass runs only when some row is left over. Either way a
// row goes to one key at most.
template <class ViewOf>
std::vector<std::pair<std::size_t, std::size_t>> match_rows(const std::vector<Row>& rows,
                                                            const std::vector<std::size_t>& positions,
                                                            const std::vector<std::size_t>& which,
                                                            const KeyIndex& index,
                                                            std::vector<std::ptrdiff_t>& slot,
                                                            const ViewOf& view_of) {
  std::vector<std::pair<std::size_t, std::size_t>> matches;
  if (rows.empty() || positions.empty()) return matches;
  const std::size_t width = positions.size();
  const std::size_t needed = *std::max_element(positions.begin(), positions.end()) + 1;
  matches.reserve(std::min(rows.size(), which.size()));

  for (std::size_t w = 0; w < which.size(); ++w) slot[which[w]] = static_cast<std::ptrdiff_t>(w);
  std::vector<char> key_done(which.size(), 0), row_used(rows.size(), 0);
  std::size_t rows_left = rows.size();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() < needed) continue;
    const std::size_t found = index.find(KeyView{rows[r].values().data(), positions.data(), width}, view_of);
    if (found == KeyIndex::npos) continue;
    const std::ptrdiff_t w = slot[found];
    if (w < 0 || key_done[static_cast<std::size_t>(w)]) continue;
    key_done[static_cast<std::size_t>(w)] = 1;
    row_used[r] = 1;
    --rows_left;
    matches.emplace_back(static_cast<std::size_t>(w), r);
  }
  for (const std::size_t u : which) slot[u] = -1;
  if (rows_left == 0 || matches.size() == which.size()) return matches;

  // The loose pass, over what is left.
  std::unordered_map<std::string, std::ptrdiff_t> key_by_spelling;  // -1: ambiguous
  for (std::size_t w = 0; w < which.size(); ++w) {
    auto [entry, inserted] = key_by_spelling.try_emplace(loose_spelling(view_of(which[w])),
                                                         static_cast<std::ptrdiff_t>(w));
    if (!inserted) entry->second = -1;
  }
  std::unordered_map<std::string, std::ptrdiff_t> row_by_spelling;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() < needed) continue;
    auto [entry, inserted] = row_by_spelling.try_emplace(
        loose_spelling(KeyView{rows[r].values().data(), positions.data(), width}),
        static_cast<std::ptrdiff_t>(r));
    if (!inserted) entry->second = -1;
  }
  for (const auto& [spelling, w] : key_by_spelling) {
    if (w < 0 || key_done[static_cast<std::size_t>(w)]) continue;
    const auto row = row_by_spelling.find(spelling);
    if (row == row_by_spelling.end() || row->second < 0) continue;
    const auto r = static_cast<std::size_t>(row->second);
    if (row_used[r]) continue;
    key_done[static_cast<std::size_t>(w)] = 1;
    row_used[r] = 1;
    matches.emplace_back(static_cast<std::size_t>(w), r);
  }
  return matches;
}


}  // namespace

// SELECTs the keys in `which` (unique indices) in statements of at most max_rows keys and
// records the rows found. Keys that match no row are left without one.
void GetOrCreate::batch_select(Connection& connection, BatchState& state,
                               const std::vector<std::size_t>& which, std::size_t max_rows) const {
  const std::size_t width = state.key_width;
  std::vector<Value> params;
  std::vector<std::size_t> chunk;
  for (std::size_t begin = 0; begin < which.size(); begin += max_rows) {
    const std::size_t count = std::min(max_rows, which.size() - begin);
    const std::size_t rows = round_up_rows(count, max_rows);
    chunk.assign(which.begin() + static_cast<std::ptrdiff_t>(begin),
                 which.begin() + static_cast<std::ptrdiff_t>(begin + count));
    params.clear();
    params.reserve(rows * width);
    for (std::size_t i = 0; i < rows; ++i) {
      // Padding repeats the last key: IN (..., x, x) means the same as IN (..., x).
      for (const Value& value : state.key(chunk[std::min(i, count - 1)])) params.push_back(value);
    }
    Result result = connection.execute(batch_select_sql(rows), params);
    if (result.rows.empty()) continue;
    const auto positions = key_positions(result.rows.front().columns(), spec_.key_columns);
    const auto matches = match_rows(result.rows, positions, chunk, state.index, state.slot,
                                    [&](std::size_t u) { return state.key_view(u); });
    for (const auto& [w, r] : matches) state.row[chunk[w]] = std::move(result.rows[r]);
  }
}

// INSERTs the keys in `which` with ON CONFLICT DO NOTHING RETURNING * and records the rows our
// statement created. Rows it returned that match no key wait in state.unclaimed.
void GetOrCreate::batch_insert(Connection& connection, BatchState& state,
                               const std::vector<std::size_t>& which, std::size_t max_rows) const {
  std::vector<Value> params;
  std::vector<std::size_t> chunk;
  for (std::size_t begin = 0; begin < which.size(); begin += max_rows) {
    const std::size_t count = std::min(max_rows, which.size() - begin);
    const std::size_t rows = round_up_rows(count, max_rows);
    chunk.assign(which.begin() + static_cast<std::ptrdiff_t>(begin),
                 which.begin() + static_cast<std::ptrdiff_t>(begin + count));
    params.clear();
    params.reserve(rows * (state.key_width + state.default_width));
    for (std::size_t i = 0; i < rows; ++i) {
      // Padding repeats the last row: the copies conflict with it and are skipped.
      const std::size_t u = chunk[std::min(i, count - 1)];
      for (const Value& value : state.key(u)) params.push_back(value);
      for (const Value& value : state.defaults_of(u)) params.push_back(value);
    }
    Result result = connection.execute(batch_insert_sql(rows), params);
    if (result.rows.empty()) continue;
    const auto positions = key_positions(result.rows.front().columns(), spec_.key_columns);
    const auto matches = match_rows(result.rows, positions, chunk, state.index, state.slot,
                                    [&](std::size_t u) { return state.key_view(u); });
    std::vector<char> used(result.rows.size(), 0);
    for (const auto& [w, r] : matches) {
      used[r] = 1;
      state.row[chunk[w]] = std::move(result.rows[r]);
      state.created[chunk[w]] = 1;
    }
    for (std::size_t r = 0; r < result.rows.size(); ++r)
      if (!used[r]) state.unclaimed.push_back(std::move(result.rows[r]));
  }
}

// One missing key, inside the batch's transaction, the safe way. False when the row exists but
// cannot be seen (the caller of this function retries or reports that).
bool GetOrCreate::resolve_one_in_transaction(Connection& connection, BatchState& state,
                                             std::size_t u, bool inserted_already) const {
  const auto key = state.key(u);
  const auto defaults = state.defaults_of(u);
  const auto found_existing = [&](Row row) {
    // A row our own INSERT made, which no key claimed because the database stored the key
    // differently from how it was given ("007" as 7): recognised by the whole row.
    const auto ours = std::find_if(state.unclaimed.begin(), state.unclaimed.end(),
                                   [&](const Row& candidate) { return candidate.values() == row.values(); });
    if (ours != state.unclaimed.end()) {
      state.unclaimed.erase(ours);
      state.created[u] = 1;
    } else {
      state.conflict[u] = 1;
    }
    state.row[u] = std::move(row);
    return true;
  };
  if (auto found = select(connection, key)) return found_existing(std::move(*found));
  if (inserted_already) return false;  // multi_row: the batch INSERT skipped it, yet it is not visible

  if (batch_sql_->dialect.supports_savepoints) {
    bool conflict = false;
    if (auto created = insert_guarded(connection, safe_insert_sql_, key, defaults, conflict)) {
      state.row[u] = std::move(*created);
      state.created[u] = 1;
      return true;
    }
  } else if (!upsert_insert_sql_.empty()) {
    // No savepoints, but an insert that cannot fail on the key.
    if (std::optional<Row> created = insert_with(connection, upsert_insert_sql_, key, defaults)) {
      state.row[u] = std::move(*created);
      state.created[u] = 1;
      return true;
    }
  } else {
    throw_error(ErrorKind::unsupported,
                "batched get-or-create needs savepoints or INSERT ... ON CONFLICT DO NOTHING, "
                "and this backend has neither",
                std::string(connection.backend_name()));
  }
  if (auto found = select(connection, key)) {
    state.conflict[u] = 1;
    state.row[u] = std::move(*found);
    return true;
  }
  return false;
}

void GetOrCreate::resolve_missing(Connection& connection, BatchState& state, BatchMethod method,
                                  std::size_t max_parameters) const {
  std::vector<std::size_t> missing;
  for (std::size_t u = 0; u < state.size(); ++u)
    if (!state.row[u]) missing.push_back(u);
  if (missing.empty()) return;
  // One order for every batch: two batches that insert overlapping keys then lock them in the
  // same order and cannot deadlock each other.
  std::sort(missing.begin(), missing.end(), [&](std::size_t a, std::size_t b) {
    const auto x = state.key(a), y = state.key(b);
    for (std::size_t i = 0; i < x.size(); ++i)
      if (const int c = compare_values(x[i], y[i]); c != 0) return c < 0;
    return a < b;
  });

  if (method == BatchMethod::multi_row) {
    const std::size_t insert_rows =
        std::max<std::size_t>(1, max_parameters / (state.key_width + state.default_width));
    const std::size_t select_rows = std::max<std::size_t>(1, max_parameters / state.key_width);
    batch_insert(connection, state, missing, insert_rows);
    std::vector<std::size_t> rest;
    for (const std::size_t u : missing)
      if (!state.row[u]) rest.push_back(u);
    if (rest.empty()) return;
    // Skipped by DO NOTHING: another writer's row (or a key the database stores differently
    // from how it was given). Rows committed since the statement began are visible to this
    // SELECT under READ COMMITTED; under a snapshot they may not be, and that is reported.
    batch_select(connection, state, rest, select_rows);
    for (const std::size_t u : rest) {
      if (state.row[u]) {
        state.conflict[u] = 1;
        continue;
      }
      if (!resolve_one_in_transaction(connection, state, u, /*inserted_already=*/true)) return;
    }
    return;
  }
  for (const std::size_t u : missing)
    if (!resolve_one_in_transaction(connection, state, u, /*inserted_already=*/false)) return;
}

GetOrCreateBatchResult GetOrCreate::many(Connection& connection, std::span<const Value> keys,
                                         std::span<const Value> defaults,
                                         BatchOptions options) const {
  return run_many(connection, keys, defaults, options);
}

GetOrCreateBatchResult GetOrCreate::many(Connection& connection,
                                         std::span<const std::vector<Value>> keys,
                                         std::span<const std::vector<Value>> defaults,
                                         BatchOptions options) const {
  if (!defaults.empty() && defaults.size() != keys.size())
    throw_error(ErrorKind::invalid_argument,
                fmt::format("batched get-or-create on \"{}\" got {} keys but {} default lists",
                            printable(spec_.table), keys.size(), defaults.size()));
  std::vector<Value> flat_keys, flat_defaults;
  flat_keys.reserve(keys.size() * spec_.key_columns.size());
  for (const auto& key : keys) {
    if (key.size() != spec_.key_columns.size())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("batched get-or-create on \"{}\" expects {} key values per key, got {}",
                              printable(spec_.table), spec_.key_columns.size(), key.size()));
    flat_keys.insert(flat_keys.end(), key.begin(), key.end());
  }
  for (const auto& values : defaults) {
    if (values.size() != spec_.default_columns.size())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("batched get-or-create on \"{}\" expects {} default values per key, "
                              "got {}",
                              printable(spec_.table), spec_.default_columns.size(), values.size()));
    flat_defaults.insert(flat_defaults.end(), values.begin(), values.end());
  }
  return run_many(connection, flat_keys, flat_defaults, options);
}

GetOrCreateBatchResult GetOrCreate::run_many(Connection& connection, std::span<const Value> keys,
                                             std::span<const Value> defaults,
                                             BatchOptions options) const {
  const std::size_t key_width = spec_.key_columns.size();
  const std::size_t default_width = spec_.default_columns.size();
  if (spec_.strategy == Strategy::naive)
    throw_error(ErrorKind::invalid_argument,
                "batched get-or-create has no naive strategy: use safe or upsert");
  if (keys.size() % key_width != 0)
    throw_error(ErrorKind::invalid_argument,
                fmt::format("batched get-or-create on \"{}\": {} key values are not a whole number "
                            "of {}-column keys",
                            printable(spec_.table), keys.size(), key_width));
  const std::size_t count = keys.size() / key_width;
  if (default_width == 0 ? !defaults.empty()
                         : (defaults.size() != count * default_width))
    throw_error(ErrorKind::invalid_argument,
                fmt::format("batched get-or-create on \"{}\" expects {} default values for {} keys, "
                            "got {}",
                            printable(spec_.table), count * default_width, count, defaults.size()));
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i].is_null())
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("key column \"{}\" is NULL: a unique constraint never matches NULL",
                              printable(spec_.key_columns[i % key_width])));
  if (options.max_parameters < key_width + default_width)
    throw_error(ErrorKind::invalid_argument,
                fmt::format("max_parameters {} cannot hold one row of {} values",
                            options.max_parameters, key_width + default_width));

  BatchMethod method = options.method;
  if (method == BatchMethod::automatic)
    method = batch_sql_->multi_row ? BatchMethod::multi_row : BatchMethod::per_key;
  if (method == BatchMethod::multi_row && !batch_sql_->multi_row)
    throw_error(ErrorKind::unsupported,
                "BatchMethod::multi_row needs INSERT ... ON CONFLICT DO NOTHING and RETURNING, "
                "which this backend's dialect does not offer; use per_key or automatic",
                std::string(connection.backend_name()));

  GetOrCreateBatchResult out;
  if (count == 0) return out;

  BatchState state;
  state.keys = keys;
  state.defaults = defaults;
  state.key_width = key_width;
  state.default_width = default_width;
  state.unique_of.resize(count);
  state.index.reset(count);
  state.first.reserve(count);
  const auto view_of = [&](std::size_t u) { return state.key_view(u); };
  for (std::size_t i = 0; i < count; ++i) {
    const KeyView view{keys.data() + i * key_width, nullptr, key_width};
    const std::size_t u = state.index.insert(view, state.first.size(), view_of);
    if (u == state.first.size()) state.first.push_back(i);
    state.unique_of[i] = u;
  }
  const std::size_t unique = state.first.size();
  state.slot.assign(unique, -1);
  state.row.resize(unique);
  state.created.assign(unique, 0);
  state.conflict.assign(unique, 0);

  std::vector<std::size_t> everything(unique);
  std::iota(everything.begin(), everything.end(), std::size_t{0});
  const std::size_t select_rows = std::max<std::size_t>(1, options.max_parameters / key_width);

  const auto unresolved = [&] {
    return std::any_of(state.row.begin(), state.row.end(), [](const auto& row) { return !row; });
  };

  if (connection.in_transaction()) {
    batch_select(connection, state, everything, select_rows);
    resolve_missing(connection, state, method, options.max_parameters);
    if (unresolved())
      throw_row_invisible(connection.backend_name(),
                          "a row exists, but this transaction's snapshot cannot see it");
  } else {
    // The first look needs no transaction: a batch of hits never writes.
    batch_select(connection, state, everything, select_rows);
    if (unresolved()) {
      std::vector<char> found_first(unique);
      for (std::size_t u = 0; u < unique; ++u) found_first[u] = state.row[u].has_value();
      for (int attempt = 1;; ++attempt) {
        out.attempts = attempt;
        for (std::size_t u = 0; u < unique; ++u)
          if (!found_first[u]) state.row[u].reset();
        std::fill(state.created.begin(), state.created.end(), 0);
        std::fill(state.conflict.begin(), state.conflict.end(), 0);
        state.unclaimed.clear();
        try {
          Transaction transaction(connection, AccessMode::read_write);
          resolve_missing(connection, state, method, options.max_parameters);
          if (!unresolved()) {
            transaction.commit();
            break;
          }
          transaction.rollback();
          if (attempt >= spec_.retry.max_attempts)
            throw_row_invisible(connection.backend_name(),
                                fmt::format("a conflicting row stayed invisible for {} attempts",
                                            attempt));
        } catch (const Error& error) {
          if (!spec_.retry.should_retry(error, attempt)) throw;
        }
        ++out.transient_retries;
        spec_.retry.sleep_before(attempt);
      }
    }
  }

  out.keys.resize(count);
  // Backwards, so that the first occurrence of each key, which comes last, takes the row and
  // the duplicates before it copy it.
  for (std::size_t i = count; i-- > 0;) {
    const std::size_t u = state.unique_of[i];
    GetOrCreateResult& result = out.keys[i];
    const bool first = state.first[u] == i;
    result.created = first && state.created[u] != 0;
    result.conflicts = first && state.conflict[u] != 0 ? 1 : 0;
    result.attempts = out.attempts;
    result.transient_retries = out.transient_retries;
    result.row = first ? std::move(*state.row[u]) : *state.row[u];
    if (result.created) ++out.created;
    out.conflicts += result.conflicts;
  }
  out.existing = count - out.created;
  return out;
}

GetOrCreateResult get_or_create(Connection& connection, std::string_view table,
                                const std::vector<std::pair<std::string, Value>>& lookup,
                                const std::vector<std::pair<std::string, Value>>& defaults,
                                Strategy strategy, RetryPolicy retry) {
  GetOrCreateSpec spec{std::string(table), {}, {}, strategy, retry};
  std::vector<Value> key_values, default_values;
  for (const auto& [column, value] : lookup) {
    spec.key_columns.push_back(column);
    key_values.push_back(value);
  }
  for (const auto& [column, value] : defaults) {
    spec.default_columns.push_back(column);
    default_values.push_back(value);
  }
  const GetOrCreate operation(connection.dialect(), std::move(spec));
  return operation(connection, key_values, default_values);
}

}  // namespace anydb
