#include "pg_support.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <unistd.h>

namespace anydb::pgtest {

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string missing_variable_message(const char* name) {
  return fmt::format(
      "{} is not set: the PostgreSQL server for these tests was not started. Run "
      "them under scripts/with-databases.sh (e.g. scripts/with-databases.sh ctest "
      "--test-dir BUILD -L postgresql), which starts a throwaway server and "
      "exports the URIs",
      name);
}

void PgTest::SetUp() {
  for (const char* name : {uri_variable, admin_uri_variable})
    if (!environment(name)) GTEST_FAIL() << missing_variable_message(name);
}

std::shared_ptr<Backend> backend() {
  static std::mutex mutex;
  static PluginLoader loader;
  static std::shared_ptr<Backend> loaded;
  const std::lock_guard lock(mutex);
  if (!loaded) loaded = loader.load("postgresql");
  return loaded;
}

namespace {

std::string required(const char* name) {
  auto value = environment(name);
  if (!value) throw std::runtime_error(missing_variable_message(name));
  return *value;
}

}  // namespace

ConnectionPtr connect(std::optional<IsolationLevel> level) {
  ConnectionPtr connection = anydb::connect(backend(), Uri::parse(required(uri_variable)));
  if (level) connection->set_isolation_level(*level);
  return connection;
}

ConnectionPtr connect_admin() {
  return anydb::connect(backend(), Uri::parse(required(admin_uri_variable)));
}

std::string unique_name(std::string_view purpose) {
  static std::atomic<int> counter{0};
  return fmt::format("anydb_pg_{}_{}_{}", purpose, ::getpid(), ++counter);
}

std::int64_t scalar(Connection& connection, std::string_view sql,
                    std::initializer_list<Value> params) {
  const Result result = connection.execute(sql, params);
  if (result.rows.empty()) throw std::runtime_error(fmt::format("no row from: {}", sql));
  return result.rows.front()[0].as_int();
}

std::int64_t backend_pid(Connection& connection) {
  return scalar(connection, "SELECT pg_backend_pid()");
}

namespace {

template <class Predicate>
bool poll(std::chrono::milliseconds timeout, Predicate&& done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

bool wait_until_lock_wait(Connection& admin, std::int64_t pid, std::chrono::milliseconds timeout) {
  return poll(timeout, [&] {
    return scalar(admin,
                  "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int AND "
                  "wait_event_type = 'Lock'",
                  {Value(pid)}) == 1;
  });
}

bool wait_until_gone(Connection& admin, std::int64_t pid, std::chrono::milliseconds timeout) {
  return poll(timeout, [&] {
    return scalar(admin, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int",
                  {Value(pid)}) == 0;
  });
}

Table::Table(std::string_view purpose, std::string_view columns)
    : name_(unique_name(purpose)), connection_(connect()) {
  quoted_ = connection_->dialect().quote_identifier(name_);
  connection_->execute_script(fmt::format("CREATE TABLE {} ({})", quoted_, columns));
}

Table::~Table() {
  try {
    connection_->execute_script(fmt::format("DROP TABLE IF EXISTS {}", quoted_));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "postgresql tests: could not drop %s: %s\n", name_.c_str(), error.what());
  }
}

std::int64_t Table::count_rows() const {
  return scalar(*connection_, fmt::format("SELECT count(*) FROM {}", quoted_));
}

std::int64_t Table::count_where(std::string_view column, const Value& value) const {
  return scalar(*connection_,
                fmt::format("SELECT count(*) FROM {} WHERE {} = $1", quoted_,
                            connection_->dialect().quote_identifier(column)),
                {value});
}

}  // namespace anydb::pgtest
