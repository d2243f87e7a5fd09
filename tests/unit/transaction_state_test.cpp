// The core's transaction state machine, driven by a scripted backend: every transition of the
// table in docs/architecture.md ("The transaction contract"), without a database. The same
// rules are proven on every real backend by tests/conformance/transaction_contract_test.cpp.

#include <anydb/connection.hpp>
#include <anydb/error.hpp>
#include <anydb/transaction.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using anydb::DatabaseTransaction;
using anydb::ErrorKind;
using anydb::TransactionState;

// A backend whose database does what the test says: the next hook fails with `fail_next`, and
// the database then reports `status_after_failure`.
class ScriptedConnection final : public anydb::Connection {
 public:
  std::vector<std::string> calls;
  std::optional<ErrorKind> fail_next;
  DatabaseTransaction status = DatabaseTransaction::none;
  DatabaseTransaction status_after_failure = DatabaseTransaction::open;

  ~ScriptedConnection() override { close_statements(); }
  [[nodiscard]] const anydb::Dialect& dialect() const noexcept override { return dialect_; }
  [[nodiscard]] std::string_view backend_name() const noexcept override { return "scripted"; }

 protected:
  void do_begin(anydb::AccessMode) override { run("BEGIN", DatabaseTransaction::open); }
  void do_commit() override { run("COMMIT", DatabaseTransaction::none); }
  void do_rollback() override { run("ROLLBACK", DatabaseTransaction::none); }
  void do_savepoint(std::string_view name) override {
    run("SAVEPOINT " + std::string(name), status);
  }
  void do_release(std::string_view name) override { run("RELEASE " + std::string(name), status); }
  void do_rollback_to(std::string_view name) override {
    run("ROLLBACK TO " + std::string(name), DatabaseTransaction::open);
  }
  void do_execute_script(std::string_view sql) override { run(std::string(sql), status); }
  std::unique_ptr<anydb::Statement> do_prepare(std::string_view sql) override;
  [[nodiscard]] DatabaseTransaction do_transaction_status() const noexcept override {
    return status;
  }

 public:
  void run(const std::string& what, DatabaseTransaction status_on_success) {
    calls.push_back(what);
    if (fail_next) {
      const ErrorKind kind = *fail_next;
      fail_next.reset();
      status = status_after_failure;
      anydb::throw_error(kind, what + " failed", "scripted");
    }
    status = status_on_success;
  }

 private:
  anydb::Dialect dialect_;
};

class ScriptedStatement final : public anydb::Statement {
 public:
  ScriptedStatement(ScriptedConnection& connection, std::string sql)
      : connection_(connection), sql_(std::move(sql)) {}

 protected:
  anydb::Result do_execute(std::span<const anydb::Value>) override {
    connection_.run(sql_, connection_.status);
    return {};
  }

 private:
  ScriptedConnection& connection_;
  std::string sql_;
};

std::unique_ptr<anydb::Statement> ScriptedConnection::do_prepare(std::string_view sql) {
  return std::make_unique<ScriptedStatement>(*this, std::string(sql));
}

class TransactionStateMachine : public ::testing::Test {
 protected:
  ScriptedConnection connection;

  // Makes the next statement fail with `kind`, after which the database reports `status`.
  void fail_statement(ErrorKind kind, DatabaseTransaction status, bool expect_aborted_flag) {
    connection.fail_next = kind;
    connection.status_after_failure = status;
    try {
      connection.execute("INSERT 1");
      ADD_FAILURE() << "the scripted failure did not happen";
    } catch (const anydb::Error& error) {
      EXPECT_EQ(error.kind(), kind);
      EXPECT_EQ(error.transaction_aborted(), expect_aborted_flag);
    }
  }
};

TEST_F(TransactionStateMachine, BeginCommitRollback) {
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
  connection.begin();
  EXPECT_EQ(connection.transaction_state(), TransactionState::active);
  connection.commit();
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
  connection.begin();
  connection.rollback();
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
  EXPECT_THROW(connection.commit(), anydb::UsageError);
  EXPECT_THROW(connection.rollback(), anydb::UsageError);
  EXPECT_THROW(connection.release("s"), anydb::UsageError);
}

TEST_F(TransactionStateMachine, FailedBeginStaysIdle) {
  connection.fail_next = ErrorKind::busy;
  connection.status_after_failure = DatabaseTransaction::none;
  EXPECT_THROW(connection.begin(), anydb::Busy);
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, AutocommitErrorsNeverAbort) {
  fail_statement(ErrorKind::deadlock, DatabaseTransaction::none, false);
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, StatementErrorThatKeepsTheTransactionOpen) {
  connection.begin();
  fail_statement(ErrorKind::busy, DatabaseTransaction::open, false);
  EXPECT_EQ(connection.transaction_state(), TransactionState::active);
  connection.execute("INSERT 2");
  connection.commit();
}

TEST_F(TransactionStateMachine, FailedTransactionRecoversByRollbackTo) {
  connection.begin();
  connection.savepoint("sp");
  fail_statement(ErrorKind::unique_violation, DatabaseTransaction::failed, true);
  EXPECT_EQ(connection.transaction_state(), TransactionState::failed);
  EXPECT_THROW(connection.execute("INSERT 3"), anydb::TransactionAborted);
  EXPECT_THROW(connection.savepoint("other"), anydb::TransactionAborted);
  EXPECT_THROW(connection.release("sp"), anydb::TransactionAborted);
  const auto sent = connection.calls.size();
  EXPECT_THROW(connection.execute_script("SELECT 1"), anydb::TransactionAborted);
  EXPECT_EQ(connection.calls.size(), sent) << "nothing may reach the database";
  connection.rollback_to("sp");
  EXPECT_EQ(connection.transaction_state(), TransactionState::active);
  connection.release("sp");
  connection.commit();
  EXPECT_EQ(connection.calls.back(), "COMMIT");
}

TEST_F(TransactionStateMachine, CommitOfAFailedTransactionRollsBackAndSaysSo) {
  connection.begin();
  fail_statement(ErrorKind::check_violation, DatabaseTransaction::failed, true);
  try {
    connection.commit();
    ADD_FAILURE() << "commit() of a failed transaction succeeded";
  } catch (const anydb::TransactionAborted& error) {
    EXPECT_NE(std::string(error.what()).find("nothing was committed"), std::string::npos);
  }
  EXPECT_EQ(connection.calls.back(), "ROLLBACK");
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, TransactionEndedByTheDatabaseRunsNothingUntilRollback) {
  connection.begin();
  fail_statement(ErrorKind::deadlock, DatabaseTransaction::none, true);
  EXPECT_EQ(connection.transaction_state(), TransactionState::aborted);
  EXPECT_TRUE(connection.in_transaction());
  const auto sent = connection.calls.size();
  EXPECT_THROW(connection.execute("INSERT 4"), anydb::TransactionAborted);
  EXPECT_THROW(connection.savepoint("sp"), anydb::TransactionAborted);
  EXPECT_THROW(connection.rollback_to("sp"), anydb::TransactionAborted);
  EXPECT_THROW(connection.begin(), anydb::UsageError);
  EXPECT_EQ(connection.calls.size(), sent) << "nothing may run in autocommit";
  connection.rollback();  // quiet: the deadlock was reported already
  EXPECT_EQ(connection.calls.size(), sent) << "there was nothing left to roll back";
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, CommitAfterTheDatabaseEndedTheTransaction) {
  connection.begin();
  fail_statement(ErrorKind::deadlock, DatabaseTransaction::none, true);
  try {
    connection.commit();
    ADD_FAILURE() << "commit() after the database rolled back succeeded";
  } catch (const anydb::TransactionAborted& error) {
    EXPECT_NE(std::string(error.what()).find("rolled the transaction back"), std::string::npos)
        << error.what();
    EXPECT_TRUE(error.transaction_aborted());
  }
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, EndedTransactionWithRemainsIsRolledBackByTheBackend) {
  connection.begin();
  fail_statement(ErrorKind::deadlock, DatabaseTransaction::ended, true);
  EXPECT_EQ(connection.transaction_state(), TransactionState::aborted);
  connection.rollback();
  EXPECT_EQ(connection.calls.back(), "ROLLBACK");
}

TEST_F(TransactionStateMachine, ConnectionLostDuringCommitIsAnUnknownOutcome) {
  connection.begin();
  connection.fail_next = ErrorKind::connection_lost;
  connection.status_after_failure = DatabaseTransaction::none;
  try {
    connection.commit();
    ADD_FAILURE();
  } catch (const anydb::ConnectionLost& error) {
    EXPECT_TRUE(error.commit_outcome_unknown());
    EXPECT_FALSE(error.transaction_aborted());
  }
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, CommitRefusedButStillOpenStaysActive) {
  connection.begin();
  connection.fail_next = ErrorKind::busy;
  connection.status_after_failure = DatabaseTransaction::open;  // SQLite: BUSY on COMMIT
  try {
    connection.commit();
    ADD_FAILURE();
  } catch (const anydb::Busy& error) {
    EXPECT_FALSE(error.transaction_aborted());
  }
  EXPECT_EQ(connection.transaction_state(), TransactionState::active);
  connection.commit();
}

TEST_F(TransactionStateMachine, CommitThatEndedTheTransactionIsOver) {
  connection.begin();
  connection.fail_next = ErrorKind::serialization_failure;
  connection.status_after_failure = DatabaseTransaction::none;
  try {
    connection.commit();
    ADD_FAILURE();
  } catch (const anydb::SerializationFailure& error) {
    EXPECT_TRUE(error.transaction_aborted());
  }
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, ScriptsThatBeginOrEndATransactionAreFollowed) {
  connection.status = DatabaseTransaction::open;
  connection.execute_script("BEGIN");
  EXPECT_EQ(connection.transaction_state(), TransactionState::active);
  connection.status = DatabaseTransaction::none;
  connection.execute_script("COMMIT");
  EXPECT_EQ(connection.transaction_state(), TransactionState::idle);
}

TEST_F(TransactionStateMachine, NestedGuardClearsTheFlagOnceItRolledBackToItsSavepoint) {
  anydb::Transaction outer(connection);
  try {
    anydb::atomic(connection, [&] {
      connection.fail_next = ErrorKind::not_null_violation;
      connection.status_after_failure = DatabaseTransaction::failed;
      connection.execute("INSERT 5");
    });
    ADD_FAILURE();
  } catch (const anydb::Error& error) {
    // Raised while the transaction had failed; rolled back to the savepoint, it has not.
    EXPECT_FALSE(error.transaction_aborted());
  }
  EXPECT_EQ(connection.transaction_state(), TransactionState::active);
  outer.commit();
}

// Transaction guards name their savepoints by depth: a name is reused once released (so that a
// backend may keep the statements of a savepoint per key prepared), never while it is open.
TEST_F(TransactionStateMachine, SavepointNamesAreReusedByDepthOnceReleased) {
  connection.begin();
  for (int i = 0; i < 2; ++i) {
    anydb::Transaction outer(connection);
    {
      anydb::Transaction inner(connection);
      inner.commit();
    }
    outer.commit();
  }
  {
    anydb::Transaction rolled_back(connection);
    rolled_back.rollback();
  }
  connection.commit();
  connection.begin();
  anydb::Transaction fresh(connection);
  fresh.commit();
  connection.commit();
  const std::vector<std::string> expected{"BEGIN",
                                          "SAVEPOINT anydb_sp_1",
                                          "SAVEPOINT anydb_sp_2",
                                          "RELEASE anydb_sp_2",
                                          "RELEASE anydb_sp_1",
                                          "SAVEPOINT anydb_sp_1",
                                          "SAVEPOINT anydb_sp_2",
                                          "RELEASE anydb_sp_2",
                                          "RELEASE anydb_sp_1",
                                          "SAVEPOINT anydb_sp_1",
                                          "ROLLBACK TO anydb_sp_1",
                                          "RELEASE anydb_sp_1",
                                          "COMMIT",
                                          "BEGIN",
                                          "SAVEPOINT anydb_sp_1",
                                          "RELEASE anydb_sp_1",
                                          "COMMIT"};
  EXPECT_EQ(connection.calls, expected);
}

// A name still open is never handed out again, even when an inner one was released out of
// order by the caller.
TEST_F(TransactionStateMachine, OpenSavepointNamesAreNotReused) {
  connection.begin();
  anydb::Transaction first(connection);   // anydb_sp_1
  anydb::Transaction second(connection);  // anydb_sp_2
  connection.release("anydb_sp_1");       // releases both in the database; not the newest name
  anydb::Transaction third(connection);
  EXPECT_EQ(connection.calls.back(), "SAVEPOINT anydb_sp_3");
  third.commit();
  second.commit();
  first.commit();
  connection.commit();
}

TEST_F(TransactionStateMachine, SchemaChangeOutsideATransactionPreparesAgain) {
  connection.fail_next = ErrorKind::schema_changed;
  connection.status_after_failure = DatabaseTransaction::none;
  connection.execute("SELECT *");
  EXPECT_EQ(connection.statement_cache_stats().misses, 2U) << "prepared again";
  EXPECT_EQ(connection.statement_cache_size(), 1U);

  connection.begin();
  connection.fail_next = ErrorKind::schema_changed;
  connection.status_after_failure = DatabaseTransaction::failed;
  EXPECT_THROW(connection.execute("SELECT *"), anydb::SchemaChanged);
  connection.rollback();
  connection.execute("SELECT *");
  EXPECT_EQ(connection.statement_cache_stats().misses, 3U) << "the retry prepares afresh";
}

}  // namespace
