#pragma once

#include <anydb/backend.hpp>
#include <anydb/get_or_create.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace anydb::cli {

// Bulk mode of `anydb get-or-create`: keys streamed from a file or stdin (--keys-from).
struct BulkJob {
  const GetOrCreate* operation = nullptr;
  // Opens a connection to server `server` of `servers` (a worker's number modulo their count).
  std::function<ConnectionPtr(std::size_t server)> connect;
  std::vector<std::string> servers;  // every --db, redacted, for the summary; at least one
  // One entry per default column of the operation, in order: its constant (--set COL=VALUE), or
  // nothing when the value is the next tab-separated field of each input line (--set COL).
  std::vector<std::optional<Value>> default_sources;
  std::string source;     // a file path, or "-" for stdin
  unsigned threads = 1;   // workers, one connection each
  std::size_t batch = 1;  // keys per GetOrCreate::many() call; 1: one get-or-create per key
  bool per_key = false;   // print one line per key, as without --keys-from
  // The key column holds integers (the demo table, or --integer-keys): keys spelt as integers
  // are sent as integers, not as text.
  bool integer_keys = false;
  std::string format = "text";
  std::string strategy;  // for the summary
  // How long a worker whose connection broke keeps reconnecting (every 100 ms) before the key or
  // batch in hand fails; 0: one attempt.
  std::chrono::milliseconds reconnect_for{0};
};

// Runs the job: a reader thread parses lines into chunks, a bounded queue hands them to the
// workers, and the calling thread draws the progress line (only when stderr is a terminal) and
// watches for Ctrl-C. Prints the summary and returns the exit status: 0 when every key
// succeeded, 1 when a key or a line failed, 128 + the signal's number when interrupted (130 for
// Ctrl-C; a second Ctrl-C or a SIGTERM ends the run at once, see interrupt.hpp).
// Set-up failures (the input cannot be opened, a worker cannot connect) throw anydb::Error.
int run_bulk(const BulkJob& job);

}  // namespace anydb::cli
