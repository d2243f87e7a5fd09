#include "error.hpp"

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
#define ANYDB_SQLITE_RULE(code, kind) CodeRule{code, #code, ErrorKind::kind}
constexpr std::array code_rules{
    // Extended codes with a kind of their own.
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_UNIQUE,     unique_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_PRIMARYKEY, unique_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_NOTNULL,    not_null_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_FOREIGNKEY, foreign_key_violation),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT_CHECK,      check_violation),
    // A WAL read snapshot went stale before the transaction tried to write: waiting cannot
    // help, retrying the whole transaction can. That is a serialization failure, not "busy".
    ANYDB_SQLITE_RULE(SQLITE_BUSY_SNAPSHOT,         serialization_failure),

    // Primary codes, each covering its unlisted extended codes.
    ANYDB_SQLITE_RULE(SQLITE_ERROR,      database_error),  // refined by message, see below
    ANYDB_SQLITE_RULE(SQLITE_INTERNAL,   database_error),
    ANYDB_SQLITE_RULE(SQLITE_PERM,       permission_denied),
    ANYDB_SQLITE_RULE(SQLITE_ABORT,      database_error),
    ANYDB_SQLITE_RULE(SQLITE_BUSY,       busy),
    ANYDB_SQLITE_RULE(SQLITE_LOCKED,     busy),
    ANYDB_SQLITE_RULE(SQLITE_NOMEM,      resource_exhausted),
    ANYDB_SQLITE_RULE(SQLITE_READONLY,   permission_denied),
    ANYDB_SQLITE_RULE(SQLITE_INTERRUPT,  database_error),
    ANYDB_SQLITE_RULE(SQLITE_IOERR,      database_error),
    ANYDB_SQLITE_RULE(SQLITE_CORRUPT,    database_error),
    ANYDB_SQLITE_RULE(SQLITE_NOTFOUND,   database_error),
    ANYDB_SQLITE_RULE(SQLITE_FULL,       resource_exhausted),
    ANYDB_SQLITE_RULE(SQLITE_CANTOPEN,   connection_failed),
    ANYDB_SQLITE_RULE(SQLITE_PROTOCOL,   database_error),
    ANYDB_SQLITE_RULE(SQLITE_SCHEMA,     database_error),
    ANYDB_SQLITE_RULE(SQLITE_TOOBIG,     data_error),
    ANYDB_SQLITE_RULE(SQLITE_CONSTRAINT, integrity_violation),
    ANYDB_SQLITE_RULE(SQLITE_MISMATCH,   data_error),
    ANYDB_SQLITE_RULE(SQLITE_MISUSE,     invalid_usage),
    ANYDB_SQLITE_RULE(SQLITE_NOLFS,      database_error),
    ANYDB_SQLITE_RULE(SQLITE_AUTH,       permission_denied),
    ANYDB_SQLITE_RULE(SQLITE_FORMAT,     database_error),
    ANYDB_SQLITE_RULE(SQLITE_RANGE,      data_error),
    ANYDB_SQLITE_RULE(SQLITE_NOTADB,     database_error),
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
    MessageRule{Match::starts_with, "no such ",           ErrorKind::undefined_object},
    MessageRule{Match::contains,    "syntax error",       ErrorKind::syntax_error},
    MessageRule{Match::contains,    "incomplete input",   ErrorKind::syntax_error},
    MessageRule{Match::contains,    "unrecognized token", ErrorKind::syntax_error},
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

// Error messages are one line (a CLI prints them after "error: ").
[[nodiscard]] std::string one_line(const char* text) {
  std::string line = text != nullptr ? text : "unknown error";
  std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return line;
}

// Splits `text` at every occurrence of `separator`.
[[nodiscard]] std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  for (std::size_t at = text.find(separator); at != std::string_view::npos;
       at = text.find(separator)) {
    parts.emplace_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.emplace_back(text);
  return parts;
}

// SQLite lists the columns as "tbl.a, tbl.b", names unquoted, so a '.' or ", " inside a name
// makes the text ambiguous. Every entry repeats the same table, so each candidate table name
// (the text before some '.') is tried as the separator ", tbl."; the candidate that explains
// the most entries wins, and on a tie the shortest table name (dots in column names and in
// table names are equally rare; the shortest is the common case of neither).
[[nodiscard]] std::vector<std::string> parse_columns(std::string_view list) {
  std::vector<std::string> best;
  for (std::size_t dot = list.find('.'); dot != std::string_view::npos;
       dot = list.find('.', dot + 1)) {
    const std::string separator = fmt::format(", {}.", list.substr(0, dot));
    std::vector<std::string> columns = split(list.substr(dot + 1), separator);
    if (columns.size() > best.size()) best = std::move(columns);
  }
  if (best.empty() && !list.empty()) best.emplace_back(list);
  return best;
}

// What follows "<KIND> constraint failed: " in SQLite's message, or nothing.
[[nodiscard]] std::string_view constraint_detail(std::string_view message) {
  constexpr std::string_view marker = "constraint failed: ";
  const std::size_t at = message.find(marker);
  return at == std::string_view::npos ? std::string_view{} : message.substr(at + marker.size());
}

[[nodiscard]] bool is_plain_identifier(std::string_view text) noexcept {
  const auto word_char = [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || std::isalnum(byte) != 0 || c == '_';
  };
  return !text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) == 0 &&
         std::all_of(text.begin(), text.end(), word_char);
}

// Fills in what SQLite tells about the violated constraint. Unique and primary-key
// constraints have no names in SQLite, but the columns are listed, or "index 'name'" for a
// unique index on expressions. A CHECK reports its name when it has one and its expression
// text otherwise; only something that looks like a name is taken as the name.
void add_constraint_details(ErrorInfo& info, std::string_view message) {
  const std::string_view detail = constraint_detail(message);
  if (detail.empty()) return;
  switch (info.kind) {
    case ErrorKind::unique_violation:
    case ErrorKind::not_null_violation:
      if (detail.starts_with("index '") && detail.ends_with('\'') && detail.size() > 8)
        info.constraint = std::string(detail.substr(7, detail.size() - 8));
      else
        info.columns = parse_columns(detail);
      break;
    case ErrorKind::check_violation:
      if (is_plain_identifier(detail)) info.constraint = std::string(detail);
      break;
    default:
      break;
  }
}

[[nodiscard]] ErrorInfo describe(sqlite3* db, int rc) {
  // The handle's message belongs to this error only when its code is this one: some failures
  // (a bind, an open that ran out of memory) leave an older message behind.
  const bool handle_has_message =
      db != nullptr && (sqlite3_extended_errcode(db) == rc || sqlite3_errcode(db) == rc);
  const std::string text = one_line(handle_has_message ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  const CodeRule rule = rule_for(rc);

  ErrorInfo info;
  info.kind = (rc & 0xff) == SQLITE_ERROR ? refine_error(text) : rule.kind;
  info.backend = std::string(backend_name);
  info.native_code = rc;
  add_constraint_details(info, text);
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
