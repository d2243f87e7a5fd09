#pragma once

// Owning handles for the Connector/C objects the backend keeps, so that no path (an exception
// half-way through connecting, a statement that failed to prepare) can leak one.

#include <mysql.h>

#include <memory>

namespace anydb::mariadb {

struct CloseConnection {
  void operator()(MYSQL* mysql) const noexcept { mysql_close(mysql); }
};
// mysql_close ends the server session, which rolls back an open transaction and drops every
// statement it prepared.
using ConnectionHandle = std::unique_ptr<MYSQL, CloseConnection>;

struct CloseStatement {
  void operator()(MYSQL_STMT* stmt) const noexcept { mysql_stmt_close(stmt); }
};
using StatementHandle = std::unique_ptr<MYSQL_STMT, CloseStatement>;

struct FreeResult {
  void operator()(MYSQL_RES* result) const noexcept { mysql_free_result(result); }
};
using ResultHandle = std::unique_ptr<MYSQL_RES, FreeResult>;

}  // namespace anydb::mariadb
