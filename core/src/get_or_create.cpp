#include <anydb/error.hpp>
#include <anydb/get_or_create.hpp>
#include <anydb/transaction.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>

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
bool violation_is_on_key(const UniqueViolation& violation, const std::vector<std::string>& key) {
  const auto& columns = violation.columns();
  if (columns.empty()) return true;
  return std::all_of(key.begin(), key.end(), [&](const std::string& column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  });
}

}  // namespace

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
  insert_sql_ = fmt::format("INSERT INTO {} ({}) VALUES ({})", table,
                            column_list(dialect, insert_columns), placeholders);
  if (spec_.strategy == Strategy::upsert) {
    if (dialect.upsert != Dialect::Upsert::on_conflict_do_nothing)
      throw_error(ErrorKind::unsupported,
                  "the upsert strategy needs INSERT ... ON CONFLICT DO NOTHING, which this "
                  "backend does not offer; use the safe strategy");
    insert_sql_ += fmt::format(" ON CONFLICT ({}) DO NOTHING", column_list(dialect, spec_.key_columns));
  }
  returning_ = dialect.supports_returning;
  if (returning_) insert_sql_ += " RETURNING *";
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
  const std::vector<Value> params = concatenate(key, defaults);
  Result result = connection.execute(insert_sql_, params);
  if (returning_) {
    if (result.rows.empty()) return std::nullopt;
    return std::move(result.rows.front());
  }
  if (result.rows_affected == 0) return std::nullopt;
  return select(connection, key);
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
    Transaction transaction(connection, AccessMode::read_write);
    try {
      std::optional<Row> created = insert(connection, key, defaults);
      transaction.commit();
      if (created) {
        result.row = std::move(*created);
        result.created = true;
        return true;
      }
    } catch (const UniqueViolation& violation) {
      transaction.rollback();
      if (!violation_is_on_key(violation, spec_.key_columns)) throw;
      ++result.conflicts;
    }
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
    Transaction savepoint(connection);
    try {
      std::optional<Row> created = insert(connection, key, defaults);
      savepoint.commit();
      if (created) {
        result.row = std::move(*created);
        result.created = true;
        return result;
      }
    } catch (const UniqueViolation& violation) {
      savepoint.rollback();
      if (!violation_is_on_key(violation, spec_.key_columns)) throw;
      ++result.conflicts;
    }
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
