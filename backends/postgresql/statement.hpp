#pragma once

#include "convert.hpp"

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

// One server-side prepared statement, owned by the cache of the PgConnection that made it.
class PgStatement final : public Statement {
 public:
  // `described` is PQdescribePrepared's answer for `name`: parameter and column types.
  PgStatement(PgConnection& connection, std::string sql, std::string name,
              const PGresult& described);
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

  PgConnection& connection_;
  std::string sql_;
  std::string name_;
  std::vector<Oid> parameter_types_;  // as the server inferred them
  std::vector<std::pair<std::vector<Oid>, std::string>> variants_;
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Oid> column_types_;
};

}  // namespace anydb::postgresql
