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

// The key columns of a unique violation's detail, "Key (a, \"B c\")=(1, x) already exists.":
// {"a", "B c"}. Empty when the detail has another shape (a translated server, an expression
// index), which callers read as "columns unknown".
[[nodiscard]] std::vector<std::string> key_columns_from_detail(std::string_view detail);

// libpq text on one line: runs of whitespace that contain a line break or tab become one space,
// surrounding whitespace is trimmed.
[[nodiscard]] std::string one_line(std::string_view text);
// The first line of libpq text, trimmed (libpq puts hints on further, tab-indented lines).
[[nodiscard]] std::string first_line(std::string_view text);

// Errors raised by the backend itself rather than by the server.
[[noreturn]] inline void throw_backend_error(ErrorKind kind, std::string message) {
  anydb::throw_error(kind, std::move(message), std::string(backend_name));
}

}  // namespace anydb::postgresql
