#pragma once

// What runs a spec's sessions for the harness (harness.cpp): one worker thread per session that
// owns the session's connection, and the execution of one step (SQL or an anydb directive) on
// it, with its outcome as an Observed.

#include "directive.hpp"
#include "harness.hpp"

#include <anydb/anydb.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace anydb::conformance::isolation {

using std::chrono::milliseconds;

// `text` with its line breaks replaced by spaces.
[[nodiscard]] std::string one_line(std::string text);
// Rows as "a|b;c|d".
[[nodiscard]] std::string render_rows(const std::vector<Row>& rows);

// One worker thread per session: it owns the session's connection and runs one step at a time.

using Job = std::packaged_task<Observed(Connection&)>;

class Worker {
 public:
  explicit Worker(ConnectionPtr connection) : shared_(std::make_shared<Shared>()) {
    shared_->connection = std::move(connection);
    exited_ = shared_->exited.get_future();
    thread_ = std::thread([shared = shared_] { loop(*shared); });
  }
  ~Worker() { (void)stop(timeouts().step); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  [[nodiscard]] std::future<Observed> submit(std::function<Observed(Connection&)> function) {
    Job job(std::move(function));
    std::future<Observed> future = job.get_future();
    {
      const std::lock_guard lock(shared_->mutex);
      shared_->jobs.push_back(std::move(job));
    }
    shared_->wake.notify_one();
    return future;
  }

  // Closes the connection on the worker's thread and ends the thread. False when the thread
  // is still busy after `timeout`: it is left to finish on its own (it owns what it uses).
  bool stop(milliseconds timeout) {
    if (!thread_.joinable()) return true;
    {
      const std::lock_guard lock(shared_->mutex);
      shared_->stop = true;
    }
    shared_->wake.notify_one();
    if (exited_.wait_for(timeout) == std::future_status::ready) {
      thread_.join();
      return true;
    }
    thread_.detach();
    return false;
  }

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> jobs;
    bool stop = false;
    ConnectionPtr connection;
    std::promise<void> exited;
  };

  static void loop(Shared& shared) {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(shared.mutex);
        shared.wake.wait(lock, [&] { return shared.stop || !shared.jobs.empty(); });
        if (shared.jobs.empty()) break;
        job = std::move(shared.jobs.front());
        shared.jobs.pop_front();
      }
      job(*shared.connection);
    }
    shared.connection.reset();
    shared.exited.set_value();
  }

  std::shared_ptr<Shared> shared_;
  std::future<void> exited_;
  std::thread thread_;
};

struct StepPlan {
  std::string text;  // the body after substitution, for the transcript
  std::optional<Directive> directive;
  std::vector<std::string> statements;
  // Sent as one message, as isolationtester does (PostgreSQL, more than one statement): outside
  // BEGIN the statements form one implicit transaction. Rows are then not reported, because
  // Connection::execute_script() returns none.
  bool as_script = false;
};

[[nodiscard]] StepPlan make_plan(std::string_view body, const Dialect& dialect,
                                 std::string_view suffix);

// The notices a session's connection received (Connection::set_notice_handler, called on the
// worker's thread), queued until the harness next looks at the session: there isolationtester
// prints them, and counts them for its "(step notices N)" blockers.
class NoticeLog {
 public:
  void add(std::string_view text) {
    const std::lock_guard lock(mutex_);
    pending_.emplace_back(text);
  }
  [[nodiscard]] std::vector<std::string> take() {
    const std::lock_guard lock(mutex_);
    return std::exchange(pending_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> pending_;
};

// What the worker thread keeps between a session's steps.
struct SessionLocal {
  std::optional<IsolationLevel> restore;  // set by "@begin LEVEL", restored at its end
  std::optional<IsolationLevel> run_level;
};

// Runs one step on `connection` and says what happened; never throws.
[[nodiscard]] Observed execute(Connection& connection, const StepPlan& plan, SessionLocal& local);

}  // namespace anydb::conformance::isolation
