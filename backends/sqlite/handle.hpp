#pragma once

// Owning handles for the two SQLite objects the backend keeps, so that no path (an exception
// half-way through opening, a statement evicted from the cache) can leak one.

#include <sqlite3.h>

#include <cstdint>
#include <memory>

namespace anydb::sqlite {

struct CloseDatabase {
  // sqlite3_close_v2, not sqlite3_close: it never fails with SQLITE_BUSY for unfinalised
  // statements but defers the close until the last one is gone, which a destructor needs.
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, CloseDatabase>;

struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// SQLITE_TRANSIENT is an old-style cast in sqlite3.h; this is the same value ("copy the bytes
// before returning") spelled so that -Wold-style-cast stays quiet.
inline const sqlite3_destructor_type transient_destructor =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

}  // namespace anydb::sqlite
