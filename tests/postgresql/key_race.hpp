#pragma once

// A barrier-released get-or-create race, shared by the PostgreSQL race tests (direct and through
// PgBouncer): every thread, each on its own connection, takes every key 0..key_count-1, all
// threads released together for each key; what they report is counted.

#include <anydb/anydb.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace anydb::pgtest {

struct KeyRaceTally {
  explicit KeyRaceTally(int keys) : creations(static_cast<std::size_t>(keys)) {}

  std::vector<std::atomic<int>> creations;  // by key
  std::atomic<int> errors{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> retries{0};
  std::atomic<int> wrong_rows{0};  // a result whose k is not the key asked for
  std::mutex mutex;
  std::string first_error;

  void record_error(const std::string& what);
};

// What one call did: its result and the transient retries it took (get-or-create's own, or
// the ones run_transaction counted).
struct KeyCall {
  GetOrCreateResult result;
  int retries = 0;
};
using KeyRaceCall = std::function<KeyCall(Connection&, int key, std::size_t thread)>;

// Runs the race on `connections` (one thread each) and counts into `tally`; an exception from
// `call` counts as an error, never escapes.
void race_every_key(const std::vector<ConnectionPtr>& connections, int key_count,
                    const KeyRaceCall& call, KeyRaceTally& tally);

// The race's verdict, as gtest expectations: no error, no wrong row, every key created exactly
// once, and `rows` (counted by the caller on another connection) = key_count.
void expect_each_key_created_once(const KeyRaceTally& tally, int key_count, std::int64_t rows,
                                  int round);

}  // namespace anydb::pgtest
