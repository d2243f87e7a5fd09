#pragma once

// Parsers for what databases say about a violated constraint, where more than one backend reads
// the same text (the native backend and the ODBC backend through that database's driver).

#include <anydb/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace anydb::support {

// SQLite: fills in ErrorInfo::columns (or ::constraint) from a message holding
// "<KIND> constraint failed: t.a, t.b" (or "index 'name'", or a CHECK's name). Uses info.kind.
void add_sqlite_constraint_details(ErrorInfo& info, std::string_view message);

// PostgreSQL: the columns of `Key (a, "B c")=(...)` — the DETAIL of a unique violation, found
// anywhere in `text` —, or nothing when the key is an expression (`Key (lower(name))=...`).
[[nodiscard]] std::vector<std::string> postgresql_key_columns(std::string_view text);

}  // namespace anydb::support
