// anydb::RetryPolicy: the backoff schedule, its jitter and bounds, and which errors are retried.
// (run_transaction and Transaction need a real database; the conformance suite covers them.)
#include <anydb/error.hpp>
#include <anydb/retry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <thread>

namespace {

using anydb::ErrorInfo;
using anydb::ErrorKind;
using anydb::RetryPolicy;
using std::chrono::microseconds;

template <class E>
E make(ErrorKind kind, bool commit_outcome_unknown = false) {
  ErrorInfo info;
  info.kind = kind;
  info.message = "test";
  info.commit_outcome_unknown = commit_outcome_unknown;
  return E(std::move(info));
}

TEST(RetryBackoff, CeilingDoublesFromInitialAndCapsAtMax) {
  RetryPolicy policy;
  policy.initial_backoff = microseconds{500};
  policy.max_backoff = microseconds{50'000};
  EXPECT_EQ(policy.backoff_ceiling(1), microseconds{500});
  EXPECT_EQ(policy.backoff_ceiling(2), microseconds{1'000});
  EXPECT_EQ(policy.backoff_ceiling(3), microseconds{2'000});
  EXPECT_EQ(policy.backoff_ceiling(4), microseconds{4'000});
  EXPECT_EQ(policy.backoff_ceiling(7), microseconds{32'000});
  EXPECT_EQ(policy.backoff_ceiling(8), microseconds{50'000});
  EXPECT_EQ(policy.backoff_ceiling(9), microseconds{50'000});
}

TEST(RetryBackoff, CeilingIsMonotonic) {
  const RetryPolicy policy;
  for (int retry = 1; retry < 100; ++retry)
    EXPECT_LE(policy.backoff_ceiling(retry), policy.backoff_ceiling(retry + 1)) << retry;
}

TEST(RetryBackoff, NoRetryNumberBelowOneSleeps) {
  const RetryPolicy policy;
  EXPECT_EQ(policy.backoff_ceiling(0), microseconds{0});
  EXPECT_EQ(policy.backoff_ceiling(-5), microseconds{0});
  EXPECT_EQ(policy.backoff(0), microseconds{0});
}

TEST(RetryBackoff, NoOverflowForHugeRetryNumbers) {
  const RetryPolicy policy;
  EXPECT_EQ(policy.backoff_ceiling(1000), policy.max_backoff);
  EXPECT_EQ(policy.backoff_ceiling(std::numeric_limits<int>::max()), policy.max_backoff);
  const auto sample = policy.backoff(1000);
  EXPECT_GE(sample, microseconds{0});
  EXPECT_LE(sample, policy.max_backoff);
}

TEST(RetryBackoff, NoOverflowWithLargeDurationsAndNoCap) {
  // initial * 2^(retry-1) exceeds int64 here; the ceiling must saturate at the cap, not wrap.
  RetryPolicy policy;
  policy.initial_backoff = std::chrono::hours{24};
  policy.max_backoff = microseconds::max();
  EXPECT_EQ(policy.backoff_ceiling(1), std::chrono::hours{24});
  EXPECT_EQ(policy.backoff_ceiling(2), std::chrono::hours{48});
  for (int retry = 2; retry <= 100; ++retry) {
    ASSERT_GT(policy.backoff_ceiling(retry), std::chrono::hours{24}) << retry;
    ASSERT_GE(policy.backoff_ceiling(retry), policy.backoff_ceiling(retry - 1)) << retry;
  }
  EXPECT_EQ(policy.backoff_ceiling(1000), microseconds::max());
}

TEST(RetryBackoff, ZeroInitialMeansNoSleep) {
  RetryPolicy policy;
  policy.initial_backoff = microseconds{0};
  EXPECT_EQ(policy.backoff_ceiling(5), microseconds{0});
  EXPECT_EQ(policy.backoff(5), microseconds{0});
}

TEST(RetryBackoff, SamplesStayWithinZeroAndCeiling) {
  const RetryPolicy policy;
  for (int retry = 1; retry <= 12; ++retry) {
    const auto ceiling = policy.backoff_ceiling(retry);
    for (int i = 0; i < 2000; ++i) {
      const auto sample = policy.backoff(retry);
      ASSERT_GE(sample, microseconds{0}) << "retry " << retry;
      ASSERT_LE(sample, ceiling) << "retry " << retry;
    }
  }
}

TEST(RetryBackoff, SamplesAreJittered) {
  const RetryPolicy policy;
  std::set<microseconds::rep> seen;
  microseconds::rep low = policy.max_backoff.count(), high = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto sample = policy.backoff(9).count();  // ceiling: max_backoff (100 ms)
    seen.insert(sample);
    low = std::min(low, sample);
    high = std::max(high, sample);
  }
  EXPECT_GT(seen.size(), 100U);
  // Full jitter: the samples spread over the whole interval, not just near the ceiling.
  EXPECT_LT(low, policy.max_backoff.count() / 4);
  EXPECT_GT(high, policy.max_backoff.count() * 3 / 4);
}

TEST(RetryDecision, TransientKindsRetryBelowMaxAttempts) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  const auto busy = make<anydb::Busy>(ErrorKind::busy);
  const auto serialization = make<anydb::SerializationFailure>(ErrorKind::serialization_failure);
  const auto deadlock = make<anydb::DeadlockDetected>(ErrorKind::deadlock);
  for (const anydb::Error* error :
       {static_cast<const anydb::Error*>(&busy), static_cast<const anydb::Error*>(&serialization),
        static_cast<const anydb::Error*>(&deadlock)}) {
    EXPECT_TRUE(policy.should_retry(*error, 1)) << error->what();
    EXPECT_TRUE(policy.should_retry(*error, 2)) << error->what();
    EXPECT_FALSE(policy.should_retry(*error, 3)) << error->what();
    EXPECT_FALSE(policy.should_retry(*error, 4)) << error->what();
  }
}

TEST(RetryDecision, DefaultPolicyAllowsAHundredAttemptsWithinTenSeconds) {
  const RetryPolicy policy;
  EXPECT_EQ(policy.max_attempts, 100);
  EXPECT_EQ(policy.time_budget, std::chrono::seconds{10});
  const auto busy = make<anydb::Busy>(ErrorKind::busy);
  EXPECT_TRUE(policy.should_retry(busy, 99));
  EXPECT_FALSE(policy.should_retry(busy, 100));
  EXPECT_TRUE(policy.should_retry(busy, 2, std::chrono::seconds{9}));
  EXPECT_FALSE(policy.should_retry(busy, 2, std::chrono::seconds{10}));
}

TEST(RetryDecision, AZeroBudgetLeavesTheCountAlone) {
  RetryPolicy policy;
  policy.time_budget = std::chrono::milliseconds{0};
  const auto busy = make<anydb::Busy>(ErrorKind::busy);
  EXPECT_TRUE(policy.should_retry(busy, 50, std::chrono::hours{1}));
  EXPECT_FALSE(policy.should_retry(busy, 100, std::chrono::seconds{0}));
}

TEST(RetryTransient, StopsWhenTheTimeBudgetIsSpent) {
  RetryPolicy policy{1000, microseconds{0}, microseconds{0}, std::chrono::milliseconds{30}};
  int attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(anydb::retry_transient(
                   policy,
                   [&](int attempt) {
                     attempts = attempt;
                     std::this_thread::sleep_for(std::chrono::milliseconds{5});
                     throw make<anydb::Busy>(ErrorKind::busy);
                   },
                   [](int) {}),
               anydb::Busy);
  EXPECT_LT(attempts, 1000);
  EXPECT_GE(attempts, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{5});
}

TEST(RetryDecision, NonTransientErrorsAreNotRetried) {
  const RetryPolicy policy;
  EXPECT_FALSE(policy.should_retry(make<anydb::UniqueViolation>(ErrorKind::unique_violation), 1));
  EXPECT_FALSE(policy.should_retry(make<anydb::ConnectionLost>(ErrorKind::connection_lost), 1));
  EXPECT_FALSE(policy.should_retry(make<anydb::SyntaxError>(ErrorKind::syntax_error), 1));
  EXPECT_FALSE(policy.should_retry(make<anydb::DatabaseError>(ErrorKind::database_error), 1));
}

TEST(RetryDecision, CommitOfUnknownOutcomeIsNeverRetried) {
  const RetryPolicy policy;
  const auto error = make<anydb::SerializationFailure>(ErrorKind::serialization_failure, true);
  ASSERT_TRUE(error.is_transient());
  EXPECT_FALSE(policy.should_retry(error, 1));
  EXPECT_FALSE(policy.should_retry(make<anydb::Busy>(ErrorKind::busy, true), 1));
}

TEST(RetryPolicyNone, NeverRetriesNorSleeps) {
  const RetryPolicy none = RetryPolicy::none();
  EXPECT_EQ(none.max_attempts, 1);
  EXPECT_FALSE(none.should_retry(make<anydb::Busy>(ErrorKind::busy), 1));
  EXPECT_EQ(none.backoff_ceiling(1), microseconds{0});
  EXPECT_EQ(none.backoff(3), microseconds{0});
  const auto start = std::chrono::steady_clock::now();
  none.sleep_before(5);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{1});
}

TEST(RetrySleep, SleepsAtMostTheCeiling) {
  RetryPolicy policy;
  policy.initial_backoff = microseconds{1'000};
  policy.max_backoff = microseconds{2'000};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) policy.sleep_before(3);
  // 5 sleeps of at most 2 ms each; generous bound for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{2});
}

// --- retry_transient ------------------------------------------------------------------------

RetryPolicy fast_policy(int max_attempts) {
  return RetryPolicy{max_attempts, microseconds{0}, microseconds{0}};
}

TEST(RetryTransient, ReturnsTheFirstResultAndCountsTheRetriesBeforeIt) {
  int retries = 0;
  const int value = anydb::retry_transient(
      fast_policy(5),
      [](int attempt) {
        if (attempt < 3) throw make<anydb::DeadlockDetected>(ErrorKind::deadlock);
        return attempt * 10;
      },
      [&](int) { ++retries; });
  EXPECT_EQ(value, 30);
  EXPECT_EQ(retries, 2);
}

TEST(RetryTransient, TheLastAttemptsErrorPropagates) {
  int attempts = 0, retries = 0;
  EXPECT_THROW(anydb::retry_transient(
                   fast_policy(3),
                   [&](int attempt) {
                     attempts = attempt;
                     throw make<anydb::Busy>(ErrorKind::busy);
                   },
                   [&](int) { ++retries; }),
               anydb::Busy);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(retries, 2);
}

TEST(RetryTransient, NeverRetriesACommitOfUnknownOutcomeOrAPermanentError) {
  int attempts = 0;
  const auto count = [&](int attempt) { attempts = attempt; };
  EXPECT_THROW(anydb::retry_transient(
                   fast_policy(5),
                   [&](int attempt) {
                     count(attempt);
                     throw make<anydb::SerializationFailure>(ErrorKind::serialization_failure,
                                                             true);
                   },
                   [](int) { FAIL() << "retried"; }),
               anydb::SerializationFailure);
  EXPECT_EQ(attempts, 1);
  EXPECT_THROW(anydb::retry_transient(
                   fast_policy(5),
                   [&](int attempt) {
                     count(attempt);
                     throw make<anydb::SyntaxError>(ErrorKind::syntax_error);
                   },
                   [](int) { FAIL() << "retried"; }),
               anydb::SyntaxError);
  EXPECT_EQ(attempts, 1);
}

TEST(RetryTransient, ReturnsReferencesAndVoid) {
  int target = 0;
  int& same = anydb::retry_transient(
      fast_policy(1), [&](int) -> int& { return target; }, [](int) {});
  EXPECT_EQ(&same, &target);
  bool ran = false;
  anydb::retry_transient(
      fast_policy(1), [&](int) { ran = true; }, [](int) {});
  EXPECT_TRUE(ran);
}

}  // namespace
