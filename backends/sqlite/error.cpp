#include "error.hpp"

#include "common/messages.hpp"
#include "common/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::sqlite {
namespace {

struct CodeRule {
  int code;
  std::string_view name;
  ErrorKind kind;
};

// The mapping from SQLite result codes to anydb kinds. An extended code listed here wins; any
// other code falls back to the row of its primary code (the low byte). SQLITE_ERROR is refined
// by its message below, because SQLite has no finer code for "no such table" or a syntax error.
#define ANYDB_SQLITE_RULE(code, kind) \
  CodeRule { code, #code, ErrorKind::kind }
constexpr std::array code_rules{
    // Extended codes with a kind of their own.
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_UNIQUE, unique_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_PRIMARYKEY, unique_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_NOTNULL, not_null_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_FOREIGNKEY, foreign_key_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_CHECK, check_violation),
    // A WAL read snapshot went stale before the transaction tried to write: waiting cannot
    // help, retrying the whole transaction can. That is a serialization failure, not "busy".
    ANYDB_SQLITE_RULE(SQLITE_BUSY_SNAPSHOT, serialization_failure),

    // Primary codes, each covering its unlisted extended codes.
    ANYDB_SQLITE_RULE(SQLITE_ERROR, database_error),  // refined by message, see below
    ANYDB_SQLITE_RULE(SQLITE_INTERNAL, database_error),
    ANYDB_SQLITE_RULE(SQLITE_PERM, permission_denied),
    ANYDB_SQLITE_RULE(SQLITE_ABORT, database_error),
    ANYDB_SQLITE_RULE(SQLITE_BUSY, busy),
    ANYDB_SQLITE_RULE(SQLITE_LOCKED, busy),
    ANYDB_SQLITE_RULE(SQLITE_NOMEM, resource_exhausted),
    ANYDB_SQLITE_RULE(SQLITE_READONLY, permission_denied),
    ANYDB_SQLITE_RULE(SQLITE_INTERRUPT, database_error),
    ANYDB_SQLITE_RULE(SQLITE_IOERR, database_error),
    ANYDB_SQLITE_RULE(SQLITE_CORRUPT, database_error),
    ANYDB_SQLITE_RULE(SQLITE_NOTFOUND, database_error),
    ANYDB_SQLITE_RULE(SQLITE_FULL, resource_exhausted),
    ANYDB_SQLITE_RULE(SQLITE_CANTOPEN, connection_failed),
    ANYDB_SQLITE_RULE(SQLITE_PROTOCOL, database_error),
    ANYDB_SQLITE_RULE(SQLITE_SCHEMA, database_error),
    ANYDB_SQLITE_RULE(SQLITE_TOOBIG, data_error),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT, integrity_violation),
    ANYDB_SQLITE_RULE(SQLITE_MISMATCH, data_error),
    ANYDB_SQLITE_RULE(SQLITE_MISUSE, invalid_usage),
    ANYDB_SQLITE_RULE(SQLITE_NOLFS, database_error),
    ANYDB_SQLITE_RULE(SQLITE_AUTH, permission_denied),
    ANYDB_SQLITE_RULE(SQLITE_FORMAT, database_error),
    ANYDB_SQLITE_RULE(SQLITE_RANGE, data_error),
    ANYDB_SQLITE_RULE(SQLITE_NOTADB, database_error),
};
#undef ANYDB_SQLITE_RULE

enum class Match { starts_with, contains };

struct MessageRule {
  Match match;
  std::string_view text;
  ErrorKind kind;
};

// Refinements of SQLITE_ERROR by SQLite's message.
// "no such " covers table, column, function, savepoint, index, view, trigger, module, ...
constexpr std::array error_message_rules{
    MessageRule{Match::starts_with, "no such ", ErrorKind::undefined_object},
    MessageRule{Match::contains, "syntax error", ErrorKind::syntax_error},
    MessageRule{Match::contains, "incomplete input", ErrorKind::syntax_error},
    MessageRule{Match::contains, "unrecognized token", ErrorKind::syntax_error},
};

[[nodiscard]] CodeRule rule_for(int rc) noexcept {
  const auto exact = std::find_if(code_rules.begin(), code_rules.end(),
                                  [rc](const CodeRule& rule) { return rule.code == rc; });
  if (exact != code_rules.end()) return *exact;
  const int primary = rc & 0xff;
  const auto family =
      std::find_if(code_rules.begin(), code_rules.end(),
                   [primary](const CodeRule& rule) { return rule.code == primary; });
  if (family != code_rules.end()) return *family;
  return CodeRule{rc, "SQLite result code", ErrorKind::database_error};
}

[[nodiscard]] ErrorKind refine_error(std::string_view message) noexcept {
  for (const MessageRule& rule : error_message_rules) {
    const bool hit = rule.match == Match::starts_with
                         ? message.starts_with(rule.text)
                         : message.find(rule.text) != std::string_view::npos;
    if (hit) return rule.kind;
  }
  return ErrorKind::database_error;
}

[[nodiscard]] std::string code_name(int rc, const CodeRule& rule) {
  if (rule.code == rc) return std::string(rule.name);
  return fmt::format("{} extended code {}", rule.name, rc);
}

[[nodiscard]] ErrorInfo describe(sqlite3* db, int rc) {
  // The handle's message belongs to this error only when its code is this one: some failures
  // (a bind, an open that ran out of memory) leave an older message behind.
  const bool handle_has_message =
      db != nullptr && (sqlite3_extended_errcode(db) == rc || sqlite3_errcode(db) == rc);
  const char* raw = handle_has_message ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string text = support::one_line(raw != nullptr ? raw : "unknown error");
  const CodeRule rule = rule_for(rc);

  ErrorInfo info;
  info.kind = (rc & 0xff) == SQLITE_ERROR ? refine_error(text) : rule.kind;
  info.backend = std::string(backend_name);
  info.native_code = rc;
  support::add_sqlite_constraint_details(info, text);
  info.message = fmt::format("{} ({})", text, code_name(rc, rule));
  return info;
}

}  // namespace

void throw_sqlite_error(sqlite3* db, int rc) {
  // SQLite keeps a transaction open after most statement errors, but rolls it back by itself
  // after some (SQLITE_FULL, SQLITE_NOMEM, SQLITE_IOERR, an ON CONFLICT ROLLBACK clause); the
  // core asks sqlite3_get_autocommit through the connection.
  anydb::throw_error(describe(db, rc));
}

void throw_open_error(sqlite3* db, int rc, std::string_view target) {
  ErrorInfo info = describe(db, rc);
  // Waiting for a lock while switching the journal mode is worth retrying; anything else
  // while opening means this database cannot be used as given.
  if (info.kind != ErrorKind::busy) info.kind = ErrorKind::connection_failed;
  info.columns.clear();
  info.constraint.clear();
  info.message = fmt::format("cannot open database '{}': {}", target, info.message);
  anydb::throw_error(std::move(info));
}

}  // namespace anydb::sqlite
