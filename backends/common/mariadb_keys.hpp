#pragma once

// MariaDB names only the violated key in a duplicate-entry error ("for key 'k'"); get-or-create
// needs its columns to tell a lost race on its own key from a violation of another unique key.
// Both the native backend and the ODBC backend look them up the same way.

#include <anydb/value.hpp>

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::support {

// The table of "INSERT [IGNORE] INTO [db.]table ...", unquoted, or "" for any other statement.
[[nodiscard]] std::string mariadb_insert_target(std::string_view sql);

// The columns of unique keys, by table and key name, looked up once each in
// information_schema.STATISTICS.
class MariadbKeyColumns {
 public:
  // Runs lookup_sql with (table, key) bound and returns its rows.
  using Lookup = std::function<Result(std::span<const Value> params)>;
  static constexpr std::string_view lookup_sql =
      "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
      "AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX";

  // The columns of `key` in the table that `sql` (the failed INSERT) writes to; empty when the
  // statement is no INSERT or the lookup fails (the violation is reported with the key's name
  // only).
  [[nodiscard]] std::vector<std::string> of(std::string_view sql, const std::string& key,
                                            const Lookup& lookup);

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> cache_;  // "table\0key"
};

}  // namespace anydb::support
