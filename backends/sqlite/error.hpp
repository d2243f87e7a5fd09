#pragma once

#include <anydb/error.hpp>

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <utility>

namespace anydb::sqlite {

inline constexpr std::string_view backend_name = "sqlite";

// Throws the anydb exception for SQLite result code `rc` (an extended code), with the message
// SQLite left on `db` (which may be null). `was_in_transaction` is whether a transaction was
// open before the failing call: if none is open afterwards, SQLite rolled it back by itself
// and the error says so (transaction_aborted).
[[noreturn]] void throw_sqlite_error(sqlite3* db, int rc);

// The same for a failure while opening or configuring a connection, which connect() reports
// as anydb::ConnectionFailed (or anydb::Busy, which is worth retrying). `target` names the
// database for the message and must already be redacted.
[[noreturn]] void throw_open_error(sqlite3* db, int rc, std::string_view target);

// Errors raised by the backend itself rather than by SQLite.
[[noreturn]] inline void throw_backend_error(ErrorKind kind, std::string message) {
  anydb::throw_error(kind, std::move(message), std::string(backend_name));
}

}  // namespace anydb::sqlite
