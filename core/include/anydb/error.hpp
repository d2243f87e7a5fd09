#pragma once

#include <anydb/export.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace anydb {

// Every failure anydb reports has one of these kinds. Backends map their database's codes onto
// them in one table each (backends/<name>/error.cpp), so that callers never inspect SQLSTATEs or
// native codes to tell a duplicate key from a deadlock.
enum class ErrorKind {
  unique_violation,  // a unique or primary-key constraint rejected a row
  foreign_key_violation,
  not_null_violation,
  check_violation,
  integrity_violation,    // another integrity constraint (exclusion, generic 23000, ...)
  serialization_failure,  // transient: the database could not serialise concurrent transactions
  deadlock,               // transient: chosen as a deadlock victim
  busy,                   // transient: locked / lock timeout / SQLITE_BUSY
  connection_lost,        // an established connection broke
  connection_failed,      // could not connect (server down, bad credentials, missing file)
  syntax_error,
  undefined_object,     // no such table, column, function, ...
  permission_denied,    // includes read-only databases
  data_error,           // value out of range, wrong type, invalid text
  resource_exhausted,   // disk full, out of memory, too many connections
  invalid_usage,        // API misuse: savepoint outside a transaction, commit with none open
  invalid_argument,     // bad identifier, bad key, bad option value
  configuration,        // malformed URI, unknown URI parameter
  plugin,               // a backend plugin could not be found or loaded
  unsupported,          // the backend lacks a feature that was asked for
  transaction_aborted,  // the transaction failed or was ended by the database: only a
                        // rollback is accepted (PostgreSQL's 25P02, Django's
                        // TransactionManagementError); see Connection
  schema_changed,       // transient: a prepared statement went stale after a schema change
                        // inside a transaction; a retry prepares it afresh
  database_error,       // a database error with no more specific kind
};

[[nodiscard]] ANYDB_API std::string_view to_string(ErrorKind kind) noexcept;

// Everything known about a failure. Backends fill it in and hand it to throw_error(), which
// throws the exception class that matches `kind`.
struct ErrorInfo {
  ErrorKind kind = ErrorKind::database_error;
  std::string message;   // must already be free of secrets (see redact_uri())
  std::string backend;   // "sqlite", "postgresql", ...
  std::string sqlstate;  // five characters where the database has one
  std::optional<std::int64_t> native_code;
  std::string constraint;            // constraint name, where the database reports it
  std::vector<std::string> columns;  // columns of the violated constraint, where known
  // Set by the core (Connection), never by a backend: the transaction that was open when the
  // error happened can no longer commit. The database rolled it back, or accepts nothing but a
  // rollback (to a savepoint); its work is lost. False when no transaction was open, when the
  // transaction is still usable (SQLite's BUSY, a failed statement on a database that only
  // undoes the statement), and when anydb recovered it by rolling back to a savepoint of its own
  // before the error reached the caller (get-or-create, a nested anydb::Transaction).
  bool transaction_aborted = false;
  // The connection died during COMMIT: the work may or may not be durable. Never set together
  // with transaction_aborted.
  bool commit_outcome_unknown = false;
  // The database's primary message alone, where it reports one apart from its detail and hint
  // (PostgreSQL's PG_DIAG_MESSAGE_PRIMARY; `message` folds the detail in). Empty elsewhere.
  // Tools that must print exactly what the database's own clients print use it.
  std::string primary_message;
  // Set by the core (Connection), never by a backend: the SQL text of the statement or script
  // that failed, as sent to the backend (as libpqxx's sql_error::query()). Parameter values are
  // bound, never part of it. Not part of what(); empty for failures outside a statement.
  std::string sql;
};

// The root of every exception anydb throws. Its noexcept queries answer what a retry loop
// needs to know without catching leaf types.
class ANYDB_API Error : public std::runtime_error {
 public:
  explicit Error(ErrorInfo info);
  ~Error() override;
  Error(const Error&) = default;
  Error& operator=(const Error&) = default;

  [[nodiscard]] ErrorKind kind() const noexcept { return info_.kind; }
  [[nodiscard]] const ErrorInfo& info() const noexcept { return info_; }
  [[nodiscard]] const std::string& message() const noexcept { return info_.message; }
  [[nodiscard]] const std::string& backend() const noexcept { return info_.backend; }
  [[nodiscard]] const std::string& sqlstate() const noexcept { return info_.sqlstate; }
  [[nodiscard]] std::optional<std::int64_t> native_code() const noexcept {
    return info_.native_code;
  }
  [[nodiscard]] const std::string& constraint() const noexcept { return info_.constraint; }
  [[nodiscard]] const std::vector<std::string>& columns() const noexcept { return info_.columns; }
  // The SQL text that failed (see ErrorInfo::sql); empty when no statement was involved.
  [[nodiscard]] const std::string& sql() const noexcept { return info_.sql; }

  // Retrying the whole transaction (not the statement) may succeed.
  [[nodiscard]] bool is_transient() const noexcept;
  // The connection is gone; it must be discarded.
  [[nodiscard]] bool is_connection_error() const noexcept;
  // The transaction open when this error happened can no longer commit (see ErrorInfo).
  [[nodiscard]] bool transaction_aborted() const noexcept { return info_.transaction_aborted; }
  // COMMIT was sent but its result never arrived: the work may or may not be durable, so it
  // must never be retried blindly.
  [[nodiscard]] bool commit_outcome_unknown() const noexcept {
    return info_.commit_outcome_unknown;
  }

 private:
  ErrorInfo info_;
};

// The exception classes mirror the kinds so that callers can catch what they handle.
#define ANYDB_DECLARE_ERROR(Name, Base)                      \
  class ANYDB_API Name : public Base {                       \
   public:                                                   \
    explicit Name(ErrorInfo info) : Base(std::move(info)) {} \
    ~Name() override;                                        \
    Name(const Name&) = default;                             \
    Name& operator=(const Name&) = default;                  \
  }

ANYDB_DECLARE_ERROR(IntegrityError, Error);
ANYDB_DECLARE_ERROR(UniqueViolation, IntegrityError);
ANYDB_DECLARE_ERROR(ForeignKeyViolation, IntegrityError);
ANYDB_DECLARE_ERROR(NotNullViolation, IntegrityError);
ANYDB_DECLARE_ERROR(CheckViolation, IntegrityError);
ANYDB_DECLARE_ERROR(TransientError, Error);
ANYDB_DECLARE_ERROR(SerializationFailure, TransientError);
ANYDB_DECLARE_ERROR(DeadlockDetected, TransientError);
ANYDB_DECLARE_ERROR(Busy, TransientError);
ANYDB_DECLARE_ERROR(SchemaChanged, TransientError);
ANYDB_DECLARE_ERROR(TransactionAborted, Error);
ANYDB_DECLARE_ERROR(ConnectionError, Error);
ANYDB_DECLARE_ERROR(ConnectionLost, ConnectionError);
ANYDB_DECLARE_ERROR(ConnectionFailed, ConnectionError);
ANYDB_DECLARE_ERROR(SyntaxError, Error);
ANYDB_DECLARE_ERROR(UndefinedObject, Error);
ANYDB_DECLARE_ERROR(PermissionDenied, Error);
ANYDB_DECLARE_ERROR(DataError, Error);
ANYDB_DECLARE_ERROR(ResourceExhausted, Error);
ANYDB_DECLARE_ERROR(UsageError, Error);
ANYDB_DECLARE_ERROR(InvalidArgument, Error);
ANYDB_DECLARE_ERROR(ConfigurationError, Error);
ANYDB_DECLARE_ERROR(PluginError, Error);
ANYDB_DECLARE_ERROR(Unsupported, Error);
ANYDB_DECLARE_ERROR(DatabaseError, Error);

#undef ANYDB_DECLARE_ERROR

// Throws the exception class that matches info.kind.
[[noreturn]] ANYDB_API void throw_error(ErrorInfo info);

// Shorthand for errors raised by anydb itself rather than by a database.
[[noreturn]] ANYDB_API void throw_error(ErrorKind kind, std::string message,
                                        std::string backend = {});

}  // namespace anydb
