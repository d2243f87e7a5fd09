// GetOrCreate's construction: the spec checked and compiled into statements (GetOrCreatePlan),
// the names of its enums, and the one-shot get_or_create(). get_or_create_plan.hpp lists where
// the rest lives.

#include "get_or_create_plan.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace anydb {

namespace {

GetOrCreateSpec checked(GetOrCreateSpec spec) {
  if (spec.key_columns.empty())
    throw_error(ErrorKind::invalid_argument, "get-or-create needs at least one key column");
  if (spec.retry.max_attempts < 1)
    throw_error(ErrorKind::invalid_argument, "get-or-create needs retry.max_attempts >= 1");
  std::set<std::string> seen;
  for (const auto* columns : {&spec.key_columns, &spec.default_columns})
    for (const auto& column : *columns)
      if (!seen.insert(column).second)
        throw_error(ErrorKind::invalid_argument,
                    fmt::format("column \"{}\" is given twice", printable(column)));
  return spec;
}

// "k1 = ? AND k2 = ?"
std::string key_condition(const Dialect& dialect, const std::vector<std::string>& key_columns) {
  std::string where;
  for (std::size_t i = 0; i < key_columns.size(); ++i) {
    if (i > 0) where += " AND ";
    where += fmt::format("{} = {}", dialect.quote_identifier(key_columns[i]),
                         dialect.placeholder(static_cast<int>(i) + 1));
  }
  return where;
}

std::string plain_insert(const Dialect& dialect, const GetOrCreateSpec& spec) {
  std::vector<std::string> columns = spec.key_columns;
  columns.insert(columns.end(), spec.default_columns.begin(), spec.default_columns.end());
  std::string placeholders;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) placeholders += ", ";
    placeholders += dialect.placeholder(static_cast<int>(i) + 1);
  }
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", dialect.quote_identifier(spec.table),
                     detail::column_list(dialect, columns), placeholders);
}

}  // namespace

namespace detail {

// Every identifier is quoted (and so checked) before the strategy is: a bad name is reported
// first, whatever else is wrong.
GetOrCreatePlan::GetOrCreatePlan(const Dialect& target, GetOrCreateSpec given)
    : spec(checked(std::move(given))),
      dialect(target),
      returning(target.supports_returning && target.single_row_returning),
      batch(target, spec.table, spec.key_columns, spec.default_columns) {
  select_sql = fmt::format("SELECT * FROM {} WHERE {}", dialect.quote_identifier(spec.table),
                           key_condition(dialect, spec.key_columns));
  const bool has_upsert = dialect.upsert == Dialect::Upsert::on_conflict_do_nothing;
  if (spec.strategy == Strategy::upsert && !has_upsert)
    throw_error(ErrorKind::unsupported,
                "the upsert strategy needs INSERT ... ON CONFLICT DO NOTHING, which this "
                "backend does not offer; use the safe strategy");
  const std::string insert = plain_insert(dialect, spec);
  const std::string returning_clause = returning ? " RETURNING *" : "";
  safe_insert_sql = insert + returning_clause;
  if (has_upsert)
    upsert_insert_sql = fmt::format("{} ON CONFLICT ({}) DO NOTHING{}", insert,
                                    column_list(dialect, spec.key_columns), returning_clause);
  insert_sql = spec.strategy == Strategy::upsert ? upsert_insert_sql : safe_insert_sql;
}

}  // namespace detail

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

std::string_view to_string(BatchMethod method) noexcept {
  switch (method) {
    case BatchMethod::automatic: return "automatic";
    case BatchMethod::multi_row: return "multi_row";
    case BatchMethod::per_key: return "per_key";
  }
  return "unknown";
}

GetOrCreate::GetOrCreate(const Dialect& dialect, GetOrCreateSpec spec)
    : plan_(std::make_shared<const detail::GetOrCreatePlan>(dialect, std::move(spec))) {}

const GetOrCreateSpec& GetOrCreate::spec() const noexcept { return plan_->spec; }
const std::string& GetOrCreate::select_sql() const noexcept { return plan_->select_sql; }
const std::string& GetOrCreate::insert_sql() const noexcept { return plan_->insert_sql; }

const std::string& GetOrCreate::batch_select_sql(std::size_t rows) const {
  return plan_->batch.select(rows);
}

const std::string& GetOrCreate::batch_insert_sql(std::size_t rows) const {
  return plan_->batch.insert(rows);
}

std::size_t GetOrCreate::batch_statement_rows(std::size_t keys, std::size_t max_rows) noexcept {
  return detail::round_up_rows(keys, std::max<std::size_t>(max_rows, 1));
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
