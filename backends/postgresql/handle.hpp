#pragma once

// Owning handles for the libpq objects the backend keeps, so that no path (an exception half-way
// through connecting, a statement that failed to materialise) can leak one.

#include <libpq-fe.h>

#include <memory>

namespace anydb::postgresql {

struct FinishConnection {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
// PQfinish also closes the server session, which drops every statement it prepared.
using ConnectionHandle = std::unique_ptr<PGconn, FinishConnection>;

struct ClearResult {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using ResultHandle = std::unique_ptr<PGresult, ClearResult>;

// Memory that libpq allocated for the caller (PQunescapeBytea, PQconninfoParse's message).
struct FreeLibpqMemory {
  void operator()(void* memory) const noexcept { PQfreemem(memory); }
};
template <class T>
using LibpqBuffer = std::unique_ptr<T, FreeLibpqMemory>;

struct FreeConninfoOptions {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};
using ConninfoOptions = std::unique_ptr<PQconninfoOption, FreeConninfoOptions>;

}  // namespace anydb::postgresql
