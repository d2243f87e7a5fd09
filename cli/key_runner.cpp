#include "key_runner.hpp"

#include <anydb/error.hpp>

#include <atomic>
#include <latch>
#include <thread>

namespace anydb::cli {

namespace {

KeyOutcome failure(const std::string& key, ErrorKind kind, std::string message) {
  return KeyOutcome{key, std::nullopt, kind, std::move(message)};
}

KeyOutcome run_one(Connection* connection, const std::string& connect_error,
                   const std::string& key, const KeyWork& work) {
  if (connection == nullptr) return failure(key, ErrorKind::connection_failed, connect_error);
  try {
    return KeyOutcome{key, work(*connection, key), std::nullopt, {}};
  } catch (const Error& error) {
    return failure(key, error.kind(), error.what());
  } catch (const std::exception& error) {
    return failure(key, ErrorKind::database_error, error.what());
  }
}

}  // namespace

int run_keys(const std::vector<std::string>& keys, unsigned threads,
             const ConnectionFactory& connect, const KeyWork& work, const OutcomeSink& sink) {
  const bool thread_per_key = threads == 0;
  const std::size_t workers = thread_per_key ? keys.size() : std::min<std::size_t>(threads, keys.size());
  std::atomic<std::size_t> next_key{0};
  std::atomic<int> failures{0};
  std::latch start(static_cast<std::ptrdiff_t>(workers));

  auto worker = [&](std::size_t index) {
    ConnectionPtr connection;
    std::string connect_error;
    try {
      connection = connect();
    } catch (const std::exception& error) {
      connect_error = error.what();
    }
    start.arrive_and_wait();
    const auto handle = [&](const std::string& key) {
      KeyOutcome outcome = run_one(connection.get(), connect_error, key, work);
      if (!outcome.result) failures.fetch_add(1, std::memory_order_relaxed);
      sink(outcome);
    };
    if (thread_per_key) {
      handle(keys[index]);
      return;
    }
    for (std::size_t i = next_key.fetch_add(1); i < keys.size(); i = next_key.fetch_add(1)) handle(keys[i]);
  };

  std::vector<std::jthread> pool;
  pool.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) pool.emplace_back(worker, i);
  pool.clear();  // joins
  return failures.load();
}

}  // namespace anydb::cli
