#pragma once

#include <anydb/backend.hpp>
#include <anydb/connection.hpp>

#include <string>

namespace anydb_example {

// Forwards everything to the inner connection and traces each call. It exposes the inner
// connection's dialect, so SQL built for it stays valid.
class TraceConnection final : public anydb::Connection {
 public:
  explicit TraceConnection(anydb::ConnectionPtr inner);
  ~TraceConnection() override;

  [[nodiscard]] const anydb::Dialect& dialect() const noexcept override {
    return inner_->dialect();
  }
  [[nodiscard]] std::string_view backend_name() const noexcept override { return "trace"; }

  // Runs `operation` on the inner connection, tracing its duration and outcome.
  template <class Operation>
  decltype(auto) traced(std::string_view what, Operation&& operation);

  [[nodiscard]] anydb::Connection& inner() noexcept { return *inner_; }

 protected:
  void do_begin(anydb::AccessMode mode) override;
  void do_commit() override;
  void do_rollback() override;
  void do_savepoint(std::string_view name) override;
  void do_release(std::string_view name) override;
  void do_rollback_to(std::string_view name) override;
  void do_set_isolation_level(anydb::IsolationLevel level) override;
  void do_execute_script(std::string_view sql) override;
  [[nodiscard]] std::unique_ptr<anydb::Statement> do_prepare(std::string_view sql) override;
  // The inner connection's state, as its core tracks it.
  [[nodiscard]] anydb::DatabaseTransaction do_transaction_status() const noexcept override;

 private:
  anydb::ConnectionPtr inner_;
};

}  // namespace anydb_example
