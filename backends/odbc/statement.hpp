#pragma once

#include "handle.hpp"

#include <anydb/connection.hpp>
#include <anydb/value.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {

class OdbcConnection;

// One prepared ODBC statement (SQLPrepare), owned by the cache of the OdbcConnection that made
// it, which outlives it.
class OdbcStatement final : public Statement {
 public:
  OdbcStatement(OdbcConnection& connection, std::string_view sql);
  ~OdbcStatement() override = default;
  OdbcStatement(const OdbcStatement&) = delete;
  OdbcStatement& operator=(const OdbcStatement&) = delete;

 protected:
  // Binds `params` in order, executes, fetches every row with SQLGetData (in pieces, so text
  // and blobs of any length work) and closes the cursor on every exit, so that no statement
  // keeps a read lock (SQLite) or an unread result (MariaDB) behind.
  [[nodiscard]] Result do_execute(std::span<const Value> params) override;

 private:
  enum class Kind { integer, real, text, blob };

  [[nodiscard]] StatementHandle prepare_handle();
  [[nodiscard]] Result execute_once(std::span<const Value> params);
  void prepare_again_if_schema_changed();

  void describe(SQLSMALLINT count);
  [[nodiscard]] Value fetch(SQLUSMALLINT column, Kind kind);
  template <class Bytes>
  [[nodiscard]] bool fetch_bytes(SQLUSMALLINT column, bool binary, Bytes& out);

  OdbcConnection& connection_;
  StatementHandle statement_;
  std::string sql_;
  std::optional<SQLSMALLINT> parameter_count_;  // none when the driver cannot tell
  std::int64_t schema_version_ = -1;            // SQLite: PRAGMA schema_version when last prepared
  ColumnNames columns_;
  std::vector<Kind> kinds_;
  std::vector<char> buffer_;
};

}  // namespace anydb::odbc
