#pragma once

#include "handle.hpp"

#include <anydb/connection.hpp>
#include <anydb/value.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace anydb::sqlite {

// One prepared sqlite3_stmt, owned by the cache of the SqliteConnection that made it.
class SqliteStatement final : public Statement {
 public:
  explicit SqliteStatement(StatementHandle statement);
  ~SqliteStatement() override = default;

 protected:
  // Binds `params` in order, steps to the end and materialises every row. The statement is
  // left reset on every exit, so that it never keeps a read transaction (and its lock) open.
  [[nodiscard]] Result do_execute(std::span<const Value> params) override;

 private:
  void bind(std::span<const Value> params);
  // Appends column `index` of the current row to `out`.
  void append_column(std::vector<Value>& out, int index) const;
  // SQLite re-prepares a statement after a schema change, which can change its columns.
  void refresh_columns();

  StatementHandle statement_;
  sqlite3* db_;
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::size_t last_row_count_ = 0;  // a capacity hint for the next result
  int reprepare_count_ = -1;        // SQLITE_STMTSTATUS_REPREPARE when columns_ was read
};

}  // namespace anydb::sqlite
