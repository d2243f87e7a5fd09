#pragma once

#include <anydb/error.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace anydb::mariadb {

inline constexpr std::string_view backend_name = "mariadb";

// The kind of one MariaDB/MySQL error number (server ER_* or client CR_*): the table in
// error.cpp, database_error for a number it does not list.
[[nodiscard]] ErrorKind kind_of_error(unsigned code) noexcept;

// Everything one error tells: kind, native code, SQLSTATE, the message on one line, and the
// constraint name (unique, foreign-key and CHECK violations) or column (NOT NULL) the message
// names. The columns of a unique key are not in the message: the connection looks them up.
[[nodiscard]] ErrorInfo describe_error(unsigned code, std::string_view sqlstate,
                                       std::string_view message);

// Errors raised by the backend itself rather than by the server.
[[noreturn]] inline void throw_backend_error(ErrorKind kind, std::string message) {
  anydb::throw_error(kind, std::move(message), std::string(backend_name));
}

}  // namespace anydb::mariadb
