#pragma once

#include <anydb/export.hpp>

#include <string>
#include <string_view>

namespace anydb {

// What a statement must look like for one database. A plain value type: backends fill one in,
// the core (get-or-create, the conformance suite, the CLI) builds portable SQL from it.
struct ANYDB_API Dialect {
  enum class Placeholders { question_mark, dollar_numbered };  // ?  versus  $1, $2, ...
  enum class Upsert {
    none,                    // no single-statement insert-if-absent
    on_conflict_do_nothing,  // INSERT ... ON CONFLICT (cols) DO NOTHING (PostgreSQL, SQLite)
  };

  Placeholders placeholders = Placeholders::question_mark;
  char identifier_quote = '"';  // doubled inside a quoted identifier
  Upsert upsert = Upsert::none;
  bool supports_returning = false;  // INSERT ... RETURNING
  // Whether get-or-create's one-row INSERT should end in RETURNING * (when supports_returning).
  // False where a plain INSERT and a SELECT of the key cost less: SQLite builds a temporary
  // table for every RETURNING. Batch inserts use RETURNING whenever supports_returning.
  bool single_row_returning = true;
  bool supports_savepoints = true;
  // The column definition of an auto-generated integer primary key, for portable DDL in tests,
  // the demo table and examples.
  std::string identity_column = "INTEGER PRIMARY KEY";
  // The column type for binary data (BLOB, BYTEA, LONGBLOB, ...), for portable DDL.
  std::string blob_type = "BLOB";
  // The column type for text of any length (TEXT; LONGTEXT where TEXT is capped, as MariaDB's
  // 64 KiB), for portable DDL.
  std::string text_type = "TEXT";
  // Significant decimal digits of a REAL/DOUBLE value that survive a round trip: 17 where
  // doubles come back bit for bit; fewer where a driver converts through text (the SQLite
  // ODBC driver keeps 15).
  int real_digits = 17;

  // The placeholder for the index-th (1-based) parameter.
  [[nodiscard]] std::string placeholder(int index) const;
  // Validates `name` (see validate_identifier) and quotes it. Throws anydb::InvalidArgument.
  [[nodiscard]] std::string quote_identifier(std::string_view name) const;
};

// Accepts 1 to 128 bytes of valid UTF-8 without NUL or other control characters. Everything
// else, quotes and semicolons included, is allowed because identifiers are always quoted.
// Throws anydb::InvalidArgument with a message that shows the offending name safely escaped.
ANYDB_API void validate_identifier(std::string_view name);

// Renders arbitrary bytes for an error message: printable text (valid UTF-8) as is, everything
// else (control bytes, NUL, invalid UTF-8, backslashes) as \xNN, cut to `max_bytes` with "...".
[[nodiscard]] ANYDB_API std::string printable(std::string_view bytes, std::size_t max_bytes = 80);

}  // namespace anydb
