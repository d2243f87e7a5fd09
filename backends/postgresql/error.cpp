#include "error.hpp"

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
    SqlstateRule{"55P03", ErrorKind::busy},             // lock_not_available (NOWAIT, lock_timeout)
    SqlstateRule{"57014", ErrorKind::busy},             // query_canceled (statement_timeout, cancel)
    SqlstateRule{"57P01", ErrorKind::connection_lost},  // admin_shutdown, pg_terminate_backend
    SqlstateRule{"57P02", ErrorKind::connection_lost},  // crash_shutdown
    SqlstateRule{"57P03", ErrorKind::connection_lost},  // cannot_connect_now
    SqlstateRule{"42601", ErrorKind::syntax_error},
    SqlstateRule{"42P01", ErrorKind::undefined_object},  // undefined_table
    SqlstateRule{"42703", ErrorKind::undefined_object},  // undefined_column
    SqlstateRule{"42883", ErrorKind::undefined_object},  // undefined_function
    SqlstateRule{"42704", ErrorKind::undefined_object},  // undefined_object
    SqlstateRule{"42501", ErrorKind::permission_denied},  // insufficient_privilege
    SqlstateRule{"25006", ErrorKind::permission_denied},  // read_only_sql_transaction
    SqlstateRule{"25P02", ErrorKind::transaction_aborted},  // in_failed_sql_transaction
    SqlstateRule{"3B001", ErrorKind::invalid_usage},      // invalid_savepoint_specification
    SqlstateRule{"0A000", ErrorKind::unsupported},        // feature_not_supported
};

constexpr std::array class_rules{
    SqlstateRule{"23", ErrorKind::integrity_violation},  // exclusion, restrict, generic
    SqlstateRule{"08", ErrorKind::connection_lost},      // connection_exception
    SqlstateRule{"22", ErrorKind::data_error},           // data_exception
    SqlstateRule{"53", ErrorKind::resource_exhausted},   // insufficient_resources
};

[[nodiscard]] std::string_view field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value == nullptr ? std::string_view{} : std::string_view{value};
}

[[nodiscard]] bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

[[nodiscard]] std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

[[nodiscard]] bool is_identifier_char(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) != 0 || c == '_' || c == '$' || byte >= 0x80;
}

[[nodiscard]] std::string message_of(PGconn* conn, const PGresult* result) {
  if (result != nullptr) {
    const std::string_view primary = field(result, PG_DIAG_MESSAGE_PRIMARY);
    if (!primary.empty()) {
      const std::string_view detail = trim(field(result, PG_DIAG_MESSAGE_DETAIL));
      if (detail.empty()) return one_line(primary);
      return one_line(fmt::format("{} ({})", primary, detail));
    }
    // Errors that libpq itself puts into a result carry no fields, only the text.
    std::string text = one_line(PQresultErrorMessage(result));
    if (!text.empty()) return text;
  }
  std::string text = conn == nullptr ? std::string() : one_line(PQerrorMessage(conn));
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
  info.kind = kind_of_sqlstate(info.sqlstate);
  if (connection_bad) info.kind = ErrorKind::connection_lost;
  info.constraint = std::string(field(result, PG_DIAG_CONSTRAINT_NAME));
  switch (info.kind) {
    case ErrorKind::unique_violation:
      info.columns = key_columns_from_detail(trim(field(result, PG_DIAG_MESSAGE_DETAIL)));
      break;
    case ErrorKind::not_null_violation:
      if (const std::string_view column = field(result, PG_DIAG_COLUMN_NAME); !column.empty())
        info.columns.emplace_back(column);
      break;
    case ErrorKind::unsupported:
      // A cached plan whose result columns changed under it (ALTER TABLE by another session):
      // preparing the statement again fixes it, so the core must hear it as such.
      if (info.message.find("cached plan must not change result type") != std::string::npos)
        info.kind = ErrorKind::schema_changed;
      break;
    default:
      break;
  }
  return info;
}

std::vector<std::string> key_columns_from_detail(std::string_view detail) {
  constexpr std::string_view prefix = "Key (";
  if (!detail.starts_with(prefix)) return {};
  std::vector<std::string> columns;
  std::string current;
  enum class State { start, unquoted, quoted, after_quote } state = State::start;
  for (std::size_t i = prefix.size(); i < detail.size(); ++i) {
    const char c = detail[i];
    if (state == State::quoted) {
      if (c != '"') {
        current += c;
      } else if (i + 1 < detail.size() && detail[i + 1] == '"') {
        current += '"';
        ++i;
      } else {
        state = State::after_quote;
      }
      continue;
    }
    if (c == ',' || c == ')') {
      if (current.empty()) return {};
      columns.push_back(std::move(current));
      current.clear();
      state = State::start;
      if (c == ')') return detail.substr(i + 1).starts_with("=(") ? columns : std::vector<std::string>{};
      if (i + 1 < detail.size() && detail[i + 1] == ' ') ++i;
    } else if (c == '"' && state == State::start) {
      state = State::quoted;
    } else if (state != State::after_quote && is_identifier_char(c)) {
      current += c;
      state = State::unquoted;
    } else {
      return {};  // an expression such as lower(name): no plain column list
    }
  }
  return {};
}

std::string one_line(std::string_view text) {
  text = trim(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_space(text[i]) || text[i] == ' ') {
      out += text[i];
      continue;
    }
    // A line break or tab: swallow the whole whitespace run around it into one space.
    while (!out.empty() && out.back() == ' ') out.pop_back();
    while (i + 1 < text.size() && is_space(text[i + 1])) ++i;
    out += ' ';
  }
  return out;
}

std::string first_line(std::string_view text) {
  text = trim(text);
  return std::string(trim(text.substr(0, text.find('\n'))));
}

}  // namespace anydb::postgresql
