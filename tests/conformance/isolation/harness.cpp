#include "harness.hpp"

#include "../context.hpp"
#include "directive.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace anydb::conformance::isolation {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::optional<IsolationLevel> default_level(std::string_view product) {
  if (product == "sqlite") return IsolationLevel::serializable;
  if (product == "postgresql") return IsolationLevel::read_committed;
  if (product == "mariadb" || product == "mysql") return IsolationLevel::repeatable_read;
  return std::nullopt;
}

std::optional<IsolationLevel> run_level() {
  if (context().isolation()) return context().isolation();
  return default_level(context().product());
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

std::string render_rows(const std::vector<Row>& rows) {
  std::string out;
  for (const auto& row : rows) {
    if (!out.empty()) out += ';';
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) out += '|';
      out += row[c].to_display_string();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// Steps

struct StepPlan {
  std::string text;  // the body after substitution, for the transcript
  std::optional<Directive> directive;
  std::vector<std::string> statements;
  // Sent as one message, as isolationtester does (PostgreSQL, more than one statement): outside
  // BEGIN the statements form one implicit transaction. Rows are then not reported, because
  // Connection::execute_script() returns none.
  bool as_script = false;
};

StepPlan make_plan(std::string_view body, const Dialect& dialect, std::string_view suffix) {
  StepPlan plan;
  plan.text = substitute(body, dialect, suffix);
  plan.directive = parse_directive(plan.text);
  if (!plan.directive) plan.statements = split_statements(plan.text);
  return plan;
}

// What the worker thread keeps between a session's steps.
struct SessionLocal {
  std::optional<IsolationLevel> restore;  // set by "@begin LEVEL", restored at its end
  std::optional<IsolationLevel> run_level;
};

void run_directive(Connection& connection, const Directive& directive, SessionLocal& local,
                   Observed& observed) {
  const auto ending = [&](auto&& end) {
    try {
      end();
    } catch (...) {
      if (local.restore && !connection.in_transaction()) {
        try {
          connection.set_isolation_level(*local.restore);
        } catch (const std::exception&) {
        }
        local.restore.reset();
      }
      throw;
    }
    if (local.restore) {
      connection.set_isolation_level(*local.restore);
      local.restore.reset();
    }
  };
  switch (directive.kind) {
    case Directive::Kind::begin:
      if (directive.level) {
        connection.set_isolation_level(*directive.level);
        if (local.run_level && *local.run_level != *directive.level) local.restore = local.run_level;
      }
      connection.begin(directive.mode);
      return;
    case Directive::Kind::commit: ending([&] { connection.commit(); }); return;
    case Directive::Kind::rollback: ending([&] { connection.rollback(); }); return;
    case Directive::Kind::savepoint: connection.savepoint(directive.name); return;
    case Directive::Kind::release: connection.release(directive.name); return;
    case Directive::Kind::rollback_to: connection.rollback_to(directive.name); return;
    case Directive::Kind::sleep: std::this_thread::sleep_for(milliseconds(directive.milliseconds)); return;
    case Directive::Kind::get_or_create: {
      const GetOrCreate operation(connection.dialect(), directive.get_or_create);
      const GetOrCreateResult result = operation(connection, directive.key, directive.defaults);
      observed.result = result.created ? Observed::Result::created : Observed::Result::existing;
      const auto& spec = directive.get_or_create;
      const auto& shown = !directive.show.empty()             ? directive.show
                          : spec.default_columns.empty() ? spec.key_columns
                                                         : spec.default_columns;
      for (const auto& item : shown) {
        if (!observed.value.empty()) observed.value += '|';
        if (item == "created") observed.value += fmt::format("created={}", result.created ? 1 : 0);
        else if (item == "attempts") observed.value += fmt::format("attempts={}", result.attempts);
        else if (item == "conflicts") observed.value += fmt::format("conflicts={}", result.conflicts);
        else if (item == "retries") observed.value += fmt::format("retries={}", result.transient_retries);
        else observed.value += result.row.at(item).to_display_string();
      }
      observed.detail = fmt::format("attempts={} conflicts={} retries={}", result.attempts,
                                    result.conflicts, result.transient_retries);
      return;
    }
  }
}

Observed execute(Connection& connection, const StepPlan& plan, SessionLocal& local) {
  Observed observed;
  try {
    if (plan.directive) {
      run_directive(connection, *plan.directive, local, observed);
    } else {
      if (plan.as_script) {
        connection.execute_script(plan.text);
      } else {
        for (const auto& statement : plan.statements) {
          const Result result = connection.execute(statement);
          const std::string rows = render_rows(result.rows);
          if (!rows.empty()) observed.value += observed.value.empty() ? rows : ";" + rows;
        }
      }
    }
  } catch (const Error& error) {
    observed.result = Observed::Result::error;
    observed.kind = error.kind();
    observed.message = one_line(error.what());
  } catch (const std::exception& error) {
    observed.result = Observed::Result::error;
    observed.message = one_line(error.what());
  }
  observed.in_transaction = connection.in_transaction();
  observed.completed = true;
  return observed;
}

// ---------------------------------------------------------------------------------------------
// Asking the database whether a session waits for a lock held by another session.

// Why the database refused to answer, once: later permutations do not ask again.
std::mutex refusal_mutex;
std::string refusal;

class Probe {
public:
  Probe() = default;
  Probe(Connection& observer, std::string_view product, std::vector<std::optional<std::int64_t>> ids)
      : observer_(&observer), ids_(std::move(ids)) {
    if (std::any_of(ids_.begin(), ids_.end(), [](const auto& id) { return !id; })) return;
    {
      const std::lock_guard lock(refusal_mutex);
      if (!refusal.empty()) return;
    }
    const Dialect& dialect = observer.dialect();
    if (product == "postgresql") {
      // The question isolationtester asks: is the session waiting for a heavyweight lock held
      // by one of the spec's sessions (not autovacuum's, say), or for a safe snapshot
      // (SERIALIZABLE READ ONLY DEFERRABLE), which pg_blocking_pids() alone does not show.
      for (const auto& id : ids_) others_ += fmt::format("{}{}", others_.empty() ? "" : ",", *id);
      sql_ = fmt::format("SELECT CASE WHEN pg_catalog.pg_isolation_test_session_is_blocked(CAST({} AS integer), "
                         "CAST(string_to_array({}, ',') AS integer[])) THEN 1 ELSE 0 END",
                         dialect.placeholder(1), dialect.placeholder(2));
      name_ = "pg_isolation_test_session_is_blocked()";
    } else if (product == "mariadb" || product == "mysql") {
      sql_ = fmt::format("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE "
                         "trx_mysql_thread_id = {} AND trx_state = 'LOCK WAIT'",
                         dialect.placeholder(1));
      name_ = "information_schema.innodb_trx";
      // InnoDB refills that table from a cache only when nobody read it for 100 ms: asking
      // more often would keep reading the same stale rows.
      min_interval_ = milliseconds(150);
    }
  }

  [[nodiscard]] std::string name(milliseconds block) const {
    if (!sql_.empty()) return name_;
    std::string why;
    {
      const std::lock_guard lock(refusal_mutex);
      if (!refusal.empty()) why = "; the database would not say: " + refusal;
    }
    return fmt::format("time (a step still running after {} ms while another session holds a "
                       "transaction counts as waiting{})",
                       block.count(), why);
  }

  // True or false when the database can tell, nothing when it cannot.
  std::optional<bool> blocked(std::size_t session, std::vector<std::string>& transcript) {
    if (sql_.empty()) return std::nullopt;
    const Clock::time_point now = Clock::now();
    if (now - last_asked_ < min_interval_) return false;  // not known to wait yet: ask later
    last_asked_ = now;
    try {
      std::vector<Value> params{Value(*ids_[session])};
      if (!others_.empty()) params.emplace_back(others_);
      const Result result = observer_->execute(sql_, params);
      return !result.rows.empty() && result.rows.front()[0].as_int() > 0;
    } catch (const std::exception& error) {
      transcript.push_back(fmt::format("(cannot ask {} whether a session waits, so time decides "
                                       "from now on: {})",
                                       name_, one_line(error.what())));
      {
        const std::lock_guard lock(refusal_mutex);
        refusal = fmt::format("{}: {}", name_, one_line(error.what()));
      }
      sql_.clear();
      return std::nullopt;
    }
  }

private:
  Connection* observer_ = nullptr;
  std::vector<std::optional<std::int64_t>> ids_;
  std::string others_;
  std::string sql_;
  std::string name_;
  milliseconds min_interval_{0};
  Clock::time_point last_asked_{};
};

std::optional<std::int64_t> server_id(Connection& connection, std::string_view product) {
  const char* sql = product == "postgresql"                     ? "SELECT pg_backend_pid()"
                    : (product == "mariadb" || product == "mysql") ? "SELECT CONNECTION_ID()"
                                                                   : nullptr;
  if (sql == nullptr) return std::nullopt;
  try {
    const Result result = connection.execute(sql);
    if (!result.rows.empty()) return result.rows.front()[0].as_int();
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

class Runner {
public:
  Runner(const Spec& spec, const Permutation& permutation, const RunTraits& run)
      : spec_(spec), permutation_(permutation), run_(run) {
    static std::atomic<int> counter{0};
    suffix_ = fmt::format("{}_{}", ::getpid(), ++counter);
    const Dialect& dialect = context().dialect();
    for (const auto& step : spec_.steps) {
      plans_.push_back(make_plan(step.body, dialect, suffix_));
      plans_.back().as_script = run_.product == "postgresql" && plans_.back().statements.size() > 1;
    }
    out_.steps.resize(permutation_.steps.size());
  }

  PermutationRun run() {
    bool ok = open();
    for (std::size_t p = 0; ok && p < permutation_.steps.size(); ++p) ok = issue(p);
    if (ok) finish();
    close();
    out_.detection = probe_.name(timeouts().block);
    return std::move(out_);
  }

private:
  struct InFlight {
    std::size_t position = 0;
    std::future<Observed> future;
    bool waiting = false;
    bool once = false;                  // "(*)": reported waiting at once, never waited for
    std::vector<std::size_t> blockers;  // "(step)": completion reported only once none of
                                        // these steps is in flight
  };
  struct SessionState {
    std::unique_ptr<Worker> worker;
    std::shared_ptr<SessionLocal> local = std::make_shared<SessionLocal>();
    bool in_transaction = false;
    std::optional<InFlight> in_flight;
  };

  const std::string& step_name(std::size_t position) const {
    return spec_.steps[permutation_.steps[position].step].name;
  }
  void note(std::string line) { out_.transcript.push_back(std::move(line)); }
  void error(std::string message) {
    note("HARNESS ERROR: " + message);
    out_.errors.push_back(std::move(message));
  }

  // Runs SQL on a session and waits for it: session setup and teardown.
  bool run_sync(std::size_t s, std::string_view sql, std::string_view what) {
    SessionState& session = sessions_[s];
    StepPlan plan;
    plan.text = substitute(sql, context().dialect(), suffix_);
    plan.statements = split_statements(plan.text);
    auto future = session.worker->submit(
        [plan, local = session.local](Connection& connection) { return execute(connection, plan, *local); });
    if (future.wait_for(timeouts().step) != std::future_status::ready) {
      error(fmt::format("{} of session {} did not finish within {} ms", what, spec_.sessions[s].name,
                        timeouts().step.count()));
      return false;
    }
    const Observed observed = future.get();
    session.in_transaction = observed.in_transaction;
    if (observed.result == Observed::Result::error) {
      error(fmt::format("{} of session {} failed: {}", what, spec_.sessions[s].name, observed.message));
      return false;
    }
    return true;
  }

  // As isolationtester: each session's application_name is its name (pg_stat_activity).
  bool name_session(Connection& connection, const std::string& name) {
    std::string literal = "'";
    for (char c : name) literal += c == '\'' ? std::string("''") : std::string(1, c);
    try {
      connection.execute_script(fmt::format("SET application_name = {}'", literal));
      return true;
    } catch (const std::exception& failure) {
      error(fmt::format("cannot set application_name of session {}: {}", name, one_line(failure.what())));
      return false;
    }
  }

  bool open() {
    try {
      observer_ = context().connect();
    } catch (const std::exception& failure) {
      error(fmt::format("cannot connect: {}", one_line(failure.what())));
      return false;
    }
    for (const auto& setup : spec_.setup) {
      try {
        observer_->execute_script(substitute(setup, context().dialect(), suffix_));
      } catch (const std::exception& failure) {
        error(fmt::format("setup failed: {}", one_line(failure.what())));
        return false;
      }
    }
    std::vector<std::optional<std::int64_t>> ids;
    sessions_.resize(spec_.sessions.size());
    for (std::size_t s = 0; s < spec_.sessions.size(); ++s) {
      ConnectionPtr connection;
      try {
        connection = context().connect();
      } catch (const std::exception& failure) {
        error(fmt::format("cannot connect session {}: {}", spec_.sessions[s].name, one_line(failure.what())));
        return false;
      }
      ids.push_back(server_id(*connection, run_.product));
      if (run_.product == "postgresql" && !name_session(*connection, spec_.sessions[s].name)) return false;
      sessions_[s].local->run_level = run_level();
      sessions_[s].worker = std::make_unique<Worker>(std::move(connection));
    }
    probe_ = Probe(*observer_, run_.product, std::move(ids));
    for (std::size_t s = 0; s < spec_.sessions.size(); ++s)
      for (const auto& setup : spec_.sessions[s].setup)
        if (!run_sync(s, setup, "setup")) return false;
    return true;
  }

  // True while a step named in the annotation of session s's step is in flight: its
  // completion is not reported yet (isolationtester's "(step)" blocker).
  [[nodiscard]] bool held_by_annotation(std::size_t s) const {
    const InFlight& flight = *sessions_[s].in_flight;
    return std::any_of(flight.blockers.begin(), flight.blockers.end(), [&](std::size_t step) {
      return std::any_of(sessions_.begin(), sessions_.end(), [&](const SessionState& other) {
        return other.in_flight && permutation_.steps[other.in_flight->position].step == step;
      });
    });
  }

  void note_waiting(std::size_t s) {
    InFlight& flight = *sessions_[s].in_flight;
    if (flight.waiting) return;
    flight.waiting = true;
    note(fmt::format("step {}: {} <waiting ...>", step_name(flight.position),
                     plans_[permutation_.steps[flight.position].step].text));
  }

  // Records session s's finished step, unless an annotation holds its report back (then it is
  // reported waiting, and false is returned).
  bool record(std::size_t s) {
    if (held_by_annotation(s)) {
      note_waiting(s);
      return false;
    }
    SessionState& session = sessions_[s];
    InFlight& flight = *session.in_flight;
    Observed observed;
    try {
      observed = flight.future.get();
    } catch (const std::exception& failure) {
      observed.completed = true;
      observed.result = Observed::Result::error;
      observed.message = one_line(failure.what());
    }
    observed.blocked = flight.waiting;
    if (session.in_transaction && !observed.in_transaction) transaction_ended_ = true;
    session.in_transaction = observed.in_transaction;
    Observed shown = observed;
    shown.blocked = false;
    std::string line = flight.waiting ? fmt::format("step {}: <... completed> {}", step_name(flight.position),
                                                    describe(shown))
                                      : fmt::format("step {}: {} -> {}", step_name(flight.position),
                                                    plans_[permutation_.steps[flight.position].step].text,
                                                    describe(observed));
    if (!observed.message.empty()) line += fmt::format(" ({})", observed.message);
    if (!observed.detail.empty()) line += fmt::format(" [{}]", observed.detail);
    note(std::move(line));
    out_.steps[flight.position] = std::move(observed);
    session.in_flight.reset();
    return true;
  }

  [[nodiscard]] bool ready(std::size_t s, milliseconds wait = milliseconds(0)) {
    return sessions_[s].in_flight->future.wait_for(wait) == std::future_status::ready;
  }

  [[nodiscard]] bool others_hold_locks(std::size_t s) const {
    for (std::size_t t = 0; t < sessions_.size(); ++t)
      if (t != s && (sessions_[t].in_transaction || sessions_[t].in_flight)) return true;
    return false;
  }

  enum class Wait { finished, waiting, timed_out };

  // Waits until session s's step finishes (recorded) or is seen waiting for a lock.
  Wait finish_or_block(std::size_t s, bool use_time) {
    const Clock::time_point start = Clock::now();
    milliseconds delay(1);
    for (;;) {
      if (ready(s, delay)) return record(s) ? Wait::finished : Wait::waiting;
      delay = std::min(delay * 2, milliseconds(10));
      const auto elapsed = Clock::now() - start;
      if (const auto blocked = probe_.blocked(s, out_.transcript)) {
        if (*blocked) return Wait::waiting;
      } else if (use_time && elapsed >= timeouts().block && others_hold_locks(s)) {
        return Wait::waiting;
      }
      if (elapsed >= timeouts().step) return Wait::timed_out;
    }
  }

  // Records every waiting step that a finished step released, before the next step is issued.
  void settle() {
    for (bool again = true; again;) {
      again = false;
      for (std::size_t s = 0; s < sessions_.size(); ++s) {
        if (!sessions_[s].in_flight) continue;
        if (ready(s)) {
          if (record(s)) again = true;
          continue;
        }
        // A "(*)" step is only looked at, never waited for, as isolationtester does.
        if (sessions_[s].in_flight->once) continue;
        if (!probe_.blocked(s, out_.transcript).has_value()) continue;
        // The database can tell: a step that no longer waits is running; wait for it.
        const Wait result = finish_or_block(s, false);
        if (result == Wait::finished) again = true;
        if (result == Wait::timed_out)
          error(fmt::format("step {} neither finished nor waited for a lock within {} ms",
                            step_name(sessions_[s].in_flight->position), timeouts().step.count()));
      }
      // Where only time tells (SQLite): a transaction that ended releases its locks, and one of
      // the steps waiting for them takes them over and finishes soon after (SQLite's busy
      // handler polls every 100 ms at most). Give one of them that chance.
      if (!again && transaction_ended_) {
        transaction_ended_ = false;
        const Clock::time_point deadline =
            Clock::now() + std::max(milliseconds(1000), 3 * timeouts().block);
        while (!again && Clock::now() < deadline) {
          bool any = false;
          for (std::size_t s = 0; s < sessions_.size(); ++s) {
            if (!sessions_[s].in_flight) continue;
            if (probe_.blocked(s, out_.transcript).has_value()) continue;
            any = true;
            if (ready(s, milliseconds(2)) && record(s)) again = true;
          }
          if (!any) break;
        }
      }
    }
    transaction_ended_ = false;
  }

  // Waits for session s's step to finish, recording any other step that finishes meanwhile.
  bool await(std::size_t s, milliseconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (sessions_[s].in_flight) {
      for (std::size_t t = 0; t < sessions_.size(); ++t)
        if (sessions_[t].in_flight && ready(t, milliseconds(t == s ? 5 : 0))) (void)record(t);
      if (sessions_[s].in_flight && Clock::now() >= deadline) return false;
    }
    settle();
    return true;
  }

  bool issue(std::size_t position) {
    const PermutationStep& entry = permutation_.steps[position];
    const Step& step = spec_.steps[entry.step];
    const std::size_t s = step.session;
    SessionState& session = sessions_[s];
    if (session.in_flight) {
      const std::string blocked_step = step_name(session.in_flight->position);
      if (!await(s, timeouts().step)) {
        error(fmt::format("invalid permutation: step {} was issued while session {} is still waiting "
                          "in step {} (nothing released it within {} ms)",
                          step.name, spec_.sessions[s].name, blocked_step, timeouts().step.count()));
        return false;
      }
    }
    const StepPlan& plan = plans_[entry.step];
    // The job owns copies of what it uses: a step that never finishes may outlive the Runner.
    session.in_flight = InFlight{position,
                                 session.worker->submit([plan, local = session.local](Connection& connection) {
                                   return execute(connection, plan, *local);
                                 }),
                                 false, false, {}};
    for (const Blocker& blocker : entry.blockers) {
      if (blocker.step) session.in_flight->blockers.push_back(*blocker.step);
      else session.in_flight->once = true;
    }
    if (session.in_flight->once) {
      // "(*)": reported waiting at once, and the permutation goes on without waiting for it.
      note_waiting(s);
      settle();
      return out_.errors.empty();
    }
    // @sleep waits for no lock: where only time tells (SQLite), it must not look like waiting.
    const bool sleeps = plan.directive && plan.directive->kind == Directive::Kind::sleep;
    switch (finish_or_block(s, !sleeps)) {
      case Wait::finished: break;
      case Wait::waiting: note_waiting(s); break;
      case Wait::timed_out:
        error(fmt::format("step {} neither finished nor waited for a lock within {} ms", step.name,
                          timeouts().step.count()));
        return false;
    }
    settle();
    return out_.errors.empty();
  }

  // The end of the permutation: every waiting step must finish.
  void finish() {
    for (std::size_t s = 0; s < sessions_.size(); ++s) {
      if (!sessions_[s].in_flight) continue;
      const std::string name = step_name(sessions_[s].in_flight->position);
      if (!await(s, timeouts().step))
        error(fmt::format("step {} was still waiting at the end of the permutation ({} ms later)", name,
                          timeouts().step.count()));
    }
  }

  void close() {
    // Idle sessions run their teardown and close first, which releases their locks, so that a
    // step still waiting (after an error) can finish.
    for (std::size_t s = 0; s < sessions_.size(); ++s) {
      SessionState& session = sessions_[s];
      if (!session.worker || session.in_flight) continue;
      if (out_.errors.empty())
        for (const auto& teardown : spec_.sessions[s].teardown) (void)run_sync(s, teardown, "teardown");
      (void)session.worker->stop(timeouts().step);
    }
    for (std::size_t s = 0; s < sessions_.size(); ++s) {
      SessionState& session = sessions_[s];
      if (!session.worker || !session.in_flight) continue;
      if (ready(s, timeouts().step)) (void)record(s);
      if (!session.worker->stop(timeouts().step))
        error(fmt::format("session {} is still busy; its thread was left to finish on its own",
                          spec_.sessions[s].name));
    }
    sessions_.clear();
    if (!observer_) return;
    for (const auto& teardown : spec_.teardown) {
      try {
        observer_->execute_script(substitute(teardown, context().dialect(), suffix_));
      } catch (const std::exception& failure) {
        error(fmt::format("teardown failed: {}", one_line(failure.what())));
      }
    }
    observer_.reset();
  }

  const Spec& spec_;
  const Permutation& permutation_;
  const RunTraits& run_;
  std::string suffix_;
  std::vector<StepPlan> plans_;
  PermutationRun out_;
  ConnectionPtr observer_;
  std::vector<SessionState> sessions_;
  Probe probe_;
  bool transaction_ended_ = false;
};

}  // namespace

Timeouts& timeouts() {
  static Timeouts value;
  return value;
}

std::string describe(const Observed& observed) {
  if (!observed.completed) return observed.blocked ? "blocks (never completed)" : "(not run)";
  std::string out = observed.blocked ? "blocks " : "";
  switch (observed.result) {
    case Observed::Result::ok: out += "ok"; break;
    case Observed::Result::created: out += "created"; break;
    case Observed::Result::existing: out += "existing"; break;
    case Observed::Result::error:
      out += observed.kind ? std::string(to_string(*observed.kind)) : std::string("error");
      return out;
  }
  if (!observed.value.empty()) {
    const bool plain = observed.value.find_first_of(" \t,;#'") == std::string::npos;
    out += plain ? "=" + observed.value : fmt::format("='{}'", observed.value);
  }
  return out;
}

bool satisfies(const Observed& observed, const Expected& expected) {
  if (!observed.completed || observed.blocked != expected.blocks) return false;
  const bool failed = observed.result == Observed::Result::error;
  if (!expected.results.empty()) {
    const bool any = std::any_of(expected.results.begin(), expected.results.end(), [&](const std::string& word) {
      if (word == "ok") return !failed;
      if (word == "created") return observed.result == Observed::Result::created;
      if (word == "existing") return observed.result == Observed::Result::existing;
      if (word == "error") return failed;
      if (!failed || !observed.kind) return false;
      if (word == "transient")
        return *observed.kind == ErrorKind::serialization_failure || *observed.kind == ErrorKind::deadlock ||
               *observed.kind == ErrorKind::busy;
      return to_string(*observed.kind) == word;
    });
    if (!any) return false;
  }
  if (expected.value && (failed || observed.value != *expected.value)) return false;
  return true;
}

RunTraits run_traits() {
  RunTraits traits;
  traits.product = context().product();
  traits.backend = std::string(context().backend().name());
  if (const auto level = run_level()) traits.level = std::string(to_string(*level));
  return traits;
}

void check_directives(const Spec& spec) {
  for (const auto& step : spec.steps) {
    try {
      (void)parse_directive(step.body);
    } catch (const SpecError& error) {
      throw SpecError(fmt::format("{}:{}: step {}: {}", spec.file, step.line, step.name, error.what()));
    }
  }
}

std::optional<std::string> missing_capability(const Spec& spec, const Permutation& permutation,
                                              const Dialect& dialect) {
  std::vector<bool> begins(spec.sessions.size(), false);
  for (const auto& entry : permutation.steps) {
    const auto directive = parse_directive(spec.steps[entry.step].body);
    if (directive && directive->kind == Directive::Kind::begin) begins[spec.steps[entry.step].session] = true;
  }
  for (const auto& entry : permutation.steps) {
    const Step& step = spec.steps[entry.step];
    const auto directive = parse_directive(step.body);
    if (!directive) continue;
    switch (directive->kind) {
      case Directive::Kind::get_or_create:
        if (directive->get_or_create.strategy == Strategy::upsert && dialect.upsert == Dialect::Upsert::none)
          return fmt::format("step {} uses the upsert strategy, and the backend declares no single-statement "
                             "upsert (Dialect::upsert is none)",
                             step.name);
        if (directive->get_or_create.strategy == Strategy::safe && !dialect.supports_savepoints &&
            begins[step.session])
          return fmt::format("step {} runs a safe get-or-create inside a transaction, which needs "
                             "savepoints, and the backend declares none",
                             step.name);
        break;
      case Directive::Kind::savepoint:
      case Directive::Kind::release:
      case Directive::Kind::rollback_to:
        if (!dialect.supports_savepoints)
          return fmt::format("step {} needs savepoints, and the backend declares none", step.name);
        break;
      default: break;
    }
  }
  return std::nullopt;
}

PermutationRun run_permutation(const Spec& spec, const Permutation& permutation, const RunTraits& run) {
  return Runner(spec, permutation, run).run();
}

}  // namespace anydb::conformance::isolation
