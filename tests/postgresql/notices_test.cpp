// Server notices reach Connection's notice handler (PostgreSQL's NOTICE, WARNING, INFO), in the
// order the server sent them, on the thread that runs the statement; without a handler they are
// dropped, and a handler that throws neither breaks the statement nor escapes libpq's callback.

#include "pg_support.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include <string>
#include <thread>
#include <vector>

namespace anydb::pgtest {
namespace {

struct Received {
  std::string severity, message, text;
  std::thread::id thread;
};

class Notices : public PgTest {};

TEST_F(Notices, ReachTheHandlerInOrderWithSeverityMessageAndText) {
  auto connection = connect();
  std::vector<Received> received;
  connection->set_notice_handler([&](const Notice& notice) {
    received.push_back({std::string(notice.severity), std::string(notice.message),
                        std::string(notice.text), std::this_thread::get_id()});
  });
  connection->execute_script(
      "DO $$ BEGIN RAISE NOTICE 'first %', 1; RAISE WARNING 'second'; "
      "RAISE INFO 'third'; END $$");
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0].severity, "NOTICE");
  EXPECT_EQ(received[0].message, "first 1");
  EXPECT_EQ(received[0].text, "NOTICE:  first 1\n");
  EXPECT_EQ(received[1].severity, "WARNING");
  EXPECT_EQ(received[1].message, "second");
  EXPECT_EQ(received[2].severity, "INFO");
  for (const auto& notice : received) EXPECT_EQ(notice.thread, std::this_thread::get_id());

  // Through a prepared statement too, and a server-generated notice.
  received.clear();
  const std::string table = unique_name("notice");
  (void)connection->execute(fmt::format("DROP TABLE IF EXISTS {}", table));
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].severity, "NOTICE");
  EXPECT_NE(received[0].message.find("does not exist, skipping"), std::string::npos)
      << received[0].message;
}

TEST_F(Notices, WithoutAHandlerAreDropped) {
  auto connection = connect();
  connection->execute_script("DO $$ BEGIN RAISE NOTICE 'nobody listens'; END $$");
  std::vector<std::string> received;
  connection->set_notice_handler(
      [&](const Notice& notice) { received.emplace_back(notice.message); });
  connection->set_notice_handler(nullptr);
  connection->execute_script("DO $$ BEGIN RAISE NOTICE 'nobody listens either'; END $$");
  EXPECT_TRUE(received.empty());
  EXPECT_EQ(scalar(*connection, "SELECT 7"), 7);
}

TEST_F(Notices, AThrowingHandlerIsReportedAndTheStatementSucceeds) {
  auto connection = connect();
  std::vector<std::string> reported;
  connection->set_cleanup_error_handler(
      [&](std::string_view message) { reported.emplace_back(message); });
  connection->set_notice_handler([](const Notice&) { throw std::runtime_error("handler broke"); });
  connection->begin();
  connection->execute_script("DO $$ BEGIN RAISE NOTICE 'boom'; END $$");
  EXPECT_EQ(scalar(*connection, "SELECT 2"), 2);
  connection->commit();
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("handler broke"), std::string::npos) << reported[0];
}

}  // namespace
}  // namespace anydb::pgtest
