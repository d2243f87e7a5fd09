// read_timeout: no call waits for the server forever. A statement that outlasts it, and a
// server process that stops answering (SIGSTOP), end in anydb::ConnectionLost naming the URI
// option; the query is cancelled and the connection closed; a connection that timed out says
// so at its next call; a statement shorter than the limit is unaffected; bad values are
// refused as configuration errors. Every wait here ends by read_timeout, never by the test's
// own clock: a read_timeout that did not work would let pg_sleep(60) succeed after a minute
// (the CTest TIMEOUT ends that run), or block forever on the stopped server.

#include "pg_support.hpp"

#include <fmt/format.h>

#include <csignal>
#include <string>

#include <sys/types.h>

namespace anydb::pgtest {
namespace {

// ANYDB_TEST_PG_URI with `parameters` added to its query.
std::string uri_with(std::string_view parameters) {
  const std::string base = *environment(uri_variable);
  return fmt::format("{}{}{}", base, base.find('?') == std::string::npos ? '?' : '&', parameters);
}

ConnectionPtr connect_with(std::string_view parameters) {
  return anydb::connect(backend(), Uri::parse(uri_with(parameters)));
}

// The ConnectionLost that `fn` throws; fails the test when it throws anything else or nothing.
template <class Fn>
std::optional<ConnectionLost> connection_lost_from(Fn&& fn) {
  try {
    fn();
  } catch (const ConnectionLost& lost) {
    return lost;
  } catch (const std::exception& other) {
    ADD_FAILURE() << "expected anydb::ConnectionLost, got: " << other.what();
    return std::nullopt;
  }
  ADD_FAILURE() << "expected anydb::ConnectionLost, nothing was thrown";
  return std::nullopt;
}

void expect_read_timeout_message(const Error& error, int seconds) {
  const std::string what = error.what();
  EXPECT_EQ(what, fmt::format("postgresql: no reply from the server within {} s (URI option "
                              "read_timeout); the connection was closed",
                              seconds));
  EXPECT_EQ(what.find('\n'), std::string::npos);
  EXPECT_TRUE(error.is_connection_error());
}

// The connection that timed out refuses its next call at once, as a lost one.
void expect_reports_broken(Connection& connection) {
  const auto later = connection_lost_from([&] { (void)connection.execute("SELECT 1"); });
  ASSERT_TRUE(later);
  EXPECT_NE(std::string(later->what()).find("lost earlier"), std::string::npos) << later->what();
  EXPECT_FALSE(connection.in_transaction());
}

// Resumes a stopped process whatever the test does.
class StoppedProcess {
 public:
  explicit StoppedProcess(pid_t pid) : pid_(pid) { stopped_ = ::kill(pid_, SIGSTOP) == 0; }
  ~StoppedProcess() {
    if (stopped_) (void)::kill(pid_, SIGCONT);
  }
  StoppedProcess(const StoppedProcess&) = delete;
  StoppedProcess& operator=(const StoppedProcess&) = delete;
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }

 private:
  pid_t pid_;
  bool stopped_ = false;
};

using ReadTimeout = PgTest;

TEST_F(ReadTimeout, StatementLongerThanTheLimitIsCancelledAndTheConnectionClosed) {
  const ConnectionPtr admin = connect_admin();
  const ConnectionPtr connection = connect_with("read_timeout=1");
  const std::int64_t pid = backend_pid(*connection);
  const auto lost = connection_lost_from([&] { (void)connection->execute("SELECT pg_sleep(60)"); });
  ASSERT_TRUE(lost);
  expect_read_timeout_message(*lost, 1);
  EXPECT_FALSE(lost->commit_outcome_unknown());
  expect_reports_broken(*connection);
  // Cancelled, not left to sleep its minute: the server session ends well before (closing the
  // socket alone is noticed only when pg_sleep returns).
  EXPECT_TRUE(wait_until_gone(*admin, pid, std::chrono::seconds(20)))
      << "the server still runs the session of the timed-out query";
}

TEST_F(ReadTimeout, ScriptsAndTransactionStepsAreBoundedToo) {
  {
    const ConnectionPtr connection = connect_with("read_timeout=1");
    const auto lost =
        connection_lost_from([&] { connection->execute_script("SELECT pg_sleep(60)"); });
    ASSERT_TRUE(lost);
    expect_read_timeout_message(*lost, 1);
    expect_reports_broken(*connection);
  }
  {
    const ConnectionPtr connection = connect_with("read_timeout=1");
    connection->begin();
    const auto lost =
        connection_lost_from([&] { (void)connection->execute("SELECT pg_sleep(60)"); });
    ASSERT_TRUE(lost);
    expect_read_timeout_message(*lost, 1);
    EXPECT_TRUE(lost->transaction_aborted());
    connection->rollback();  // the core tidies up quietly
    expect_reports_broken(*connection);
  }
}

TEST_F(ReadTimeout, StoppedServerProcessEndsInConnectionLost) {
  const ConnectionPtr connection = connect_with("read_timeout=1");
  const auto pid = static_cast<pid_t>(backend_pid(*connection));
  const StoppedProcess stopped(pid);
  ASSERT_TRUE(stopped.stopped()) << "cannot SIGSTOP the server process " << pid
                                 << " (the tests must run as root or as the server's user)";
  const auto lost = connection_lost_from([&] { (void)connection->execute("SELECT 1"); });
  ASSERT_TRUE(lost);
  expect_read_timeout_message(*lost, 1);
  expect_reports_broken(*connection);
}

TEST_F(ReadTimeout, StoppedServerDuringCommitLeavesTheOutcomeUnknown) {
  const Table table("read_timeout");
  const ConnectionPtr connection = connect_with("read_timeout=1");
  const auto pid = static_cast<pid_t>(backend_pid(*connection));
  connection->begin();
  (void)connection->execute(fmt::format("INSERT INTO {} (k) VALUES ($1)", table.sql()), {Value(1)});
  const StoppedProcess stopped(pid);
  ASSERT_TRUE(stopped.stopped()) << "cannot SIGSTOP the server process " << pid;
  const auto lost = connection_lost_from([&] { connection->commit(); });
  ASSERT_TRUE(lost);
  expect_read_timeout_message(*lost, 1);
  EXPECT_TRUE(lost->commit_outcome_unknown());
  expect_reports_broken(*connection);
}

TEST_F(ReadTimeout, ShorterStatementsAreUnaffected) {
  const ConnectionPtr connection = connect_with("read_timeout=3");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(scalar(*connection, "SELECT count(*) FROM (SELECT pg_sleep(0.2)) AS slept"), 1);
  connection->begin();
  EXPECT_EQ(scalar(*connection, "SELECT $1::int + 1", {Value(41)}), 42);
  connection->commit();
  // 0 waits forever; a short statement still just runs.
  const ConnectionPtr forever = connect_with("read_timeout=0");
  EXPECT_EQ(scalar(*forever, "SELECT count(*) FROM (SELECT pg_sleep(0.2)) AS slept"), 1);
}

TEST(ReadTimeoutUri, BadValuesAreOneLineConfigurationErrors) {
  const std::string base = "postgresql://u:secretpw@127.0.0.1:1/db";
  for (const std::string& bad :
       {base + "?read_timeout=abc", base + "?read_timeout=-1", base + "?read_timeout=86401",
        base + "?read_timeout=", base + "?read_timeout=1.5", base + "?pooler=session2",
        std::string("host=/tmp port=1 password=secretpw read_timeout=x")}) {
    try {
      (void)anydb::connect(backend(), Uri::parse(bad));
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const ConfigurationError& error) {
      const std::string what = error.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.find("secretpw"), std::string::npos) << what;
      EXPECT_TRUE(what.find("read_timeout") != std::string::npos ||
                  what.find("pooler") != std::string::npos)
          << what;
    } catch (const std::exception& other) {
      ADD_FAILURE() << bad << ": expected anydb::ConfigurationError, got: " << other.what();
    }
  }
}

}  // namespace
}  // namespace anydb::pgtest
