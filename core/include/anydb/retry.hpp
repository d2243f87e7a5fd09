#pragma once

#include <anydb/error.hpp>
#include <anydb/export.hpp>

#include <chrono>

namespace anydb {

// How the outermost owner of a transaction retries transient errors (serialization failure,
// deadlock, busy): at most max_attempts tries in all, sleeping between tries for a random time
// in [0, min(max_backoff, initial_backoff * 2^(retry-1))] ("full jitter", so that colliding
// threads spread out instead of colliding again in lock step).
struct ANYDB_API RetryPolicy {
  int max_attempts = 12;
  std::chrono::microseconds initial_backoff{500};
  std::chrono::microseconds max_backoff{50'000};

  // The upper bound of the sleep before retry number `retry` (1-based).
  [[nodiscard]] std::chrono::microseconds backoff_ceiling(int retry) const noexcept;
  // A random sleep in [0, backoff_ceiling(retry)], from a per-thread generator.
  [[nodiscard]] std::chrono::microseconds backoff(int retry) const;
  // True when `error` is transient, not a commit of unknown outcome, and attempt
  // (1-based, the one that just failed) < max_attempts.
  [[nodiscard]] bool should_retry(const Error& error, int attempt) const noexcept;
  // Sleeps for backoff(retry).
  void sleep_before(int retry) const;

  // A policy that never retries.
  [[nodiscard]] static RetryPolicy none() noexcept { return RetryPolicy{1, {}, {}}; }
};

// The retry loop of every owner of a transaction (run_transaction, GetOrCreate): runs
// attempt(n) for n = 1, 2, ... and returns what the first attempt that does not throw returns.
// When an attempt throws an anydb::Error that policy.should_retry(error, n) accepts, calls
// on_retry(n) (where the caller counts the retry) and sleeps policy.sleep_before(n) before the
// next; any other exception, a commit of unknown outcome, and the error of the last attempt
// propagate unchanged. An attempt that needs another try although the database raised nothing
// throws a transient Error of its own (get-or-create does, for a row its snapshot cannot see).
// Each attempt must leave no transaction open: only the outermost owner of a transaction may
// retry it.
template <class Attempt, class OnRetry>
decltype(auto) retry_transient(const RetryPolicy& policy, Attempt&& attempt, OnRetry&& on_retry) {
  for (int n = 1;; ++n) {
    try {
      return attempt(n);
    } catch (const Error& error) {
      if (!policy.should_retry(error, n)) throw;
    }
    on_retry(n);
    policy.sleep_before(n);
  }
}

}  // namespace anydb
