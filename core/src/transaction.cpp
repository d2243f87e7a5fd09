#include <anydb/transaction.hpp>

#include <fmt/format.h>

namespace anydb {

Transaction::Transaction(Connection& connection, AccessMode mode) : connection_(connection) {
  if (connection_.in_transaction()) {
    savepoint_ = connection_.next_savepoint_name();
    connection_.savepoint(savepoint_);
  } else {
    connection_.begin(mode);
  }
}

Transaction::~Transaction() {
  if (!active_) return;
  try {
    rollback();
  } catch (const std::exception& error) {
    connection_.report_cleanup_error(
        fmt::format("rollback in a transaction guard's destructor failed: {}", error.what()));
  } catch (...) {
    connection_.report_cleanup_error("rollback in a transaction guard's destructor failed");
  }
}

void Transaction::commit() {
  if (!active_) throw_error(ErrorKind::invalid_usage, "commit() on a finished transaction");
  if (is_savepoint()) {
    connection_.release(savepoint_);
    active_ = false;
    return;
  }
  try {
    connection_.commit();
    active_ = false;
  } catch (...) {
    // Some databases end the transaction when COMMIT fails (PostgreSQL), others keep it open
    // (SQLite on BUSY): roll back in the destructor only in the second case.
    active_ = connection_.in_transaction();
    throw;
  }
}

void Transaction::rollback_and_rethrow(const Error& error) {
  if (active_) {
    try {
      rollback();
    } catch (const std::exception& failure) {
      // The error in flight is what the caller must see; the failed cleanup is reported.
      connection_.report_cleanup_error(
          fmt::format("rollback after an error failed: {}", failure.what()));
    }
  }
  // A savepoint rolled back leaves the enclosing transaction usable: the error no longer aborts
  // it, whatever it said when it was raised. At the top level the transaction is over anyway.
  if (is_savepoint()) connection_.rethrow_for_current_state(error);
  throw;
}

void Transaction::rollback() {
  if (!active_) throw_error(ErrorKind::invalid_usage, "rollback() on a finished transaction");
  active_ = false;
  if (is_savepoint()) {
    // The database may have ended the whole transaction already (a deadlock victim on MariaDB,
    // a lost connection, SQLite's automatic rollback): then there is no savepoint left to go
    // back to, and the outermost guard's rollback() ends what is left.
    const TransactionState state = connection_.transaction_state();
    if (state == TransactionState::aborted || state == TransactionState::idle) return;
    connection_.rollback_to(savepoint_);
    connection_.release(savepoint_);
  } else if (connection_.in_transaction()) {
    connection_.rollback();
  }
}

}  // namespace anydb
