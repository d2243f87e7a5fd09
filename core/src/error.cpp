#include <anydb/error.hpp>

#include <fmt/format.h>

#include <array>
#include <utility>

namespace anydb {

namespace {

std::string render_what(const ErrorInfo& info) {
  if (info.backend.empty()) return info.message;
  return fmt::format("{}: {}", info.backend, info.message);
}

}  // namespace

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::unique_violation: return "unique_violation";
    case ErrorKind::foreign_key_violation: return "foreign_key_violation";
    case ErrorKind::not_null_violation: return "not_null_violation";
    case ErrorKind::check_violation: return "check_violation";
    case ErrorKind::integrity_violation: return "integrity_violation";
    case ErrorKind::serialization_failure: return "serialization_failure";
    case ErrorKind::deadlock: return "deadlock";
    case ErrorKind::busy: return "busy";
    case ErrorKind::connection_lost: return "connection_lost";
    case ErrorKind::connection_failed: return "connection_failed";
    case ErrorKind::syntax_error: return "syntax_error";
    case ErrorKind::undefined_object: return "undefined_object";
    case ErrorKind::permission_denied: return "permission_denied";
    case ErrorKind::data_error: return "data_error";
    case ErrorKind::resource_exhausted: return "resource_exhausted";
    case ErrorKind::invalid_usage: return "invalid_usage";
    case ErrorKind::invalid_argument: return "invalid_argument";
    case ErrorKind::configuration: return "configuration";
    case ErrorKind::plugin: return "plugin";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::transaction_aborted: return "transaction_aborted";
    case ErrorKind::schema_changed: return "schema_changed";
    case ErrorKind::database_error: return "database_error";
  }
  return "unknown";
}

Error::Error(ErrorInfo info) : std::runtime_error(render_what(info)), info_(std::move(info)) {}
Error::~Error() = default;

bool Error::is_transient() const noexcept {
  switch (info_.kind) {
    case ErrorKind::serialization_failure:
    case ErrorKind::deadlock:
    case ErrorKind::busy:
    case ErrorKind::schema_changed: return true;
    default: return false;
  }
}

bool Error::is_connection_error() const noexcept {
  return info_.kind == ErrorKind::connection_lost || info_.kind == ErrorKind::connection_failed;
}

// Out-of-line destructors are the key functions that pin each class's vtable and typeinfo to
// libanydb (see export.hpp).
IntegrityError::~IntegrityError() = default;
UniqueViolation::~UniqueViolation() = default;
ForeignKeyViolation::~ForeignKeyViolation() = default;
NotNullViolation::~NotNullViolation() = default;
CheckViolation::~CheckViolation() = default;
TransientError::~TransientError() = default;
SerializationFailure::~SerializationFailure() = default;
DeadlockDetected::~DeadlockDetected() = default;
Busy::~Busy() = default;
SchemaChanged::~SchemaChanged() = default;
TransactionAborted::~TransactionAborted() = default;
ConnectionError::~ConnectionError() = default;
ConnectionLost::~ConnectionLost() = default;
ConnectionFailed::~ConnectionFailed() = default;
SyntaxError::~SyntaxError() = default;
UndefinedObject::~UndefinedObject() = default;
PermissionDenied::~PermissionDenied() = default;
DataError::~DataError() = default;
ResourceExhausted::~ResourceExhausted() = default;
UsageError::~UsageError() = default;
InvalidArgument::~InvalidArgument() = default;
ConfigurationError::~ConfigurationError() = default;
PluginError::~PluginError() = default;
Unsupported::~Unsupported() = default;
DatabaseError::~DatabaseError() = default;

void throw_error(ErrorInfo info) {
  switch (info.kind) {
    case ErrorKind::unique_violation: throw UniqueViolation(std::move(info));
    case ErrorKind::foreign_key_violation: throw ForeignKeyViolation(std::move(info));
    case ErrorKind::not_null_violation: throw NotNullViolation(std::move(info));
    case ErrorKind::check_violation: throw CheckViolation(std::move(info));
    case ErrorKind::integrity_violation: throw IntegrityError(std::move(info));
    case ErrorKind::serialization_failure: throw SerializationFailure(std::move(info));
    case ErrorKind::deadlock: throw DeadlockDetected(std::move(info));
    case ErrorKind::busy: throw Busy(std::move(info));
    case ErrorKind::connection_lost: throw ConnectionLost(std::move(info));
    case ErrorKind::connection_failed: throw ConnectionFailed(std::move(info));
    case ErrorKind::syntax_error: throw SyntaxError(std::move(info));
    case ErrorKind::undefined_object: throw UndefinedObject(std::move(info));
    case ErrorKind::permission_denied: throw PermissionDenied(std::move(info));
    case ErrorKind::data_error: throw DataError(std::move(info));
    case ErrorKind::resource_exhausted: throw ResourceExhausted(std::move(info));
    case ErrorKind::invalid_usage: throw UsageError(std::move(info));
    case ErrorKind::invalid_argument: throw InvalidArgument(std::move(info));
    case ErrorKind::configuration: throw ConfigurationError(std::move(info));
    case ErrorKind::plugin: throw PluginError(std::move(info));
    case ErrorKind::unsupported: throw Unsupported(std::move(info));
    case ErrorKind::transaction_aborted: throw TransactionAborted(std::move(info));
    case ErrorKind::schema_changed: throw SchemaChanged(std::move(info));
    case ErrorKind::database_error: break;
  }
  throw DatabaseError(std::move(info));
}

void throw_error(ErrorKind kind, std::string message, std::string backend) {
  ErrorInfo info;
  info.kind = kind;
  info.message = std::move(message);
  info.backend = std::move(backend);
  throw_error(std::move(info));
}

}  // namespace anydb
