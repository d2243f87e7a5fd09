#include "common/mariadb_dialect.hpp"

namespace anydb::support {

Dialect mariadb_dialect() {
  Dialect dialect;
  dialect.placeholders = Dialect::Placeholders::question_mark;
  // Backticks rather than sql_mode=ANSI_QUOTES: changing the session's sql_mode would change
  // what the application's own SQL means ("..." would stop being a string).
  dialect.identifier_quote = '`';
  // No upsert. INSERT IGNORE would do "insert unless the key exists", but it also turns NOT NULL,
  // foreign-key, CHECK and truncation errors into warnings and inserts whatever it can, hiding
  // them; ON DUPLICATE KEY UPDATE is not "do nothing" (it takes locks and bumps AUTO_INCREMENT).
  // The core then uses the safe strategy and the per-key batch path.
  dialect.upsert = Dialect::Upsert::none;
  // No RETURNING: MariaDB 10.5+ has INSERT ... RETURNING, MySQL has none, and get-or-create does
  // not need it. Through Connector/ODBC 3.1.15 a failing INSERT ... RETURNING (a duplicate key,
  // exactly get-or-create's lost race) never returns at all (seen with 10.11; tests/odbc pins it).
  dialect.supports_returning = false;
  dialect.supports_savepoints = true;
  dialect.identity_column = "BIGINT AUTO_INCREMENT PRIMARY KEY";
  dialect.blob_type = "LONGBLOB";
  dialect.text_type = "LONGTEXT";  // TEXT stops at 64 KiB
  return dialect;
}

}  // namespace anydb::support
