#include "error.hpp"

#include "common/messages.hpp"
#include "common/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {
namespace {

constexpr std::int64_t any_native = std::numeric_limits<std::int64_t>::min();

// One row of the mapping. A diagnostic matches when every given field matches: `sqlstate`
// exactly (five characters) or by class (two characters), `native` exactly, `message` as a
// substring. Empty / any_native fields match everything.
struct Rule {
  std::string_view sqlstate;
  std::int64_t native;
  std::string_view message;
  ErrorKind kind;
};

// THE mapping from driver diagnostics to anydb kinds, per database product. The product's own
// rows are tried first, then the generic rows (which also serve unknown products). The real
// diagnostics each row was written for (and tested with) are in docs/backends.md.
//
// SQLite ODBC driver (sqliteodbc): SQLSTATE is HY000 for every database error; the native code
// is SQLite's primary result code and the message SQLite's own text, so the message decides
// which constraint failed.
constexpr std::array sqlite_rules{
    Rule{"", 19, "UNIQUE constraint failed", ErrorKind::unique_violation},
    Rule{"", 19, "NOT NULL constraint failed", ErrorKind::not_null_violation},
    Rule{"", 19, "FOREIGN KEY constraint failed", ErrorKind::foreign_key_violation},
    Rule{"", 19, "CHECK constraint failed", ErrorKind::check_violation},
    Rule{"", 19, "", ErrorKind::integrity_violation},  // e.g. RAISE(ABORT) in a trigger
    Rule{"", 5, "", ErrorKind::busy},                   // SQLITE_BUSY: "database is locked"
    Rule{"", 6, "", ErrorKind::busy},                   // SQLITE_LOCKED: "database table is locked"
    Rule{"", 1, "no such ", ErrorKind::undefined_object},
    Rule{"", 1, "syntax error", ErrorKind::syntax_error},
};

// psqlODBC passes the server's SQLSTATE through; its native code is always 1.
constexpr std::array postgresql_rules{
    Rule{"23505", any_native, "", ErrorKind::unique_violation},
    Rule{"23503", any_native, "", ErrorKind::foreign_key_violation},
    Rule{"23502", any_native, "", ErrorKind::not_null_violation},
    Rule{"23514", any_native, "", ErrorKind::check_violation},
    Rule{"40001", any_native, "", ErrorKind::serialization_failure},
    Rule{"40P01", any_native, "", ErrorKind::deadlock},
    Rule{"55P03", any_native, "", ErrorKind::busy},             // lock_not_available
    Rule{"57014", any_native, "", ErrorKind::busy},             // query_canceled (timeouts)
    Rule{"25P02", any_native, "", ErrorKind::transaction_aborted},  // in_failed_sql_transaction
    // A server-side prepared statement whose result columns changed under it (ALTER TABLE by
    // another session): preparing it again fixes it.
    Rule{"0A000", any_native, "cached plan must not change result type", ErrorKind::schema_changed},
    Rule{"42601", any_native, "", ErrorKind::syntax_error},
    Rule{"42P01", any_native, "", ErrorKind::undefined_object},  // undefined_table
    Rule{"42703", any_native, "", ErrorKind::undefined_object},  // undefined_column
    // A dead connection is reported as HY000 with varying texts (libpq's "server closed the
    // connection unexpectedly", psqlODBC's "The connection has been lost"), then as 08S01: the
    // connection asks the driver (SQL_ATTR_CONNECTION_DEAD) instead of matching texts.
};

// MariaDB Connector/ODBC: the native code is the server's error number, the SQLSTATE a coarse
// class (23000 for every integrity error), so the native code decides.
constexpr std::array mariadb_rules{
    Rule{"", 1062, "", ErrorKind::unique_violation},       // ER_DUP_ENTRY
    Rule{"", 1048, "", ErrorKind::not_null_violation},     // ER_BAD_NULL_ERROR
    // ER_NO_DEFAULT_FOR_FIELD: an INSERT that leaves out a NOT NULL column without a default
    // (strict mode) — the same mistake PostgreSQL and SQLite report as a NOT NULL violation.
    Rule{"", 1364, "", ErrorKind::not_null_violation},
    // 1216/1217 (ER_NO_REFERENCED_ROW, ER_ROW_IS_REFERENCED) are left out: MariaDB 10.11 sends
    // 1452/1451 for every foreign-key failure we could produce, and a row no test covers is a
    // guess. They fall to the generic 23000 row (integrity_violation).
    Rule{"", 1452, "", ErrorKind::foreign_key_violation},  // ER_NO_REFERENCED_ROW_2
    Rule{"", 1451, "", ErrorKind::foreign_key_violation},  // ER_ROW_IS_REFERENCED_2
    Rule{"", 4025, "", ErrorKind::check_violation},        // ER_CONSTRAINT_FAILED
    Rule{"", 1213, "", ErrorKind::deadlock},               // ER_LOCK_DEADLOCK (rolls back all)
    Rule{"", 1205, "", ErrorKind::busy},                   // ER_LOCK_WAIT_TIMEOUT
    Rule{"", 1146, "", ErrorKind::undefined_object},       // ER_NO_SUCH_TABLE
    Rule{"", 1054, "", ErrorKind::undefined_object},       // ER_BAD_FIELD_ERROR
    Rule{"", 1064, "", ErrorKind::syntax_error},           // ER_PARSE_ERROR
    // Client errors; Connector/ODBC reports them under SQLSTATE HY001 / HY000, not 08S01.
    Rule{"", 2006, "", ErrorKind::connection_lost},        // CR_SERVER_GONE_ERROR
    Rule{"", 2013, "", ErrorKind::connection_lost},        // CR_SERVER_LOST (during a query)
    // CR_NEW_STMT_METADATA: the table changed under a prepared statement (another session's
    // ALTER TABLE); Connector/ODBC refuses to fetch until it is prepared again.
    Rule{"", 2057, "", ErrorKind::schema_changed},
};

// Every product, after its own rows: the SQLSTATEs of the ODBC standard.
constexpr std::array generic_rules{
    Rule{"08", any_native, "", ErrorKind::connection_lost},  // 08S01, 08003, 08001, 08004, ...
    Rule{"40001", any_native, "", ErrorKind::serialization_failure},
    Rule{"23", any_native, "", ErrorKind::integrity_violation},  // 23000 with an unknown native
    Rule{"42S02", any_native, "", ErrorKind::undefined_object},  // base table not found
    Rule{"42S22", any_native, "", ErrorKind::undefined_object},  // column not found
    Rule{"42000", any_native, "", ErrorKind::syntax_error},      // syntax error or access rule
    Rule{"HYT00", any_native, "", ErrorKind::busy},              // timeout expired
    Rule{"22", any_native, "", ErrorKind::data_error},           // data exception (too long, ...)
};

[[nodiscard]] bool matches(const Rule& rule, const Diagnostic& record) noexcept {
  const std::string_view state = record.sqlstate;
  if (!rule.sqlstate.empty()) {
    if (rule.sqlstate.size() == 2 ? !state.starts_with(rule.sqlstate) : state != rule.sqlstate)
      return false;
  }
  if (rule.native != any_native && rule.native != record.native) return false;
  return rule.message.empty() || record.message.find(rule.message) != std::string::npos;
}

template <std::size_t N>
[[nodiscard]] const Rule* find_rule(const std::array<Rule, N>& rules, const Diagnostic& record) {
  const auto found = std::find_if(rules.begin(), rules.end(),
                                  [&](const Rule& rule) { return matches(rule, record); });
  return found == rules.end() ? nullptr : &*found;
}

[[nodiscard]] const Rule* product_rule(Product product, const Diagnostic& record) {
  switch (product) {
    case Product::sqlite: return find_rule(sqlite_rules, record);
    case Product::postgresql: return find_rule(postgresql_rules, record);
    case Product::mariadb: return find_rule(mariadb_rules, record);
    case Product::generic: return nullptr;
  }
  return nullptr;
}

// The text between the first `open` after `marker` and the next `close`.
[[nodiscard]] std::string_view between(std::string_view text, std::string_view marker,
                                       char open, char close) {
  const std::size_t at = text.find(marker);
  if (at == std::string_view::npos) return {};
  const std::size_t start = text.find(open, at + marker.size());
  if (start == std::string_view::npos) return {};
  const std::size_t end = text.find(close, start + 1);
  if (end == std::string_view::npos) return {};
  return text.substr(start + 1, end - start - 1);
}

// SQLite: "[SQLite]UNIQUE constraint failed: t.a, t.b (19)": SQLite's own text, plus the
// driver's " (<code>)".
void add_sqlite_details(ErrorInfo& info, std::string_view message) {
  if (const std::size_t paren = message.rfind(" ("); paren != std::string_view::npos &&
                                                     message.ends_with(')')) {
    const std::string_view code = message.substr(paren + 2, message.size() - paren - 3);
    if (!code.empty() && code.find_first_not_of("0123456789") == std::string_view::npos)
      message = message.substr(0, paren);
  }
  support::add_sqlite_constraint_details(info, message);
}

// PostgreSQL: 'ERROR: duplicate key value violates unique constraint "t_k_key"
// DETAIL: Key (k)=(1) already exists.'
void add_postgresql_details(ErrorInfo& info, std::string_view message) {
  const std::string_view constraint = between(message, "constraint ", '"', '"');
  if (!constraint.empty()) info.constraint = std::string(constraint);
  if (info.kind == ErrorKind::unique_violation) info.columns = support::postgresql_key_columns(message);
}

// MariaDB: "Duplicate entry '1' for key 'PRIMARY'". The key's columns are looked up by the
// connection (error.cpp sees no database).
void add_mariadb_details(ErrorInfo& info, std::string_view message) {
  if (info.kind == ErrorKind::unique_violation) {
    constexpr std::string_view marker = "for key '";
    const std::size_t at = message.rfind(marker);
    if (at != std::string_view::npos) {
      const std::size_t end = message.find('\'', at + marker.size());
      if (end != std::string_view::npos)
        info.constraint = std::string(message.substr(at + marker.size(), end - at - marker.size()));
    }
  } else if (info.kind == ErrorKind::check_violation || info.kind == ErrorKind::foreign_key_violation) {
    // "CONSTRAINT `name` failed for `db`.`t`" / "... CONSTRAINT `name` FOREIGN KEY ..."
    const std::string_view name = between(message, "CONSTRAINT ", '`', '`');
    if (!name.empty()) info.constraint = std::string(name);
  }
}

}  // namespace

std::string_view to_string(Product product) noexcept {
  switch (product) {
    case Product::generic: return "generic";
    case Product::sqlite: return "SQLite";
    case Product::postgresql: return "PostgreSQL";
    case Product::mariadb: return "MariaDB";
  }
  return "unknown";
}

std::vector<Diagnostic> read_diagnostics(SQLSMALLINT handle_type, SQLHANDLE handle) {
  std::vector<Diagnostic> records;
  if (handle == SQLHANDLE{}) return records;
  for (SQLSMALLINT number = 1;; ++number) {
    SQLCHAR state[6] = {};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    std::string message(512, '\0');
    SQLRETURN rc = SQLGetDiagRec(handle_type, handle, number, state, &native,
                                 reinterpret_cast<SQLCHAR*>(message.data()),
                                 static_cast<SQLSMALLINT>(message.size()), &length);
    if (rc == SQL_SUCCESS_WITH_INFO && length >= static_cast<SQLSMALLINT>(message.size())) {
      // The message was cut: ask again with room for all of it.
      message.assign(static_cast<std::size_t>(length) + 1, '\0');
      rc = SQLGetDiagRec(handle_type, handle, number, state, &native,
                         reinterpret_cast<SQLCHAR*>(message.data()),
                         static_cast<SQLSMALLINT>(message.size()), &length);
    }
    if (!SQL_SUCCEEDED(rc)) break;
    message.resize(std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)),
                            message.size() - 1));
    records.push_back(Diagnostic{std::string(reinterpret_cast<const char*>(state)), native,
                                 std::move(message)});
  }
  return records;
}

std::string join_diagnostics(const std::vector<Diagnostic>& records) {
  std::string joined;
  for (const Diagnostic& record : records) {
    if (!joined.empty()) joined += "; ";
    joined += fmt::format("[{}] {} (native {})", record.sqlstate, support::one_line(record.message),
                          record.native);
  }
  return joined;
}

const Diagnostic* primary_diagnostic(const std::vector<Diagnostic>& records) noexcept {
  for (const Diagnostic& record : records)
    if (!record.sqlstate.starts_with("01")) return &record;
  return records.empty() ? nullptr : &records.front();
}

ErrorInfo classify(Product product, const std::vector<Diagnostic>& records) {
  ErrorInfo info;
  info.backend = std::string(backend_name);
  info.kind = ErrorKind::database_error;
  info.message = records.empty() ? "the driver reported an error without a diagnostic record"
                                 : join_diagnostics(records);
  const Diagnostic* primary = primary_diagnostic(records);
  if (primary == nullptr) return info;
  info.sqlstate = primary->sqlstate;
  info.native_code = primary->native;
  const Rule* rule = product_rule(product, *primary);
  if (rule == nullptr) rule = find_rule(generic_rules, *primary);
  if (rule != nullptr) info.kind = rule->kind;
  switch (product) {
    case Product::sqlite: add_sqlite_details(info, primary->message); break;
    case Product::postgresql: add_postgresql_details(info, primary->message); break;
    case Product::mariadb: add_mariadb_details(info, primary->message); break;
    case Product::generic: break;
  }
  return info;
}

}  // namespace anydb::odbc
