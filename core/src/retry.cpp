#include <anydb/error.hpp>
#include <anydb/retry.hpp>

#include <algorithm>
#include <random>
#include <thread>

namespace anydb {

std::chrono::microseconds RetryPolicy::backoff_ceiling(int retry) const noexcept {
  if (retry < 1 || initial_backoff.count() <= 0) return std::chrono::microseconds{0};
  const int doublings = std::min(retry - 1, 30);  // no overflow however large `retry` grows
  const auto ceiling = initial_backoff.count() * (std::int64_t{1} << doublings);
  return std::chrono::microseconds{std::min<std::int64_t>(ceiling, max_backoff.count())};
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

void RetryPolicy::sleep_before(int retry) const {
  const auto pause = backoff(retry);
  if (pause.count() > 0) std::this_thread::sleep_for(pause);
}

}  // namespace anydb
