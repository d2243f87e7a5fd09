#pragma once

#include "error.hpp"
#include "uri.hpp"

#include <anydb/connection.hpp>
#include <anydb/dialect.hpp>

#include <sql.h>
#include <sqlext.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::odbc {

// One row of a product's error table: a diagnostic matches when its SQLSTATE equals `sqlstate`
// (five characters) or starts with it (a two-character class), its native code equals
// `native`, and its message contains `message`. Empty fields and any_native match everything.
inline constexpr std::int64_t any_native = std::numeric_limits<std::int64_t>::min();
struct ErrorRule {
  std::string_view sqlstate;
  std::int64_t native;
  std::string_view message;
  ErrorKind kind;
};

// What an error raised inside a transaction did to it, by the product's rules.
enum class TransactionEffect {
  none,          // only the statement failed; the transaction goes on
  failed,        // the transaction accepts nothing but ROLLBACK [TO SAVEPOINT] (PostgreSQL)
  ended,         // the database rolled the whole transaction back (MariaDB deadlock)
  ask_database,  // it may have: the connection must find out (SQLite after SQLITE_FULL)
};

// What a connection learns of its product's settings when it connects.
struct ProductSettings {
  bool errors_fail_transaction = false;  // PostgreSQL with Protocol=7.4-0 (anydb's default)
  bool timeout_rolls_back = false;       // MariaDB innodb_rollback_on_timeout
};

// Runs one statement without parameters on the connection; returns its first row as text.
using FirstRow = std::vector<std::optional<std::string>>;
using RunQuery = std::function<FirstRow(std::string_view sql)>;

// Everything the ODBC backend knows about one database product, in one place: the driver's
// connection-string defaults, the dialect, how an isolation level is set and verified, the error
// table, and what an error does to an open transaction. The connection, the URI and the error
// mapping ask the profile; none of them switches on the product. A product without a profile of
// its own gets the generic one: standard SQL, conservative capabilities, ODBC's SQLSTATEs.
class ProductProfile {
 public:
  virtual ~ProductProfile() = default;

  [[nodiscard]] virtual Product product() const noexcept = 0;
  // Attributes the driver needs, added to the connection string unless the URI sets them.
  virtual void add_connection_defaults(
      const std::function<void(std::string_view key, std::string value)>& add) const;
  // Once connected: the dialect, from what the database (not the driver's headers) reports.
  [[nodiscard]] virtual Dialect dialect(const RunQuery& run, SQLHDBC dbc) const = 0;
  [[nodiscard]] virtual ProductSettings settings(const RunQuery& run,
                                                 const ConnectOptions& options) const;
  // Sets `level` for the transactions begun afterwards and checks that the database runs it.
  // Returns why it cannot, or nothing.
  [[nodiscard]] virtual std::optional<std::string> apply_isolation(IsolationLevel level,
                                                                   const RunQuery& run,
                                                                   SQLHDBC dbc) const = 0;
  // The product's rows, tried before the generic rows (ODBC's standard SQLSTATEs).
  [[nodiscard]] virtual std::span<const ErrorRule> error_rules() const noexcept;
  // Constraint name and columns, from the product's message texts.
  virtual void add_error_details(ErrorInfo& info, std::string_view message) const;
  [[nodiscard]] virtual TransactionEffect effect_of(const ErrorInfo& error,
                                                    const ProductSettings& settings) const;
  // True when transactions start with the product's own BEGIN in autocommit mode (SQLite),
  // false for ODBC's manual-commit mode.
  [[nodiscard]] virtual bool begins_with_sql() const noexcept { return false; }
  // True when a unique violation names only the key, whose columns the connection looks up.
  [[nodiscard]] virtual bool unique_violation_names_only_the_key() const noexcept { return false; }
  // True when the driver's prepared statements must be prepared again after a schema change
  // (see OdbcStatement).
  [[nodiscard]] virtual bool prepares_again_after_schema_changes() const noexcept { return false; }
};

[[nodiscard]] const ProductProfile& profile_for(Product product) noexcept;
// The product behind SQL_DBMS_NAME ("SQLite", "PostgreSQL", "MariaDB", "MySQL").
[[nodiscard]] Product product_of_dbms(std::string_view dbms_name);
// The product a DRIVER attribute names (a file or a registered name), guessed before connecting.
[[nodiscard]] Product product_of_driver(std::string_view driver);

// Shared by the profiles: the SQL ANSI isolation levels as SQL names them, verified by reading
// the level back with `show_sql` (`separator` replaces spaces in the answer: MariaDB writes
// "REPEATABLE-READ").
[[nodiscard]] std::optional<std::string> set_and_verify_isolation(IsolationLevel level,
                                                                  const RunQuery& run,
                                                                  std::string_view set_sql,
                                                                  std::string_view show_sql,
                                                                  char separator);
// SQLGetInfo as text ("" when the driver does not say).
[[nodiscard]] std::string driver_info(SQLHDBC dbc, SQLUSMALLINT type);
// The text between the first `open` after `marker` and the next `close`.
[[nodiscard]] std::string_view between(std::string_view text, std::string_view marker, char open,
                                       char close);

}  // namespace anydb::odbc
