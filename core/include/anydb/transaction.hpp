#pragma once

#include <anydb/connection.hpp>
#include <anydb/error.hpp>
#include <anydb/export.hpp>
#include <anydb/retry.hpp>

#include <string>
#include <type_traits>
#include <utility>

namespace anydb {

// An RAII transaction with Django's atomic() semantics: at the top level it begins a
// transaction, inside one it takes a savepoint (with a generated name). commit() commits or
// releases; the destructor rolls back (or rolls back to the savepoint and releases it) unless
// commit() succeeded. The destructor never throws: a failed rollback is reported through the
// connection's cleanup-error handler. Not copyable or movable; one thread at a time, like its
// Connection.
class ANYDB_API Transaction {
 public:
  explicit Transaction(Connection& connection, AccessMode mode = AccessMode::read_write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Throws what the backend throws; the transaction is then finished either way (a failed
  // COMMIT is followed by a rollback in the destructor when the database left one open).
  void commit();
  // Rolls back now instead of in the destructor; throws what the backend throws.
  void rollback();
  // For a catch block handling `error` (the exception in flight): rolls back, then rethrows it;
  // after rolling back to a savepoint, with transaction_aborted() saying whether the enclosing
  // transaction can still commit (it normally can).
  [[noreturn]] void rollback_and_rethrow(const Error& error);

  [[nodiscard]] bool is_savepoint() const noexcept { return !savepoint_.empty(); }
  [[nodiscard]] bool active() const noexcept { return active_; }

 private:
  Connection& connection_;
  std::string savepoint_;
  bool active_ = true;
};

// Runs fn() inside a Transaction and commits when it returns; rolls back when it throws and
// rethrows. Nested calls use savepoints.
template <class Fn>
decltype(auto) atomic(Connection& connection, Fn&& fn, AccessMode mode = AccessMode::read_write) {
  Transaction transaction(connection, mode);
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&>>) {
      fn();
      transaction.commit();
    } else {
      decltype(auto) result = fn();
      transaction.commit();
      return result;
    }
  } catch (const Error& error) {
    transaction.rollback_and_rethrow(error);
  }
}

struct TransactionRunStats {
  int attempts = 0;           // how many times fn ran
  int transient_retries = 0;  // how many of those followed a transient error
};

// Runs fn(connection) in a transaction of its own and re-runs it whole, within `policy`, when a
// transient error (serialization failure, deadlock, busy, a lost get-or-create race) ends an
// attempt. Never re-runs after a COMMIT whose outcome is unknown. The connection must not be
// in a transaction already (anydb::UsageError): retrying is the outermost owner's job.
template <class Fn>
decltype(auto) run_transaction(Connection& connection, Fn&& fn, RetryPolicy policy = {},
                               AccessMode mode = AccessMode::read_write,
                               TransactionRunStats* stats = nullptr) {
  if (connection.in_transaction())
    throw_error(ErrorKind::invalid_usage,
                "run_transaction needs a connection with no open transaction: only the "
                "outermost owner of a transaction may retry it");
  TransactionRunStats local;
  TransactionRunStats& counted = stats ? *stats : local;
  return retry_transient(
      policy,
      [&](int attempt) -> decltype(auto) {
        counted.attempts = attempt;
        return atomic(
            connection, [&]() -> decltype(auto) { return fn(connection); }, mode);
      },
      [&](int) { ++counted.transient_retries; });
}

}  // namespace anydb
