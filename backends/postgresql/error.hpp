#pragma once

#include <anydb/error.hpp>

#include <libpq-fe.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anydb::postgresql {

inline constexpr std::string_view backend_name = "postgresql";

// The kind of one SQLSTATE: the mapping table in error.cpp (an exact code first, then its
// two-character class, then database_error).
[[nodiscard]] ErrorKind kind_of_sqlstate(std::string_view sqlstate) noexcept;

// Everything a failed command tells: kind, SQLSTATE, a one-line message (primary message plus
// detail), constraint name and columns where PostgreSQL names them. `result` may be null: libpq
// produced no result at all, which means a lost connection when PQstatus(conn) says so.
// transaction_aborted is left to the caller, who knows whether a transaction was open.
[[nodiscard]] ErrorInfo describe_error(PGconn* conn, const PGresult* result);

// Errors raised by the backend itself rather than by the server.
[[noreturn]] inline void throw_backend_error(ErrorKind kind, std::string message) {
  anydb::throw_error(kind, std::move(message), std::string(backend_name));
}

}  // namespace anydb::postgresql
