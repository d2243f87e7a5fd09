// MariaDB (and MySQL) through MariaDB Connector/ODBC.

#include "profile.hpp"

#include "common/mariadb_dialect.hpp"

#include <fmt/format.h>

#include <array>

namespace anydb::odbc {
namespace {

// Connector/ODBC: the native code is the server's error number, the SQLSTATE a coarse class
// (23000 for every integrity error), so the native code decides.
constexpr std::array rules{
    ErrorRule{"", 1062, "", ErrorKind::unique_violation},    // ER_DUP_ENTRY
    ErrorRule{"", 1048, "", ErrorKind::not_null_violation},  // ER_BAD_NULL_ERROR
    // ER_NO_DEFAULT_FOR_FIELD: an INSERT that leaves out a NOT NULL column without a default
    // (strict mode) — the same mistake PostgreSQL and SQLite report as a NOT NULL violation.
    ErrorRule{"", 1364, "", ErrorKind::not_null_violation},
    // 1216/1217 (ER_NO_REFERENCED_ROW, ER_ROW_IS_REFERENCED) are left out: MariaDB 10.11 sends
    // 1452/1451 for every foreign-key failure we could produce, and a row no test covers is a
    // guess. They fall to the generic 23000 row (integrity_violation).
    ErrorRule{"", 1452, "", ErrorKind::foreign_key_violation},  // ER_NO_REFERENCED_ROW_2
    ErrorRule{"", 1451, "", ErrorKind::foreign_key_violation},  // ER_ROW_IS_REFERENCED_2
    ErrorRule{"", 4025, "", ErrorKind::check_violation},        // ER_CONSTRAINT_FAILED
    ErrorRule{"", 1213, "", ErrorKind::deadlock},               // ER_LOCK_DEADLOCK (rolls back all)
    ErrorRule{"", 1205, "", ErrorKind::busy},                   // ER_LOCK_WAIT_TIMEOUT
    ErrorRule{"", 1146, "", ErrorKind::undefined_object},       // ER_NO_SUCH_TABLE
    ErrorRule{"", 1054, "", ErrorKind::undefined_object},       // ER_BAD_FIELD_ERROR
    ErrorRule{"", 1064, "", ErrorKind::syntax_error},           // ER_PARSE_ERROR
    // Client errors; Connector/ODBC reports them under SQLSTATE HY001 / HY000, not 08S01.
    ErrorRule{"", 2006, "", ErrorKind::connection_lost},  // CR_SERVER_GONE_ERROR
    ErrorRule{"", 2013, "", ErrorKind::connection_lost},  // CR_SERVER_LOST (during a query)
    // CR_NEW_STMT_METADATA: the table changed under a prepared statement (another session's
    // ALTER TABLE); Connector/ODBC refuses to fetch until it is prepared again.
    ErrorRule{"", 2057, "", ErrorKind::schema_changed},
};

class MariadbProfile final : public ProductProfile {
 public:
  [[nodiscard]] Product product() const noexcept override { return Product::mariadb; }

  void add_connection_defaults(
      const std::function<void(std::string_view, std::string)>& add) const override {
    // anydb's text is UTF-8; without this the connection's character set is the server's
    // default, which may be latin1.
    add("CHARSET", "utf8mb4");
    // No call waits forever: a hung server or network ends the wait with a lost connection
    // (2013) after this many seconds without a reply, as the native backend's read_timeout.
    // Connector/ODBC has no such bound by default.
    add("READ_TIMEOUT", std::to_string(default_read_timeout_seconds));
    add("WRITE_TIMEOUT", std::to_string(default_read_timeout_seconds));
  }

  [[nodiscard]] Dialect dialect(const RunQuery&, SQLHDBC) const override {
    return support::mariadb_dialect();
  }

  [[nodiscard]] ProductSettings settings(const RunQuery& run,
                                         const ConnectOptions&) const override {
    ProductSettings settings;
    const FirstRow row = run("SELECT @@innodb_rollback_on_timeout");
    settings.timeout_rolls_back = !row.empty() && row[0] && *row[0] == "1";
    return settings;
  }

  // SQL_ATTR_TXN_ISOLATION is accepted by Connector/ODBC and then not applied: use SQL. MariaDB
  // 10.11 has no @@transaction_isolation.
  [[nodiscard]] std::optional<std::string> apply_isolation(IsolationLevel level,
                                                           const RunQuery& run,
                                                           SQLHDBC) const override {
    return set_and_verify_isolation(level, run, "SET SESSION TRANSACTION ISOLATION LEVEL ",
                                    "SELECT @@tx_isolation", '-');
  }

  [[nodiscard]] std::span<const ErrorRule> error_rules() const noexcept override { return rules; }

  // "Duplicate entry '1' for key 'PRIMARY'": the key's columns are looked up by the connection.
  // "CONSTRAINT `name` failed for `db`.`t`" / "... CONSTRAINT `name` FOREIGN KEY ...".
  void add_error_details(ErrorInfo& info, std::string_view message) const override {
    if (info.kind == ErrorKind::unique_violation) {
      constexpr std::string_view marker = "for key '";
      const std::size_t at = message.rfind(marker);
      if (at == std::string_view::npos) return;
      const std::size_t end = message.find('\'', at + marker.size());
      if (end != std::string_view::npos)
        info.constraint = std::string(message.substr(at + marker.size(), end - at - marker.size()));
    } else if (info.kind == ErrorKind::check_violation ||
               info.kind == ErrorKind::foreign_key_violation) {
      const std::string_view name = between(message, "CONSTRAINT ", '`', '`');
      if (!name.empty()) info.constraint = std::string(name);
    }
  }

  // InnoDB rolls the whole transaction back on a deadlock, and on a lock wait timeout when
  // innodb_rollback_on_timeout is on; any other error undoes the statement only.
  [[nodiscard]] TransactionEffect effect_of(const ErrorInfo& error,
                                            const ProductSettings& settings) const override {
    if (error.kind == ErrorKind::deadlock ||
        (error.kind == ErrorKind::busy && settings.timeout_rolls_back))
      return TransactionEffect::ended;
    return TransactionEffect::none;
  }

  [[nodiscard]] bool unique_violation_names_only_the_key() const noexcept override { return true; }
};

}  // namespace

const ProductProfile& mariadb_profile() noexcept {
  static const MariadbProfile profile;
  return profile;
}

}  // namespace anydb::odbc
