#pragma once

#include "convert.hpp"
#include "handle.hpp"

#include <anydb/connection.hpp>
#include <anydb/value.hpp>

#include <libpq-fe.h>

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace anydb::postgresql {

class PgConnection;

// One statement, owned by the cache of the PgConnection that made it: a server-side prepared
// statement, or (pooler=transaction) the SQL text, parsed anew as the unnamed statement with
// every execution because a pooler may lend another server session each time.
class PgStatement final : public Statement {
 public:
  // `described` is PQdescribePrepared's answer for `name`: parameter and column types.
  PgStatement(PgConnection& connection, std::string sql, std::string name,
              const PGresult& described);
  // Unnamed: the server checks the parameter count and learns the types at each execution.
  PgStatement(PgConnection& connection, std::string sql);
  ~PgStatement() override;
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

 protected:
  // Binds `params` (text, blobs as binary bytea), runs the statement and reads every row.
  // Throws anydb::InvalidArgument when the number of parameters is wrong.
  [[nodiscard]] Result do_execute(std::span<const Value> params) override;

 private:
  // The prepared statement to run: the first one when the server inferred bytea wherever a
  // blob is bound, otherwise a variant (prepared once) that declares bytea there.
  [[nodiscard]] const std::string& name_for(const Parameters& params);
  void describe_columns(const PGresult& result);
  // The rows of a successful execution, read by the column types (learnt again when the
  // result's differ: always the first time for an unnamed statement).
  [[nodiscard]] Result read_result(const ResultHandle& result);

  PgConnection& connection_;
  std::string sql_;
  std::string name_;                  // empty: unnamed
  std::vector<Oid> parameter_types_;  // as the server inferred them (named only)
  std::vector<std::pair<std::vector<Oid>, std::string>> variants_;
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Oid> column_types_;
};

}  // namespace anydb::postgresql
