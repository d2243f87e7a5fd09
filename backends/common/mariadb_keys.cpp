#include "common/mariadb_keys.hpp"

#include "common/text.hpp"

#include <anydb/error.hpp>

#include <array>
#include <cctype>

namespace anydb::support {
namespace {

[[nodiscard]] bool is_space(char c) noexcept {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Consumes `word` (lower case) and the blanks before it, ignoring case.
[[nodiscard]] bool take_keyword(std::string_view& sql, std::string_view word) {
  while (!sql.empty() && is_space(sql.front())) sql.remove_prefix(1);
  if (sql.size() < word.size() || !iequals(sql.substr(0, word.size()), word)) return false;
  sql.remove_prefix(word.size());
  return true;
}

[[nodiscard]] std::string take_backquoted(std::string_view& sql) {
  std::string name;
  for (std::size_t i = 1; i < sql.size(); ++i) {
    if (sql[i] != '`') {
      name += sql[i];
    } else if (i + 1 < sql.size() && sql[i + 1] == '`') {
      name += '`';
      ++i;
    } else {
      sql.remove_prefix(i + 1);
      return name;
    }
  }
  return {};
}

// One identifier, `quoted` (`` doubled inside) or plain, consumed from `sql`; "" when none.
[[nodiscard]] std::string take_identifier(std::string_view& sql) {
  if (!sql.empty() && sql.front() == '`') return take_backquoted(sql);
  const auto word_char = [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || std::isalnum(byte) != 0 || c == '_' || c == '$';
  };
  std::size_t i = 0;
  while (i < sql.size() && word_char(sql[i])) ++i;
  std::string name(sql.substr(0, i));
  sql.remove_prefix(i);
  return name;
}

}  // namespace

std::string mariadb_insert_target(std::string_view sql) {
  if (!take_keyword(sql, "insert")) return {};
  (void)take_keyword(sql, "ignore");
  if (!take_keyword(sql, "into")) return {};
  while (!sql.empty() && is_space(sql.front())) sql.remove_prefix(1);
  std::string table = take_identifier(sql);
  if (!table.empty() && sql.starts_with('.')) {
    sql.remove_prefix(1);
    table = take_identifier(sql);
  }
  return table;
}

std::vector<std::string> MariadbKeyColumns::of(std::string_view sql, const std::string& key,
                                               const Lookup& lookup) {
  const std::string table = mariadb_insert_target(sql);
  if (table.empty()) return {};
  const std::string cache_key = table + '\0' + key;
  if (const auto found = cache_.find(cache_key); found != cache_.end()) return found->second;
  try {
    const std::array params{Value(table), Value(key)};
    const Result result = lookup(params);
    std::vector<std::string> columns;
    for (const Row& row : result.rows) columns.push_back(row[0].as_text());
    if (cache_.size() > 256) cache_.clear();
    cache_.emplace(cache_key, columns);
    return columns;
  } catch (const Error& error) {
    // The lookup runs inside the caller's transaction. A deadlock there (on Galera, the
    // transaction was aborted by a conflicting write set from another node while the unique
    // violation was being described) or a lost connection ended that transaction: that, not
    // the unique violation, is what the caller must hear, as a transient error it can retry.
    if (error.is_transient() || error.is_connection_error()) throw;
    return {};
  }
}

}  // namespace anydb::support
