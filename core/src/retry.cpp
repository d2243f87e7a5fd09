#include <anydb/error.hpp>
#include <anydb/retry.hpp>

#include <algorithm>
#include <random>
#include <thread>

namespace anydb {

std::chrono::microseconds RetryPolicy::backoff_ceiling(int retry) const noexcept {
  if (retry < 1 || initial_backoff.count() <= 0) return std::chrono::microseconds{0};
  const std::int64_t cap = std::max<std::int64_t>(max_backoff.count(), 0);
  // Doubling stops at the cap, so nothing overflows however large `retry` or the durations are.
  std::int64_t ceiling = std::min<std::int64_t>(initial_backoff.count(), cap);
  for (int i = 1; i < retry && ceiling < cap; ++i) ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  return std::chrono::microseconds{ceiling};
}

std::chrono::microseconds RetryPolicy::backoff(int retry) const {
  const auto ceiling = backoff_ceiling(retry).count();
  if (ceiling <= 0) return std::chrono::microseconds{0};
  thread_local std::minstd_rand generator{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
  return std::chrono::microseconds{pick(generator)};
}

bool RetryPolicy::should_retry(const Error& error, int attempt) const noexcept {
  return error.is_transient() && !error.commit_outcome_unknown() && attempt < max_attempts;
}

bool RetryPolicy::should_retry(const Error& error, int attempt,
                               std::chrono::steady_clock::duration elapsed) const noexcept {
  if (!should_retry(error, attempt)) return false;
  return time_budget.count() <= 0 || elapsed < time_budget;
}

void RetryPolicy::sleep_before(int retry) const {
  const auto pause = backoff(retry);
  if (pause.count() > 0) std::this_thread::sleep_for(pause);
}

}  // namespace anydb
