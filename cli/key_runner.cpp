#include "key_runner.hpp"

#include <anydb/error.hpp>

#include <atomic>
#include <latch>
#include <thread>

namespace anydb::cli {

namespace {

using Clock = std::chrono::steady_clock;

KeyOutcome failure(const std::string& key, ErrorKind kind, std::string message) {
  return KeyOutcome{key, std::nullopt, kind, std::move(message)};
}

// One worker's connection: opened lazily, replaced after it broke when reconnecting is allowed.
class WorkerConnection {
 public:
  WorkerConnection(const ConnectionFactory& connect, std::chrono::milliseconds reconnect_for)
      : connect_(connect), reconnect_for_(reconnect_for) {
    open_once();
  }

  KeyOutcome run(const std::string& key, const KeyWork& work) {
    for (;;) {
      if (!connection_ && !reopen()) return failure(key, connect_error_kind_, connect_error_);
      try {
        return KeyOutcome{key, work(*connection_, key), std::nullopt, {}};
      } catch (const Error& error) {
        // A broken connection is replaced and the key run again: get-or-create is idempotent,
        // so a run whose COMMIT outcome was lost finds its own row the second time.
        if (!error.is_connection_error() || reconnect_for_.count() == 0)
          return failure(key, error.kind(), error.what());
        connection_.reset();
        connect_error_kind_ = error.kind();
        connect_error_ = error.what();
      } catch (const std::exception& error) {
        return failure(key, ErrorKind::database_error, error.what());
      }
    }
  }

 private:
  bool open_once() {
    try {
      connection_ = connect_();
      return true;
    } catch (const Error& error) {
      connect_error_kind_ = error.kind();
      connect_error_ = error.what();
    } catch (const std::exception& error) {
      connect_error_kind_ = ErrorKind::connection_failed;
      connect_error_ = error.what();
    }
    return false;
  }

  // Retries connecting for up to reconnect_for (every 100 ms); without it, one failure is final.
  bool reopen() {
    if (reconnect_for_.count() == 0) return false;
    const auto deadline = Clock::now() + reconnect_for_;
    while (!open_once()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }

  const ConnectionFactory& connect_;
  std::chrono::milliseconds reconnect_for_;
  ConnectionPtr connection_;
  ErrorKind connect_error_kind_ = ErrorKind::connection_failed;
  std::string connect_error_;
};

}  // namespace

int run_keys(const std::vector<std::string>& keys, unsigned threads,
             const ConnectionFactory& connect, const KeyWork& work, const OutcomeSink& sink,
             std::chrono::milliseconds reconnect_for) {
  const bool thread_per_key = threads == 0;
  const std::size_t workers =
      thread_per_key ? keys.size() : std::min<std::size_t>(threads, keys.size());
  std::atomic<std::size_t> next_key{0};
  std::atomic<int> failures{0};
  std::latch start(static_cast<std::ptrdiff_t>(workers));

  auto worker = [&](std::size_t index) {
    WorkerConnection connection(connect, reconnect_for);
    start.arrive_and_wait();
    const auto handle = [&](const std::string& key) {
      KeyOutcome outcome = connection.run(key, work);
      if (!outcome.result) failures.fetch_add(1, std::memory_order_relaxed);
      sink(outcome);
    };
    if (thread_per_key) {
      handle(keys[index]);
      return;
    }
    for (std::size_t i = next_key.fetch_add(1); i < keys.size(); i = next_key.fetch_add(1))
      handle(keys[i]);
  };

  std::vector<std::jthread> pool;
  pool.reserve(workers);
  try {
    for (std::size_t i = 0; i < workers; ++i) pool.emplace_back(worker, i);
  } catch (...) {
    // The threads already started wait for the missing ones at the latch: release them, let
    // them finish their keys, then report the failure to start a thread.
    start.count_down(static_cast<std::ptrdiff_t>(workers - pool.size()));
    pool.clear();
    throw;
  }
  pool.clear();  // joins
  return failures.load();
}

}  // namespace anydb::cli
