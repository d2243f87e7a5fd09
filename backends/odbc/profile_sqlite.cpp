// SQLite through the SQLite ODBC driver (sqliteodbc).

#include "profile.hpp"

#include "common/messages.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace anydb::odbc {
namespace {

// sqliteodbc: SQLSTATE is HY000 for every database error; the native code is SQLite's primary
// result code and the message SQLite's own text, so the message decides which constraint
// failed. The real diagnostics are in docs/backends.md.
constexpr std::array rules{
    ErrorRule{"", 19, "UNIQUE constraint failed", ErrorKind::unique_violation},
    ErrorRule{"", 19, "NOT NULL constraint failed", ErrorKind::not_null_violation},
    ErrorRule{"", 19, "FOREIGN KEY constraint failed", ErrorKind::foreign_key_violation},
    ErrorRule{"", 19, "CHECK constraint failed", ErrorKind::check_violation},
    ErrorRule{"", 19, "", ErrorKind::integrity_violation},  // e.g. RAISE(ABORT) in a trigger
    ErrorRule{"", 5, "", ErrorKind::busy},                  // SQLITE_BUSY: "database is locked"
    ErrorRule{"", 6, "", ErrorKind::busy},  // SQLITE_LOCKED: "database table is locked"
    ErrorRule{"", 1, "no such ", ErrorKind::undefined_object},
    ErrorRule{"", 1, "syntax error", ErrorKind::syntax_error},
};

// "3.40.1" -> 3040001: three numbers, the rest ignored.
[[nodiscard]] long version_number(std::string_view text) {
  long parts[3] = {0, 0, 0};
  for (long& part : parts) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), part);
    if (error != std::errc{}) break;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty() || text.front() != '.') break;
    text.remove_prefix(1);
  }
  return parts[0] * 1'000'000 + parts[1] * 1'000 + parts[2];
}

class SqliteProfile final : public ProductProfile {
 public:
  [[nodiscard]] Product product() const noexcept override { return Product::sqlite; }

  void add_connection_defaults(
      const std::function<void(std::string_view, std::string)>& add) const override {
    // sqliteodbc waits 100 s for a lock by default; anydb's SQLite backend waits 5 s. Its
    // foreign keys are off by default; anydb's SQLite backend turns them on.
    add("Timeout", std::to_string(default_sqlite_timeout_ms));
    add("FKSupport", "1");
    // WAL, as anydb's SQLite backend does by default: readers and the writer do not block
    // each other. (The mode is stored in the database file.)
    add("JournalMode", "WAL");
  }

  [[nodiscard]] Dialect dialect(const RunQuery& run, SQLHDBC) const override {
    Dialect dialect;
    dialect.placeholders = Dialect::Placeholders::question_mark;
    dialect.supports_savepoints = true;
    // SQL_DBMS_VER is the SQLite the driver was compiled against, which need not be the
    // library it runs with: ask the library.
    const FirstRow row = run("SELECT sqlite_version()");
    const long version = version_number(row.empty() || !row[0] ? std::string() : *row[0]);
    dialect.identifier_quote = '"';
    dialect.upsert =
        version >= 3'024'000 ? Dialect::Upsert::on_conflict_do_nothing : Dialect::Upsert::none;
    // No RETURNING, although SQLite 3.35+ has it: sqliteodbc 0.9998 runs an INSERT ...
    // RETURNING but hands back no result set (SQLNumResultCols 0, SQLRowCount 1).
    dialect.supports_returning = false;
    dialect.identity_column = "INTEGER PRIMARY KEY";
    dialect.blob_type = "BLOB";
    // sqliteodbc 0.9998 reads REAL columns back through text with 15 significant digits.
    dialect.real_digits = 15;
    return dialect;
  }

  [[nodiscard]] std::optional<std::string> apply_isolation(IsolationLevel level, const RunQuery&,
                                                           SQLHDBC) const override {
    if (level != IsolationLevel::serializable) return "SQLite only provides serializable isolation";
    return std::nullopt;
  }

  [[nodiscard]] std::span<const ErrorRule> error_rules() const noexcept override { return rules; }

  void add_error_details(ErrorInfo& info, std::string_view message) const override {
    // "[SQLite]UNIQUE constraint failed: t.a, t.b (19)": SQLite's own text, plus the driver's
    // " (<code>)".
    if (const std::size_t paren = message.rfind(" (");
        paren != std::string_view::npos && message.ends_with(')')) {
      const std::string_view code = message.substr(paren + 2, message.size() - paren - 3);
      if (!code.empty() && code.find_first_not_of("0123456789") == std::string_view::npos)
        message = message.substr(0, paren);
    }
    support::add_sqlite_constraint_details(info, message);
  }

  // SQLite keeps a transaction open after most errors but rolls it back by itself after some
  // (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, an ON CONFLICT ROLLBACK clause), and ODBC cannot
  // ask sqlite3_get_autocommit: the connection probes.
  [[nodiscard]] TransactionEffect effect_of(const ErrorInfo&,
                                            const ProductSettings&) const override {
    return TransactionEffect::ask_database;
  }

  // sqliteodbc starts a manual-commit transaction with a DEFERRED "BEGIN TRANSACTION": one that
  // reads and then writes fails at the write with SQLITE_BUSY at once, without waiting (SQLite's
  // deadlock avoidance), so under contention most attempts would fail. The connection therefore
  // stays in autocommit mode and runs BEGIN IMMEDIATE itself, which takes the write lock up
  // front and waits for it (Timeout), like anydb's sqlite backend.
  [[nodiscard]] bool begins_with_sql() const noexcept override { return true; }
  [[nodiscard]] bool prepares_again_after_schema_changes() const noexcept override { return true; }
};

}  // namespace

const ProductProfile& sqlite_profile() noexcept {
  static const SqliteProfile profile;
  return profile;
}

}  // namespace anydb::odbc
