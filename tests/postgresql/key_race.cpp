#include "key_race.hpp"

#include <gtest/gtest.h>

#include <barrier>
#include <exception>
#include <thread>

namespace anydb::pgtest {

void KeyRaceTally::record_error(const std::string& what) {
  errors.fetch_add(1);
  const std::lock_guard lock(mutex);
  if (first_error.empty()) first_error = what;
}

void race_every_key(const std::vector<ConnectionPtr>& connections, int key_count,
                    const KeyRaceCall& call, KeyRaceTally& tally) {
  std::barrier sync(static_cast<std::ptrdiff_t>(connections.size()));
  std::vector<std::jthread> threads;
  for (std::size_t t = 0; t < connections.size(); ++t) {
    threads.emplace_back([&, t] {
      Connection& connection = *connections[t];
      for (int key = 0; key < key_count; ++key) {
        sync.arrive_and_wait();
        try {
          const KeyCall done = call(connection, key, t);
          if (done.result.created) tally.creations[static_cast<std::size_t>(key)].fetch_add(1);
          tally.conflicts.fetch_add(done.result.conflicts);
          tally.retries.fetch_add(done.retries);
          if (done.result.row.at("k").as_int() != key) tally.wrong_rows.fetch_add(1);
        } catch (const std::exception& error) {
          tally.record_error(error.what());
        }
      }
    });
  }
}

void expect_each_key_created_once(const KeyRaceTally& tally, int key_count, std::int64_t rows,
                                  int round) {
  EXPECT_EQ(tally.errors.load(), 0) << "round " << round << ", first error: " << tally.first_error;
  EXPECT_EQ(tally.wrong_rows.load(), 0) << "round " << round;
  int wrong = 0;
  for (int key = 0; key < key_count; ++key)
    if (tally.creations[static_cast<std::size_t>(key)].load() != 1) ++wrong;
  EXPECT_EQ(wrong, 0) << "round " << round << ": keys created zero or several times";
  EXPECT_EQ(rows, key_count) << "round " << round;
}

}  // namespace anydb::pgtest
