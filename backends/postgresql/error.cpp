#include "error.hpp"

#include "common/messages.hpp"
#include "common/text.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::postgresql {
namespace {

struct SqlstateRule {
  std::string_view code;  // five characters, or a two-character class
  ErrorKind kind;
};

// THE mapping from PostgreSQL's SQLSTATEs to anydb kinds. An exact code wins over its class;
// a code matching neither is a database_error. Whatever the kind, PostgreSQL fails an open
// transaction on every error; the core learns that from PQtransactionStatus.
constexpr std::array exact_rules{
    SqlstateRule{"23505", ErrorKind::unique_violation},
    SqlstateRule{"23503", ErrorKind::foreign_key_violation},
    SqlstateRule{"23502", ErrorKind::not_null_violation},
    SqlstateRule{"23514", ErrorKind::check_violation},
    SqlstateRule{"40001", ErrorKind::serialization_failure},
    SqlstateRule{"40P01", ErrorKind::deadlock},
    SqlstateRule{"55P03", ErrorKind::busy},  // lock_not_available (NOWAIT, lock_timeout)
    SqlstateRule{"57014", ErrorKind::busy},  // query_canceled (statement_timeout, cancel)
    SqlstateRule{"57P01", ErrorKind::connection_lost},  // admin_shutdown, pg_terminate_backend
    SqlstateRule{"57P02", ErrorKind::connection_lost},  // crash_shutdown
    SqlstateRule{"57P03", ErrorKind::connection_lost},  // cannot_connect_now
    SqlstateRule{"42601", ErrorKind::syntax_error},
    SqlstateRule{"42P01", ErrorKind::undefined_object},     // undefined_table
    SqlstateRule{"42703", ErrorKind::undefined_object},     // undefined_column
    SqlstateRule{"42883", ErrorKind::undefined_object},     // undefined_function
    SqlstateRule{"42704", ErrorKind::undefined_object},     // undefined_object
    SqlstateRule{"42501", ErrorKind::permission_denied},    // insufficient_privilege
    SqlstateRule{"25006", ErrorKind::permission_denied},    // read_only_sql_transaction
    SqlstateRule{"25P02", ErrorKind::transaction_aborted},  // in_failed_sql_transaction
    SqlstateRule{"3B001", ErrorKind::invalid_usage},        // invalid_savepoint_specification
    SqlstateRule{"0A000", ErrorKind::unsupported},          // feature_not_supported
};

constexpr std::array class_rules{
    SqlstateRule{"23", ErrorKind::integrity_violation},  // exclusion, restrict, generic
    SqlstateRule{"08", ErrorKind::connection_lost},      // connection_exception
    SqlstateRule{"22", ErrorKind::data_error},           // data_exception
    SqlstateRule{"53", ErrorKind::resource_exhausted},   // insufficient_resources
};

// One of anydb's own prepared statements (anydb_<random>_<n>) is missing from the server
// session (26000 invalid_sql_statement_name) or already there (42P05
// duplicate_prepared_statement): the session changed under the connection, which a
// transaction-mode pooler (PgBouncer before 1.21) does between transactions. A setting in the
// URI fixes that, so it is a configuration error, and the message names the setting.
[[nodiscard]] bool is_lost_anydb_statement(const ErrorInfo& info) noexcept {
  return (info.sqlstate == "26000" || info.sqlstate == "42P05") &&
         info.primary_message.starts_with("prepared statement \"anydb_");
}

constexpr std::string_view pooler_hint =
    "; the server session changed under the connection, as behind a transaction-mode pooler "
    "(PgBouncer): add pooler=transaction to the URI";

[[nodiscard]] std::string_view field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value == nullptr ? std::string_view{} : std::string_view{value};
}

[[nodiscard]] std::string message_of(PGconn* conn, const PGresult* result) {
  if (result != nullptr) {
    const std::string_view primary = field(result, PG_DIAG_MESSAGE_PRIMARY);
    if (!primary.empty()) {
      const std::string_view detail = support::trim(field(result, PG_DIAG_MESSAGE_DETAIL));
      if (detail.empty()) return support::one_line(primary);
      return support::one_line(fmt::format("{} ({})", primary, detail));
    }
    // Errors that libpq itself puts into a result carry no fields, only the text.
    std::string text = support::one_line(PQresultErrorMessage(result));
    if (!text.empty()) return text;
  }
  std::string text = conn == nullptr ? std::string() : support::one_line(PQerrorMessage(conn));
  return text.empty() ? std::string("unknown error (libpq gave no message)") : text;
}

}  // namespace

ErrorKind kind_of_sqlstate(std::string_view sqlstate) noexcept {
  for (const auto& rule : exact_rules)
    if (rule.code == sqlstate) return rule.kind;
  if (sqlstate.size() == 5)
    for (const auto& rule : class_rules)
      if (sqlstate.starts_with(rule.code)) return rule.kind;
  return ErrorKind::database_error;
}

ErrorInfo describe_error(PGconn* conn, const PGresult* result) {
  ErrorInfo info;
  info.backend = std::string(backend_name);
  info.message = message_of(conn, result);
  const bool connection_bad = conn == nullptr || PQstatus(conn) == CONNECTION_BAD;
  if (result == nullptr) {
    // No result at all: the connection broke (or libpq refused the call, e.g. out of memory).
    info.kind = connection_bad ? ErrorKind::connection_lost : ErrorKind::database_error;
    return info;
  }
  info.sqlstate = std::string(field(result, PG_DIAG_SQLSTATE));
  info.primary_message = std::string(field(result, PG_DIAG_MESSAGE_PRIMARY));
  info.kind = kind_of_sqlstate(info.sqlstate);
  if (connection_bad) info.kind = ErrorKind::connection_lost;
  if (!connection_bad && is_lost_anydb_statement(info)) info.kind = ErrorKind::configuration;
  info.constraint = std::string(field(result, PG_DIAG_CONSTRAINT_NAME));
  switch (info.kind) {
    case ErrorKind::unique_violation:
      info.columns = support::postgresql_key_columns(field(result, PG_DIAG_MESSAGE_DETAIL));
      break;
    case ErrorKind::not_null_violation:
      if (const std::string_view column = field(result, PG_DIAG_COLUMN_NAME); !column.empty())
        info.columns.emplace_back(column);
      break;
    case ErrorKind::configuration: info.message += pooler_hint; break;
    case ErrorKind::connection_lost:
      // A Bind with the wrong number of values is a protocol_violation (08P01) that leaves the
      // connection usable: the caller passed too few or too many parameters (an unnamed
      // statement, with pooler=transaction, is checked only by the server).
      if (!connection_bad && info.sqlstate == "08P01" &&
          info.primary_message.starts_with("bind message supplies"))
        info.kind = ErrorKind::invalid_argument;
      break;
    case ErrorKind::unsupported:
      // A cached plan whose result columns changed under it (ALTER TABLE by another session):
      // preparing the statement again fixes it, so the core must hear it as such.
      if (info.message.find("cached plan must not change result type") != std::string::npos)
        info.kind = ErrorKind::schema_changed;
      break;
    default: break;
  }
  return info;
}

}  // namespace anydb::postgresql
