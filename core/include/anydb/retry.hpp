#pragma once

#include <anydb/error.hpp>
#include <anydb/export.hpp>

#include <chrono>

namespace anydb {

// How the outermost owner of a transaction retries transient errors (serialization failure,
// deadlock, busy). Two bounds, whichever comes first:
//   - max_attempts: at most this many tries in all (1 = never retry);
//   - time_budget: no new try starts once this much time has passed since the first one began
//     (zero or negative: no time bound, max_attempts alone decides).
// Between tries it sleeps a random time in [0, min(max_backoff, initial_backoff * 2^(retry-1))]
// ("full jitter", so that colliding threads spread out instead of colliding again in lock step).
//
// The defaults are sized for heavy contention, not for a quiet database: 16 threads walking the
// same 500 keys at SERIALIZABLE lose a few calls in 10,000 to ten or more serialization failures
// in a row (docs/reliability.md, "Contention", has the measured distribution), and a small
// fixed count let those escape. Up to 100 tries within 10 s, with sleeps capped at 100 ms, means
// that a call gives up only when the database keeps refusing it for seconds, not because of a
// run of bad luck; a call that succeeds at once pays nothing. Callers with a latency bound of
// their own (a web request) should lower time_budget.
struct ANYDB_API RetryPolicy {
  int max_attempts = 100;
  std::chrono::microseconds initial_backoff{500};
  std::chrono::microseconds max_backoff{100'000};
  std::chrono::milliseconds time_budget{10'000};

  // The upper bound of the sleep before retry number `retry` (1-based).
  [[nodiscard]] std::chrono::microseconds backoff_ceiling(int retry) const noexcept;
  // A random sleep in [0, backoff_ceiling(retry)], from a per-thread generator.
  [[nodiscard]] std::chrono::microseconds backoff(int retry) const;
  // True when `error` is transient, not a commit of unknown outcome, and attempt (1-based, the
  // one that just failed) < max_attempts. Ignores the time budget: see the overload.
  [[nodiscard]] bool should_retry(const Error& error, int attempt) const noexcept;
  // The same, and `elapsed` (since the first attempt began) is still within time_budget.
  [[nodiscard]] bool should_retry(const Error& error, int attempt,
                                  std::chrono::steady_clock::duration elapsed) const noexcept;
  // Sleeps for backoff(retry).
  void sleep_before(int retry) const;

  // A policy that never retries.
  [[nodiscard]] static RetryPolicy none() noexcept { return RetryPolicy{1, {}, {}, {}}; }
};

// The retry loop of every owner of a transaction (run_transaction, GetOrCreate): runs
// attempt(n) for n = 1, 2, ... and returns what the first attempt that does not throw returns.
// When an attempt throws an anydb::Error that policy.should_retry(error, n, elapsed) accepts,
// calls on_retry(n) (where the caller counts the retry) and sleeps policy.sleep_before(n) before
// the next; any other exception, a commit of unknown outcome, and the error of the last attempt
// (by count or by time) propagate unchanged. An attempt that needs another try although the
// database raised nothing throws a transient Error of its own (get-or-create does, for a row its
// snapshot cannot see). Each attempt must leave no transaction open: only the outermost owner of
// a transaction may retry it.
template <class Attempt, class OnRetry>
decltype(auto) retry_transient(const RetryPolicy& policy, Attempt&& attempt, OnRetry&& on_retry) {
  const auto started = std::chrono::steady_clock::now();
  for (int n = 1;; ++n) {
    try {
      return attempt(n);
    } catch (const Error& error) {
      if (!policy.should_retry(error, n, std::chrono::steady_clock::now() - started)) throw;
    }
    on_retry(n);
    policy.sleep_before(n);
  }
}

}  // namespace anydb
