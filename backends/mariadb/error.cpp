#include "error.hpp"

#include <array>
#include <string>
#include <string_view>

namespace anydb::mariadb {
namespace {

struct CodeRule {
  unsigned code;
  ErrorKind kind;
};

// THE mapping from MariaDB/MySQL error numbers to anydb kinds. The SQLSTATE is too coarse to
// decide (23000 covers every integrity error, HY000 half the rest), so the number does. What an
// error did to an open transaction is not decided here: the connection asks the server
// (@@in_transaction) after every error inside one.
constexpr std::array rules{
    // Integrity. 1062 names only the key: the connection looks its columns up, so that
    // get-or-create can tell its own key's lost race from another unique key's violation.
    CodeRule{1062, ErrorKind::unique_violation},       // ER_DUP_ENTRY
    CodeRule{1586, ErrorKind::unique_violation},       // ER_DUP_ENTRY_WITH_KEY_NAME
    CodeRule{1452, ErrorKind::foreign_key_violation},  // ER_NO_REFERENCED_ROW_2 (insert child)
    CodeRule{1451, ErrorKind::foreign_key_violation},  // ER_ROW_IS_REFERENCED_2 (delete parent)
    CodeRule{1216, ErrorKind::foreign_key_violation},  // ER_NO_REFERENCED_ROW (older servers)
    CodeRule{1217, ErrorKind::foreign_key_violation},  // ER_ROW_IS_REFERENCED (older servers)
    CodeRule{1048, ErrorKind::not_null_violation},     // ER_BAD_NULL_ERROR: NULL into NOT NULL
    // A NOT NULL column without a default left out of an INSERT: in strict mode the same
    // violation as writing NULL into it.
    CodeRule{1364, ErrorKind::not_null_violation},  // ER_NO_DEFAULT_FOR_FIELD
    CodeRule{4025, ErrorKind::check_violation},     // ER_CONSTRAINT_FAILED (MariaDB)
    CodeRule{3819, ErrorKind::check_violation},     // ER_CHECK_CONSTRAINT_VIOLATED (MySQL 8)
    // Concurrency. InnoDB rolls the whole transaction back on a deadlock, and on a lock wait
    // timeout only the statement (unless innodb_rollback_on_timeout): both are retried.
    CodeRule{1213, ErrorKind::deadlock},  // ER_LOCK_DEADLOCK
    CodeRule{1205, ErrorKind::busy},      // ER_LOCK_WAIT_TIMEOUT
    CodeRule{3572, ErrorKind::busy},      // ER_LOCK_NOWAIT (MySQL 8 NOWAIT)
    CodeRule{1969, ErrorKind::busy},      // ER_STATEMENT_TIMEOUT (max_statement_time)
    // MariaDB 11.6+ with innodb_snapshot_isolation: a REPEATABLE READ write conflict.
    CodeRule{1020, ErrorKind::serialization_failure},  // ER_CHECKREAD
    // The connection. The client numbers (2xxx) come from Connector/C, never from the server.
    CodeRule{2006, ErrorKind::connection_lost},  // CR_SERVER_GONE_ERROR
    CodeRule{2013, ErrorKind::connection_lost},  // CR_SERVER_LOST (during a query)
    CodeRule{2055, ErrorKind::connection_lost},  // CR_SERVER_LOST_EXTENDED
    CodeRule{2057,
             ErrorKind::schema_changed},  // CR_NEW_STMT_METADATA: table altered under a statement
    CodeRule{1927, ErrorKind::connection_lost},  // ER_CONNECTION_KILLED (KILL from another session)
    CodeRule{4031, ErrorKind::connection_lost},  // ER_CLIENT_INTERACTION_TIMEOUT (wait_timeout)
    CodeRule{1053, ErrorKind::connection_lost},  // ER_SERVER_SHUTDOWN
    CodeRule{2002, ErrorKind::connection_failed},  // CR_CONNECTION_ERROR (socket)
    CodeRule{2003, ErrorKind::connection_failed},  // CR_CONN_HOST_ERROR (TCP)
    CodeRule{2005, ErrorKind::connection_failed},  // CR_UNKNOWN_HOST
    // Permissions. A write in START TRANSACTION READ ONLY is refused like a read-only database.
    CodeRule{1792, ErrorKind::permission_denied},  // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    CodeRule{1290, ErrorKind::permission_denied},  // ER_OPTION_PREVENTS_STATEMENT (read_only)
    CodeRule{1142, ErrorKind::permission_denied},  // ER_TABLEACCESS_DENIED_ERROR
    CodeRule{1044, ErrorKind::permission_denied},  // ER_DBACCESS_DENIED_ERROR
    CodeRule{1227, ErrorKind::permission_denied},  // ER_SPECIFIC_ACCESS_DENIED_ERROR
    // While connecting every error is connection_failed (connection.cpp); these two can also
    // come later, from COM_CHANGE_USER or USE.
    CodeRule{1045, ErrorKind::permission_denied},  // ER_ACCESS_DENIED_ERROR
    CodeRule{1049, ErrorKind::undefined_object},   // ER_BAD_DB_ERROR
    // Statements.
    CodeRule{1064, ErrorKind::syntax_error},        // ER_PARSE_ERROR
    CodeRule{1149, ErrorKind::syntax_error},        // ER_SYNTAX_ERROR
    CodeRule{1146, ErrorKind::undefined_object},    // ER_NO_SUCH_TABLE
    CodeRule{1054, ErrorKind::undefined_object},    // ER_BAD_FIELD_ERROR
    CodeRule{1305, ErrorKind::undefined_object},    // ER_SP_DOES_NOT_EXIST (also savepoints)
    CodeRule{1264, ErrorKind::data_error},          // ER_WARN_DATA_OUT_OF_RANGE
    CodeRule{1406, ErrorKind::data_error},          // ER_DATA_TOO_LONG
    CodeRule{1366, ErrorKind::data_error},          // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    CodeRule{1292, ErrorKind::data_error},          // ER_TRUNCATED_WRONG_VALUE
    CodeRule{1365, ErrorKind::data_error},          // ER_DIVISION_BY_ZERO (strict mode)
    CodeRule{1040, ErrorKind::resource_exhausted},  // ER_CON_COUNT_ERROR (max_connections)
    CodeRule{1114, ErrorKind::resource_exhausted},  // ER_RECORD_FILE_FULL
    CodeRule{1041, ErrorKind::resource_exhausted},  // ER_OUT_OF_RESOURCES
    CodeRule{2008, ErrorKind::resource_exhausted},  // CR_OUT_OF_MEMORY
    CodeRule{1461, ErrorKind::resource_exhausted},  // ER_MAX_PREPARED_STMT_COUNT_REACHED
    CodeRule{2014, ErrorKind::invalid_usage},       // CR_COMMANDS_OUT_OF_SYNC (a bug of ours)
    CodeRule{1295, ErrorKind::unsupported},         // ER_UNSUPPORTED_PS (not preparable)
};

// The text between `open` after `marker` and the next `close`, or "".
[[nodiscard]] std::string_view quoted_after(std::string_view message, std::string_view marker,
                                            char quote) {
  const std::size_t at = message.rfind(marker);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + marker.size();
  if (start >= message.size() || message[start] != quote) return {};
  const std::size_t end = message.find(quote, start + 1);
  return end == std::string_view::npos ? std::string_view{}
                                       : message.substr(start + 1, end - start - 1);
}

// Server messages are one line already; a client message may end in a line break.
[[nodiscard]] std::string flatten(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (const char c : message) out += c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? std::string("unknown error (Connector/C gave no message)") : out;
}

// What the message names: "Duplicate entry '1' for key 'PRIMARY'", "CONSTRAINT `c` failed for
// `db`.`t`", "... CONSTRAINT `fk` FOREIGN KEY ...", "Column 'x' cannot be null".
void add_names(ErrorInfo& info, std::string_view message) {
  switch (info.kind) {
    case ErrorKind::unique_violation:
      info.constraint = std::string(quoted_after(message, "for key ", '\''));
      break;
    case ErrorKind::check_violation:
    case ErrorKind::foreign_key_violation:
      info.constraint = std::string(quoted_after(message, "CONSTRAINT ", '`'));
      break;
    case ErrorKind::not_null_violation:
      if (const std::string_view column = quoted_after(message, "Column ", '\''); !column.empty())
        info.columns.emplace_back(column);
      else if (const std::string_view field = quoted_after(message, "Field ", '\''); !field.empty())
        info.columns.emplace_back(field);
      break;
    default: break;
  }
}

}  // namespace

ErrorKind kind_of_error(unsigned code) noexcept {
  for (const CodeRule& rule : rules)
    if (rule.code == code) return rule.kind;
  return ErrorKind::database_error;
}

ErrorInfo describe_error(unsigned code, std::string_view sqlstate, std::string_view message) {
  ErrorInfo info;
  info.backend = std::string(backend_name);
  info.kind = kind_of_error(code);
  info.native_code = code;
  // Connector/C reports HY000 for its own errors and for server errors with no SQLSTATE.
  if (sqlstate.size() == 5 && sqlstate != "00000") info.sqlstate = std::string(sqlstate);
  info.message = flatten(message);
  add_names(info, message);
  return info;
}

}  // namespace anydb::mariadb
