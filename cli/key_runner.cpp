#include "key_runner.hpp"

#include "interrupt.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

namespace anydb::cli {

namespace {

using Clock = std::chrono::steady_clock;
// How often the calling thread looks for a second Ctrl-C or a SIGTERM while the keys run.
constexpr auto abort_poll_interval = std::chrono::milliseconds(50);

KeyOutcome failure(const std::string& key, ErrorKind kind, std::string message) {
  return KeyOutcome{key, std::nullopt, kind, std::move(message)};
}

// One worker's connection: opened lazily, replaced after it broke when reconnecting is allowed.
class WorkerConnection {
 public:
  WorkerConnection(const ConnectionFactory& connect, std::size_t worker,
                   std::chrono::milliseconds reconnect_for)
      : connect_(connect), worker_(worker), reconnect_for_(reconnect_for) {
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
      connection_ = connect_(worker_);
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
  std::size_t worker_;
  std::chrono::milliseconds reconnect_for_;
  ConnectionPtr connection_;
  ErrorKind connect_error_kind_ = ErrorKind::connection_failed;
  std::string connect_error_;
};

}  // namespace

KeyRunTotals run_keys(const std::vector<std::string>& keys, unsigned threads,
                      const ConnectionFactory& connect, const KeyWork& work,
                      const OutcomeSink& sink, std::chrono::milliseconds reconnect_for) {
  const bool thread_per_key = threads == 0;
  const std::size_t workers =
      thread_per_key ? keys.size() : std::min<std::size_t>(threads, keys.size());
  std::atomic<std::size_t> next_key{0};
  std::atomic<std::size_t> failures{0}, done{0}, not_started{0};
  std::latch start(static_cast<std::ptrdiff_t>(workers));
  std::mutex finished_mutex;
  std::condition_variable finished;
  std::size_t running = workers;

  auto worker = [&](std::size_t index) {
    WorkerConnection connection(connect, index, reconnect_for);
    start.arrive_and_wait();
    const auto handle = [&](const std::string& key) {
      if (interrupt_requested()) {
        not_started.fetch_add(1);
        return;
      }
      KeyOutcome outcome = connection.run(key, work);
      if (!outcome.result) failures.fetch_add(1, std::memory_order_relaxed);
      sink(outcome);
      done.fetch_add(1);
    };
    if (thread_per_key) {
      handle(keys[index]);
    } else {
      for (std::size_t i = next_key.fetch_add(1); i < keys.size(); i = next_key.fetch_add(1))
        handle(keys[i]);
    }
    {
      const std::lock_guard lock(finished_mutex);
      --running;
    }
    finished.notify_one();
  };

  std::vector<std::jthread> pool;
  pool.reserve(workers);
  try {
    for (std::size_t i = 0; i < workers; ++i) pool.emplace_back(worker, i);
  } catch (...) {
    // The threads already started wait for the missing ones at the latch: release them, let
    // them finish their keys, then report the failure to start a thread.
    start.count_down(static_cast<std::ptrdiff_t>(workers - pool.size()));
    {
      const std::lock_guard lock(finished_mutex);
      running -= workers - pool.size();
    }
    pool.clear();
    throw;
  }
  {
    std::unique_lock lock(finished_mutex);
    while (!finished.wait_for(lock, abort_poll_interval, [&] { return running == 0; })) {
      if (!abort_requested()) continue;
      // A thread may be blocked on a server that never answers: do not wait for any of them.
      const std::size_t finished_keys = done.load(), skipped = not_started.load();
      const std::size_t untouched =
          keys.size() > finished_keys + skipped ? keys.size() - finished_keys - skipped : 0;
      print_error_line(fmt::format(
          "anydb: terminated by {}: {} of {} key{} done; the other {} abandoned or not started "
          "(the database rolls back what did not commit)",
          interrupt_signal_name(), finished_keys, keys.size(), keys.size() == 1 ? "" : "s",
          untouched));
      exit_now(interrupt_exit_status());
    }
  }
  pool.clear();  // joins
  return KeyRunTotals{failures.load(), done.load(), not_started.load(), interrupt_requested()};
}

}  // namespace anydb::cli
