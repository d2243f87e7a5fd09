#include "trace_connection.hpp"

#include "trace_log.hpp"

#include <anydb/error.hpp>

#include <chrono>

namespace anydb_example {

namespace {

// One line of SQL for the log: newlines folded, long statements cut.
std::string one_line(std::string_view sql) {
  std::string out;
  for (char c : sql.substr(0, 200)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (sql.size() > 200) out += "...";
  return out;
}

}  // namespace

template <class Operation>
decltype(auto) TraceConnection::traced(std::string_view what, Operation&& operation) {
  const auto started = std::chrono::steady_clock::now();
  try {
    decltype(auto) result = operation();
    trace_line(inner_->backend_name(), what, std::chrono::steady_clock::now() - started, "ok");
    return result;
  } catch (const anydb::Error& error) {
    trace_line(inner_->backend_name(), what, std::chrono::steady_clock::now() - started,
               std::string("error ") + std::string(anydb::to_string(error.kind())));
    throw;
  }
}

namespace {

class TraceStatement final : public anydb::Statement {
 public:
  TraceStatement(TraceConnection& connection, std::string sql)
      : connection_(connection), sql_(std::move(sql)) {}

 protected:
  anydb::Result do_execute(std::span<const anydb::Value> params) override {
    // The inner connection caches its own prepared statement for this text.
    return connection_.traced(one_line(sql_),
                              [&] { return connection_.inner().execute(sql_, params); });
  }

 private:
  TraceConnection& connection_;
  std::string sql_;
};

}  // namespace

TraceConnection::TraceConnection(anydb::ConnectionPtr inner) : inner_(std::move(inner)) {}

TraceConnection::~TraceConnection() { close_statements(); }

void TraceConnection::do_begin(anydb::AccessMode mode) {
  traced("BEGIN", [&] {
    inner_->begin(mode);
    return 0;
  });
}
void TraceConnection::do_commit() {
  traced("COMMIT", [&] {
    inner_->commit();
    return 0;
  });
}
void TraceConnection::do_rollback() {
  traced("ROLLBACK", [&] {
    inner_->rollback();
    return 0;
  });
}
void TraceConnection::do_savepoint(std::string_view name) {
  traced("SAVEPOINT", [&] {
    inner_->savepoint(name);
    return 0;
  });
}
void TraceConnection::do_release(std::string_view name) {
  traced("RELEASE", [&] {
    inner_->release(name);
    return 0;
  });
}
void TraceConnection::do_rollback_to(std::string_view name) {
  traced("ROLLBACK TO", [&] {
    inner_->rollback_to(name);
    return 0;
  });
}
void TraceConnection::do_set_isolation_level(anydb::IsolationLevel level) {
  traced("SET ISOLATION", [&] {
    inner_->set_isolation_level(level);
    return 0;
  });
}
void TraceConnection::do_execute_script(std::string_view sql) {
  traced(one_line(sql), [&] {
    inner_->execute_script(sql);
    return 0;
  });
}

anydb::DatabaseTransaction TraceConnection::do_transaction_status() const noexcept {
  switch (inner_->transaction_state()) {
    case anydb::TransactionState::idle: return anydb::DatabaseTransaction::none;
    case anydb::TransactionState::active: return anydb::DatabaseTransaction::open;
    case anydb::TransactionState::failed: return anydb::DatabaseTransaction::failed;
    case anydb::TransactionState::aborted: return anydb::DatabaseTransaction::ended;
  }
  return anydb::DatabaseTransaction::none;
}

std::unique_ptr<anydb::Statement> TraceConnection::do_prepare(std::string_view sql) {
  return std::make_unique<TraceStatement>(*this, std::string(sql));
}

}  // namespace anydb_example
