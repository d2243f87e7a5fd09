#include "harness.hpp"

#include "../context.hpp"
#include "directive.hpp"
#include "pg_output.hpp"
#include "session.hpp"
#include "wait_probe.hpp"

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

namespace anydb::conformance::isolation {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds notice_grace{50};

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
    bool once = false;  // "(*)": reported waiting at once, never waited for
    // "(step)": completion reported only once the step is not in flight; "(step notices N)":
    // only once the step's session has received `notices` notices in all.
    struct HeldBy {
      std::size_t step = 0;
      std::optional<int> notices;
    };
    std::vector<HeldBy> blockers;
    std::size_t waiting_order = 0;  // 1, 2, ...: when it was reported waiting
  };
  struct SessionState {
    std::unique_ptr<Worker> worker;
    std::shared_ptr<SessionLocal> local = std::make_shared<SessionLocal>();
    bool in_transaction = false;
    std::optional<InFlight> in_flight;
    std::shared_ptr<NoticeLog> notices = std::make_shared<NoticeLog>();
    // Notices printed so far. As in isolationtester, a notice counts (for "notices N") once the
    // harness has read it, not when the worker thread received it: otherwise a notice that
    // arrives while a step is being issued could be counted before that step's target is set.
    int printed_notices = 0;
  };

  const std::string& step_name(std::size_t position) const {
    return spec_.steps[permutation_.steps[position].step].name;
  }
  void note(std::string line) { out_.transcript.push_back(std::move(line)); }
  // Prints the notices session s received since the last look, as isolationtester's notice
  // processor does ("s1: NOTICE:  text") when it reads from the session's connection.
  void flush_notices(std::size_t s) {
    for (const std::string& text : sessions_[s].notices->take()) {
      std::string_view rest = text;
      bool first = true;
      while (!rest.empty()) {
        const auto end = std::min(rest.find('\n'), rest.size());
        std::string line = first
                               ? fmt::format("{}: {}", spec_.sessions[s].name, rest.substr(0, end))
                               : std::string(rest.substr(0, end));
        note(line);
        out_.output.push_back(std::move(line));
        rest.remove_prefix(std::min(end + 1, rest.size()));
        first = false;
      }
      ++sessions_[s].printed_notices;
    }
  }

  [[nodiscard]] int total_notices() const {
    int total = 0;
    for (const auto& session : sessions_) total += session.printed_notices;
    return total;
  }

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
    auto future = session.worker->submit([plan, local = session.local](Connection& connection) {
      return execute(connection, plan, *local);
    });
    if (future.wait_for(timeouts().step) != std::future_status::ready) {
      error(fmt::format("{} of session {} did not finish within {} ms", what,
                        spec_.sessions[s].name, timeouts().step.count()));
      return false;
    }
    const Observed observed = future.get();
    flush_notices(s);
    session.in_transaction = observed.in_transaction;
    if (observed.result == Observed::Result::error) {
      error(fmt::format("{} of session {} failed: {}", what, spec_.sessions[s].name,
                        observed.message));
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
      error(fmt::format("cannot set application_name of session {}: {}", name,
                        one_line(failure.what())));
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
        error(fmt::format("cannot connect session {}: {}", spec_.sessions[s].name,
                          one_line(failure.what())));
        return false;
      }
      ids.push_back(server_id(*connection, run_.product));
      connection->set_notice_handler(
          [log = sessions_[s].notices](const Notice& notice) { log->add(notice.text); });
      if (run_.product == "postgresql" && !name_session(*connection, spec_.sessions[s].name))
        return false;
      sessions_[s].local->run_level = run_level();
      sessions_[s].worker = std::make_unique<Worker>(std::move(connection));
    }
    probe_ = Probe(*observer_, run_.product, std::move(ids));
    for (std::size_t s = 0; s < spec_.sessions.size(); ++s)
      for (const auto& setup : spec_.sessions[s].setup)
        if (!run_sync(s, setup, "setup")) return false;
    return true;
  }

  // True while an annotation of session s's step holds back the report of its completion
  // (isolationtester's step_has_blocker()).
  [[nodiscard]] bool held_by_annotation(std::size_t s) const {
    const InFlight& flight = *sessions_[s].in_flight;
    return std::any_of(flight.blockers.begin(), flight.blockers.end(), [&](const auto& held) {
      const SessionState& other = sessions_[spec_.steps[held.step].session];
      if (held.notices) return other.printed_notices < *held.notices;
      return other.in_flight && permutation_.steps[other.in_flight->position].step == held.step;
    });
  }

  void note_waiting(std::size_t s) {
    InFlight& flight = *sessions_[s].in_flight;
    if (flight.waiting) return;
    // After its wait check isolationtester reads whatever the session's connection has received
    // (PQconsumeInput, PQisBusy), so a notice sent just before the step began to wait is printed
    // before "<waiting ...>". Here the session's thread delivers notices: give it a moment to
    // deliver one already on its way. Only PostgreSQL sends notices.
    if (run_.product == "postgresql") std::this_thread::sleep_for(notice_grace);
    flush_notices(s);
    flight.waiting = true;
    flight.waiting_order = ++waits_;
    note(fmt::format("step {}: {} <waiting ...>", step_name(flight.position),
                     plans_[permutation_.steps[flight.position].step].text));
    out_.output.push_back(fmt::format("step {}: {} <waiting ...>", step_name(flight.position),
                                      spec_.steps[permutation_.steps[flight.position].step].sql));
  }

  // Records session s's finished step, unless an annotation holds its report back (then it is
  // reported waiting, and false is returned).
  bool record(std::size_t s) {
    flush_notices(s);
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
    observed.completion = ++completions_;
    if (session.in_transaction && !observed.in_transaction) transaction_ended_ = true;
    session.in_transaction = observed.in_transaction;
    Observed shown = observed;
    shown.blocked = false;
    std::string line = flight.waiting
                           ? fmt::format("step {}: <... completed> {}", step_name(flight.position),
                                         describe(shown))
                           : fmt::format("step {}: {} -> {}", step_name(flight.position),
                                         plans_[permutation_.steps[flight.position].step].text,
                                         describe(observed));
    if (!observed.message.empty()) line += fmt::format(" ({})", observed.message);
    if (!observed.detail.empty()) line += fmt::format(" [{}]", observed.detail);
    note(std::move(line));
    out_.output.push_back(
        flight.waiting ? fmt::format("step {}: <... completed>", step_name(flight.position))
                       : fmt::format("step {}: {}", step_name(flight.position),
                                     spec_.steps[permutation_.steps[flight.position].step].sql));
    append_outcome(out_.output, observed);
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

  // One look at every step in flight: records those that finished (and are not held back by
  // an annotation); true when one was recorded.
  bool settle_pass() {
    bool recorded = false;
    for (const std::size_t s : in_flight_sessions()) {
      if (!sessions_[s].in_flight) continue;
      if (ready(s)) {
        recorded = record(s) || recorded;
        continue;
      }
      flush_notices(s);
      // A "(*)" step is only looked at, never waited for, as isolationtester does.
      if (sessions_[s].in_flight->once) continue;
      if (!probe_.blocked(s, out_.transcript).has_value()) continue;
      // The database can tell: a step that no longer waits is running; wait for it.
      const Wait result = finish_or_block(s, false);
      if (result == Wait::finished) recorded = true;
      if (result == Wait::timed_out)
        error(fmt::format("step {} neither finished nor waited for a lock within {} ms",
                          step_name(sessions_[s].in_flight->position), timeouts().step.count()));
    }
    return recorded;
  }

  [[nodiscard]] bool any_held_by_annotation() const {
    for (std::size_t s = 0; s < sessions_.size(); ++s)
      if (sessions_[s].in_flight && !sessions_[s].in_flight->blockers.empty()) return true;
    return false;
  }

  // Where only time tells (SQLite): a transaction that ended releases its locks, and one of
  // the steps waiting for them takes them over and finishes soon after (SQLite's busy handler
  // polls every 100 ms at most). Gives one of them that chance; true when one was recorded.
  bool settle_by_time() {
    const Clock::time_point deadline =
        Clock::now() + std::max(milliseconds(1000), 3 * timeouts().block);
    while (Clock::now() < deadline) {
      bool any = false;
      for (const std::size_t s : in_flight_sessions()) {
        if (probe_.blocked(s, out_.transcript).has_value()) continue;
        any = true;
        if (ready(s, milliseconds(2)) && record(s)) return true;
      }
      if (!any) return false;
    }
    return false;
  }

  // Records every waiting step that a finished step released, before the next step is issued.
  // As isolationtester, it looks again while steps held by an annotation remain and a look
  // recorded a step or brought new notices, either of which may release them.
  void settle() {
    for (bool again = true; again;) {
      const int notices_before = total_notices();
      again = settle_pass();
      if (!again && any_held_by_annotation() && total_notices() != notices_before) again = true;
      if (!again && transaction_ended_) {
        transaction_ended_ = false;
        again = settle_by_time();
      }
    }
    transaction_ended_ = false;
  }

  // The sessions with a step in flight, in the order their steps were reported waiting (then
  // the others): the order of isolationtester's array of waiting steps, which decides the order
  // in which steps released together are reported.
  [[nodiscard]] std::vector<std::size_t> in_flight_sessions() const {
    std::vector<std::size_t> order;
    for (std::size_t s = 0; s < sessions_.size(); ++s)
      if (sessions_[s].in_flight) order.push_back(s);
    const auto rank = [&](std::size_t s) {
      const InFlight& flight = *sessions_[s].in_flight;
      return flight.waiting ? flight.waiting_order : std::numeric_limits<std::size_t>::max();
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rank(a) < rank(b); });
    return order;
  }

  // Waits for session s's step to finish, then records the other steps that finished meanwhile.
  // As isolationtester, it waits on session s alone and looks at the others only once s's step
  // has finished (or an annotation holds its report back): when one event releases several
  // steps (a deadlock victim's error lets the other session go on), session s's is reported
  // first, however the threads that receive the replies happen to be scheduled.
  bool await(std::size_t s, milliseconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (sessions_[s].in_flight) {
      if (ready(s, milliseconds(5))) {
        if (record(s)) break;
        // Held back by an annotation: the others may release it, by finishing or by notices.
        settle();
        if (sessions_[s].in_flight) std::this_thread::sleep_for(milliseconds(5));
      }
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
        error(
            fmt::format("invalid permutation: step {} was issued while session {} is still waiting "
                        "in step {} (nothing released it within {} ms)",
                        step.name, spec_.sessions[s].name, blocked_step, timeouts().step.count()));
        return false;
      }
    }
    // As isolationtester: "notices N" waits for N more notices than the blocker's session has
    // when the step is issued.
    bool once = false;
    std::vector<InFlight::HeldBy> held_by;
    for (const Blocker& blocker : entry.blockers) {
      if (!blocker.step) {
        once = true;
        continue;
      }
      std::optional<int> notices;
      if (blocker.notices)
        notices = *blocker.notices + sessions_[spec_.steps[*blocker.step].session].printed_notices;
      held_by.push_back({*blocker.step, notices});
    }
    const StepPlan& plan = plans_[entry.step];
    // The job owns copies of what it uses: a step that never finishes may outlive the Runner.
    session.in_flight = InFlight{
        position, session.worker->submit([plan, local = session.local](Connection& connection) {
          return execute(connection, plan, *local);
        }),
        false, once, std::move(held_by)};
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
    for (const std::size_t s : in_flight_sessions()) {
      if (!sessions_[s].in_flight) continue;
      const std::string name = step_name(sessions_[s].in_flight->position);
      if (!await(s, timeouts().step))
        error(fmt::format("step {} was still waiting at the end of the permutation ({} ms later)",
                          name, timeouts().step.count()));
    }
  }

  void close() {
    // Idle sessions run their teardown and close first, which releases their locks, so that a
    // step still waiting (after an error) can finish.
    for (std::size_t s = 0; s < sessions_.size(); ++s) {
      SessionState& session = sessions_[s];
      if (!session.worker || session.in_flight) continue;
      if (out_.errors.empty())
        for (const auto& teardown : spec_.sessions[s].teardown)
          (void)run_sync(s, teardown, "teardown");
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
  std::size_t completions_ = 0;
  std::size_t waits_ = 0;
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
      if (!observed.sqlstate.empty()) out += "(" + observed.sqlstate + ")";
      return out;
  }
  if (!observed.value.empty()) {
    const bool plain = observed.value.find_first_of(" \t,;#'") == std::string::npos;
    out += plain ? "=" + observed.value : fmt::format("='{}'", observed.value);
  }
  return out;
}

namespace {

// One alternative of an expectation: "ok", "created", "transient", "unique_violation",
// "serialization_failure(40001)" (the kind and the SQLSTATE the database reported).
bool matches(const Observed& observed, std::string_view word) {
  const bool failed = observed.result == Observed::Result::error;
  if (const auto open = word.find('('); open != std::string_view::npos) {
    if (!failed || observed.sqlstate != word.substr(open + 1, 5)) return false;
    word = word.substr(0, open);
  }
  if (word == "ok") return !failed;
  if (word == "created") return observed.result == Observed::Result::created;
  if (word == "existing") return observed.result == Observed::Result::existing;
  if (word == "error") return failed;
  if (!failed || !observed.kind) return false;
  if (word == "transient")
    return *observed.kind == ErrorKind::serialization_failure ||
           *observed.kind == ErrorKind::deadlock || *observed.kind == ErrorKind::busy;
  return to_string(*observed.kind) == word;
}

}  // namespace

bool satisfies(const Observed& observed, const Expected& expected) {
  if (!observed.completed || observed.blocked != expected.blocks) return false;
  if (!expected.results.empty() &&
      std::none_of(expected.results.begin(), expected.results.end(),
                   [&](const std::string& word) { return matches(observed, word); }))
    return false;
  const bool failed = observed.result == Observed::Result::error;
  return !expected.value || (!failed && observed.value == *expected.value);
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
      throw SpecError(
          fmt::format("{}:{}: step {}: {}", spec.file, step.line, step.name, error.what()));
    }
  }
}

std::optional<std::string> missing_capability(const Spec& spec, const Permutation& permutation,
                                              const Dialect& dialect) {
  std::vector<bool> begins(spec.sessions.size(), false);
  for (const auto& entry : permutation.steps) {
    const auto directive = parse_directive(spec.steps[entry.step].body);
    if (directive && directive->kind == Directive::Kind::begin)
      begins[spec.steps[entry.step].session] = true;
  }
  for (const auto& entry : permutation.steps) {
    const Step& step = spec.steps[entry.step];
    const auto directive = parse_directive(step.body);
    if (!directive) continue;
    switch (directive->kind) {
      case Directive::Kind::get_or_create:
        if (directive->get_or_create.strategy == Strategy::upsert &&
            dialect.upsert == Dialect::Upsert::none)
          return fmt::format(
              "step {} uses the upsert strategy, and the backend declares no single-statement "
              "upsert (Dialect::upsert is none)",
              step.name);
        if (directive->get_or_create.strategy == Strategy::safe && !dialect.supports_savepoints &&
            begins[step.session])
          return fmt::format(
              "step {} runs a safe get-or-create inside a transaction, which needs "
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

PermutationRun run_permutation(const Spec& spec, const Permutation& permutation,
                               const RunTraits& run) {
  return Runner(spec, permutation, run).run();
}

}  // namespace anydb::conformance::isolation
