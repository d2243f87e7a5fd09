#pragma once

#include "handle.hpp"

#include <anydb/connection.hpp>
#include <anydb/value.hpp>

#include <mysql.h>

#include <span>
#include <string>
#include <vector>

namespace anydb::mariadb {

class MariaDbConnection;

// One server-side prepared statement on the binary protocol, owned by the cache of the
// MariaDbConnection that made it (or by the connection itself, for its private lookups).
class MariaDbStatement final : public Statement {
 public:
  // Prepares `sql`. Throws the mapped error (anydb::SyntaxError, anydb::UndefinedObject, ...).
  MariaDbStatement(MariaDbConnection& connection, std::string sql);
  ~MariaDbStatement() override;
  MariaDbStatement(const MariaDbStatement&) = delete;
  MariaDbStatement& operator=(const MariaDbStatement&) = delete;

  // How a result column is read.
  enum class Kind { integer, unsigned_integer, real, text, blob };

 protected:
  // Binds `params` by type, runs the statement and reads every row (buffered on the client with
  // mysql_stmt_store_result, so that the connection is free again at once). Throws
  // anydb::InvalidArgument when the number of parameters is wrong.
  [[nodiscard]] Result do_execute(std::span<const Value> params) override;

 private:
  void bind_parameters(std::span<const Value> params);
  void describe_columns();
  [[nodiscard]] Result read_rows();
  // (Re)prepares sql_ on a new handle.
  void prepare();
  [[nodiscard]] Result execute_once(std::span<const Value> params);
  void skip_further_results();
  [[nodiscard]] Value column_value(std::size_t column);

  MariaDbConnection& connection_;
  std::string sql_;
  StatementHandle stmt_;
  unsigned long parameter_count_ = 0;
  // The result's shape, re-read when the server reports other columns.
  std::vector<enum_field_types> column_types_;
  std::vector<Kind> kinds_;
  ColumnNames columns_;
  // Output buffers, one per column, reused from row to row.
  struct Slot {
    std::int64_t integer = 0;
    double real = 0;
    std::string bytes;
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
  };
  std::vector<Slot> slots_;
  std::vector<MYSQL_BIND> result_binds_;
};

}  // namespace anydb::mariadb
