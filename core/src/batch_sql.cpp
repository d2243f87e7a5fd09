#include "batch_sql.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace anydb::detail {

std::string column_list(const Dialect& dialect, const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& column : columns) {
    if (!out.empty()) out += ", ";
    out += dialect.quote_identifier(column);
  }
  return out;
}

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

BatchStatements::BatchStatements(const Dialect& dialect, const std::string& table,
                                 const std::vector<std::string>& key_columns,
                                 const std::vector<std::string>& default_columns)
    : dialect_(dialect),
      table_(dialect.quote_identifier(table)),
      insert_width_(key_columns.size() + default_columns.size()),
      multi_row_(dialect.upsert == Dialect::Upsert::on_conflict_do_nothing &&
                 dialect.supports_returning) {
  for (const auto& column : key_columns) key_columns_.push_back(dialect.quote_identifier(column));
  std::vector<std::string> insert_columns = key_columns;
  insert_columns.insert(insert_columns.end(), default_columns.begin(), default_columns.end());
  insert_columns_ = column_list(dialect, insert_columns);
}

const std::string& BatchStatements::select(std::size_t rows) const {
  if (rows == 0)
    throw_error(ErrorKind::invalid_argument, "a batch statement needs at least one row");
  const std::lock_guard lock(mutex_);
  auto [entry, inserted] = selects_.try_emplace(rows);
  if (inserted) entry->second = build_select(rows);
  return entry->second;
}

const std::string& BatchStatements::insert(std::size_t rows) const {
  if (rows == 0)
    throw_error(ErrorKind::invalid_argument, "a batch statement needs at least one row");
  if (!multi_row_)
    throw_error(ErrorKind::unsupported,
                "a multi-row batch insert needs INSERT ... ON CONFLICT DO NOTHING and RETURNING, "
                "which this backend's dialect does not offer; use BatchMethod::per_key");
  const std::lock_guard lock(mutex_);
  auto [entry, inserted] = inserts_.try_emplace(rows);
  if (inserted) entry->second = build_insert(rows);
  return entry->second;
}

std::string BatchStatements::build_select(std::size_t rows) const {
  const std::size_t width = key_columns_.size();
  std::string text = fmt::format("SELECT * FROM {} WHERE ", table_);
  if (width == 1) {
    // IN (...) is a flat list everywhere.
    text += key_columns_.front();
    text += " IN (";
    for (std::size_t i = 0; i < rows; ++i) {
      if (i > 0) text += ", ";
      text += dialect_.placeholder(static_cast<int>(i) + 1);
    }
    return text + ')';
  }
  // A composite key: (a = ? AND b = ?) OR ..., parenthesised as a balanced tree, because
  // SQLite limits the depth of an expression tree (1000) and a flat OR chain is a deep one.
  const auto term = [&](std::size_t row) {
    std::string out = "(";
    for (std::size_t k = 0; k < width; ++k) {
      if (k > 0) out += " AND ";
      out += key_columns_[k];
      out += " = ";
      out += dialect_.placeholder(static_cast<int>(row * width + k) + 1);
    }
    return out + ")";
  };
  const auto tree = [&](const auto& self, std::size_t first, std::size_t last) -> std::string {
    if (last - first == 1) return term(first);
    const std::size_t middle = first + (last - first) / 2;
    return "(" + self(self, first, middle) + " OR " + self(self, middle, last) + ")";
  };
  return text + tree(tree, 0, rows);
}

std::string BatchStatements::build_insert(std::size_t rows) const {
  std::string text = fmt::format("INSERT INTO {} ({}) VALUES ", table_, insert_columns_);
  for (std::size_t row = 0; row < rows; ++row) {
    text += row > 0 ? ", (" : "(";
    for (std::size_t column = 0; column < insert_width_; ++column) {
      if (column > 0) text += ", ";
      text += dialect_.placeholder(static_cast<int>(row * insert_width_ + column) + 1);
    }
    text += ')';
  }
  text += " ON CONFLICT (";
  for (std::size_t k = 0; k < key_columns_.size(); ++k)
    text += (k > 0 ? ", " : "") + key_columns_[k];
  return text + ") DO NOTHING RETURNING *";
}

}  // namespace anydb::detail
