#pragma once

#include <anydb/error.hpp>

#include <sql.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {

inline constexpr std::string_view backend_name = "odbc";

// The database product behind a driver, as SQLGetInfo(SQL_DBMS_NAME) reports it. Dialect,
// driver quirks and the error mapping are chosen per product: an SQLSTATE alone does not tell
// a duplicate key from a NOT NULL violation (MariaDB sends 23000 for both, the SQLite driver
// HY000 for everything).
enum class Product { generic, sqlite, postgresql, mariadb };

[[nodiscard]] std::string_view to_string(Product product) noexcept;

// One diagnostic record (SQLGetDiagRec).
struct Diagnostic {
  std::string sqlstate;  // five characters
  std::int64_t native = 0;
  std::string message;  // as the driver wrote it (may span lines)
};

// Every diagnostic record of `handle`, in order.
[[nodiscard]] std::vector<Diagnostic> read_diagnostics(SQLSMALLINT handle_type, SQLHANDLE handle);

// The records as one line: "[SQLSTATE] message (native N); [...] ...", newlines replaced.
[[nodiscard]] std::string join_diagnostics(const std::vector<Diagnostic>& records);

// The record that says what went wrong: the first that is not a warning (class 01).
[[nodiscard]] const Diagnostic* primary_diagnostic(const std::vector<Diagnostic>& records) noexcept;

class ProductProfile;

// THE mapping: kind, SQLSTATE, native code, constraint and columns for the diagnostics of a
// failed call on a database of the profile's product: the product's rows (profile_<product>.cpp)
// first, then ODBC's standard SQLSTATEs (error.cpp). The message is the joined records.
[[nodiscard]] ErrorInfo classify(const ProductProfile& profile,
                                 const std::vector<Diagnostic>& records);

// Errors raised by the backend itself rather than by a driver.
[[noreturn]] inline void throw_backend_error(ErrorKind kind, std::string message) {
  anydb::throw_error(kind, std::move(message), std::string(backend_name));
}

}  // namespace anydb::odbc
