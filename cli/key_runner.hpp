#pragma once

#include "output.hpp"

#include <anydb/backend.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace anydb::cli {

// Opens a connection for the worker thread with this number (0, 1, ...; with one thread per
// key, the key's position): the caller picks the server (round-robin over several --db).
using ConnectionFactory = std::function<ConnectionPtr(std::size_t worker)>;
using KeyWork = std::function<GetOrCreateResult(Connection&, const std::string& key)>;
using OutcomeSink = std::function<void(const KeyOutcome&)>;

// What run_keys did.
struct KeyRunTotals {
  std::size_t failed = 0;
  std::size_t done = 0;         // keys with an outcome (succeeded or failed)
  std::size_t not_started = 0;  // left alone after Ctrl-C
  bool interrupted = false;     // a first Ctrl-C stopped the run
};

// Runs `work` for every key and hands each outcome to `sink` as it finishes. Every thread opens its
// own connection first, then all threads are released together, so that keys given twice really
// collide.
//   threads == 0: one thread per key (the management-command shape: `7 7 7` races three threads)
//   threads  > 0: that many workers take the keys in order.
// A thread that cannot connect reports each key it takes as failed: every key gets an outcome.
// With reconnect_for > 0, a thread whose connection breaks (or cannot be opened) keeps trying
// to connect for that long and runs the key again, so a server restart costs a pause, not
// failed keys.
// With an InterruptGuard installed, a first Ctrl-C lets the keys in hand finish and starts no
// more; a second Ctrl-C or a SIGTERM prints a one-line summary to stderr and ends the process
// at once (interrupt.hpp), without waiting for threads that may be blocked on a hung server.
KeyRunTotals run_keys(const std::vector<std::string>& keys, unsigned threads,
                      const ConnectionFactory& connect, const KeyWork& work,
                      const OutcomeSink& sink,
                      std::chrono::milliseconds reconnect_for = std::chrono::milliseconds{0});

}  // namespace anydb::cli
