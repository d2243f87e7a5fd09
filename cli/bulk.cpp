#include "bulk.hpp"

#include "bulk_report.hpp"
#include "bulk_state.hpp"

#include "bounded_queue.hpp"
#include "interrupt.hpp"
#include "line_reader.hpp"
#include "options.hpp"
#include "output.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace anydb::cli {

using namespace bulk;  // the run's shared state (bulk_state.hpp)

namespace {

using Clock = std::chrono::steady_clock;

// Keys handed from the reader to a worker in one piece: a whole batch with --batch, otherwise a
// few dozen keys (so that the queue is not touched once per key).
constexpr std::size_t unbatched_chunk_keys = 64;
constexpr auto progress_interval = std::chrono::milliseconds(250);
constexpr auto poll_interval = std::chrono::milliseconds(50);
constexpr auto reconnect_interval = std::chrono::milliseconds(100);

// --- the reader -------------------------------------------------------------------------------

void split_tabs(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  for (;;) {
    const std::size_t tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return;
    line.remove_prefix(tab + 1);
  }
}

// With BulkJob::integer_keys, a key spelt exactly as an integer prints (no sign but '-', no
// leading zero, within 64 bits) is sent as one: the database compares and returns integers, so
// the returned rows match their keys exactly and the keys sort as numbers. Every other
// spelling stays text, for the database to convert as it would without the flag.
Value key_value(std::string_view field, bool integer_keys) {
  if (integer_keys && !field.empty()) {
    const std::string_view digits = field.front() == '-' ? field.substr(1) : field;
    const bool canonical = !digits.empty() && (digits.front() != '0' || field == "0");
    std::int64_t number = 0;
    const char* const end = field.data() + field.size();
    const auto [stop, error] = std::from_chars(field.data(), end, number);
    if (canonical && error == std::errc() && stop == end) return Value(number);
  }
  return Value(std::string(field));
}

// A key as the user wrote it, for the per-key lines and messages.
std::string key_spelling(const Value& key) {
  return key.type() == Value::Type::integer ? std::to_string(key.as_int()) : key.as_text();
}

Value field_value(std::string_view field) {
  // "\N" is NULL, as in PostgreSQL's COPY text format; everything else is taken literally.
  if (field == "\\N") return Value();
  return Value(std::string(field));
}

// Collects the keys read into chunks and hands each to the workers when it is full (or when
// the input pauses).
class ChunkFiller {
 public:
  ChunkFiller(Shared& shared, BoundedQueue<Chunk>& queue)
      : shared_(shared),
        queue_(queue),
        chunk_keys_(shared.job.batch > 1 ? shared.job.batch : unbatched_chunk_keys),
        width_(shared.job.default_sources.size()),
        chunk_(fresh_chunk()) {
    for (const auto& source : shared.job.default_sources) file_fields_ += source ? 0 : 1;
  }

  // The fields a line has after its key: one per bare --set column.
  [[nodiscard]] std::size_t file_fields() const noexcept { return file_fields_; }
  [[nodiscard]] bool empty() const noexcept { return chunk_.keys.empty(); }
  [[nodiscard]] bool full() const noexcept { return chunk_.size() == chunk_keys_; }

  // One line's key and --set values; `fields` holds the key and file_fields() more.
  void add(const std::vector<std::string_view>& fields) {
    chunk_.keys.push_back(key_value(fields.front(), shared_.job.integer_keys));
    std::size_t next_field = 1;
    for (const auto& source : shared_.job.default_sources)
      chunk_.defaults.push_back(source ? *source : field_value(fields[next_field++]));
  }

  // Queues the keys collected so far. False when the queue is closed (the workers stopped):
  // those keys then count as not processed.
  bool hand_over() {
    if (chunk_.keys.empty()) return true;
    const std::size_t size = chunk_.size();
    if (!queue_.push(std::move(chunk_))) {
      shared_.not_processed.fetch_add(size);
      return false;
    }
    chunk_ = fresh_chunk();
    return true;
  }

  // Counts the keys collected so far as not processed.
  void abandon() noexcept { shared_.not_processed.fetch_add(chunk_.size()); }

 private:
  [[nodiscard]] Chunk fresh_chunk() const {
    Chunk chunk;
    chunk.keys.reserve(chunk_keys_);
    chunk.defaults.reserve(chunk_keys_ * width_);
    return chunk;
  }

  Shared& shared_;
  BoundedQueue<Chunk>& queue_;
  std::size_t chunk_keys_;
  std::size_t width_;
  std::size_t file_fields_ = 0;
  Chunk chunk_;
};

// Why a line, split into `fields`, cannot be used; nullopt when it can.
std::optional<std::string> line_problem(const std::vector<std::string_view>& fields,
                                        std::size_t file_fields, std::uint64_t line_number) {
  if (fields.size() != 1 + file_fields)
    return fmt::format("anydb: line {}: {} tab-separated field{}, expected {} (the key{}); skipped",
                       line_number, fields.size(), fields.size() == 1 ? "" : "s", 1 + file_fields,
                       file_fields == 0 ? ""
                                        : fmt::format(" and {} --set column{}", file_fields,
                                                      file_fields == 1 ? "" : "s"));
  if (fields.front().empty())
    return fmt::format("anydb: line {}: the key is empty; skipped", line_number);
  if (fields.front() == "\\N")
    return fmt::format(
        "anydb: line {}: the key is \\N (NULL), which no unique constraint matches; skipped",
        line_number);
  return std::nullopt;
}

void reject_line(Shared& shared, const std::string& message) {
  shared.rejected.fetch_add(1);
  shared.report(message);
}

// Reads lines into `chunks` until the input ends, a stop is requested or the workers stop.
void read_lines(Shared& shared, int fd, ChunkFiller& chunks) {
  LineReader reader(fd);
  std::vector<std::string_view> fields;
  std::uint64_t line_number = 0;
  for (;;) {
    // Keys that trickle in (a pipe, a terminal) are handed over before the reader waits for
    // more, not when a chunk is full.
    if (!chunks.empty() && reader.would_block() && !chunks.hand_over()) return;
    std::string_view line;
    const LineReader::Status status = reader.next(line, shared.stop_reading);
    shared.bytes_read.store(reader.bytes_read(), std::memory_order_relaxed);
    if (status == LineReader::Status::end) shared.input_complete.store(true);
    if (status == LineReader::Status::end || status == LineReader::Status::stopped) return;
    ++line_number;
    if (status == LineReader::Status::line_too_long) {
      reject_line(shared, fmt::format("anydb: line {}: longer than {} bytes; skipped", line_number,
                                      LineReader::max_line_bytes));
      continue;
    }
    if (line.empty()) continue;
    split_tabs(line, fields);
    if (const std::optional<std::string> problem =
            line_problem(fields, chunks.file_fields(), line_number)) {
      reject_line(shared, *problem);
      continue;
    }
    chunks.add(fields);
    shared.keys_read.fetch_add(1, std::memory_order_relaxed);
    if (chunks.full() && !chunks.hand_over()) return;
  }
}

void read_keys(Shared& shared, int fd, BoundedQueue<Chunk>& queue) {
  ChunkFiller chunks(shared, queue);
  try {
    read_lines(shared, fd, chunks);
    if (!shared.stop_reading.load())
      (void)chunks.hand_over();
    else
      chunks.abandon();
  } catch (const std::exception& error) {
    chunks.abandon();
    const std::lock_guard lock(shared.read_error_mutex);
    shared.read_error = error.what();
  }
  queue.close();
}

// --- the workers ------------------------------------------------------------------------------

class Worker {
 public:
  Worker(Shared& shared, ConnectionPtr connection, int index)
      : shared_(shared),
        job_(shared.job),
        connection_(std::move(connection)),
        index_(index),
        server_(static_cast<std::size_t>(index) % shared.servers.size()) {}

  void run(BoundedQueue<Chunk>& queue) {
    while (std::optional<Chunk> chunk = queue.pop()) {
      if (!connection_ || shared_.stopping.load()) {
        shared_.not_processed.fetch_add(chunk->size());
        continue;
      }
      if (job_.batch > 1) {
        process_batch(*chunk);
      } else {
        process_keys(*chunk, 0);
      }
      flush_output();
    }
  }

 private:
  [[nodiscard]] std::span<const Value> defaults_of(const Chunk& chunk, std::size_t i) const {
    const std::size_t width = job_.default_sources.size();
    if (width == 0) return {};
    return std::span<const Value>(chunk.defaults).subspan(i * width, width);
  }

  // One get-or-create per key, from key `first` on. The operation owns its transactions (and
  // retries transient errors itself), which takes fewer statements than a caller's transaction.
  void process_keys(const Chunk& chunk, std::size_t first) {
    for (std::size_t i = first; i < chunk.size(); ++i) {
      if (shared_.stopping.load() || !connection_) {
        shared_.not_processed.fetch_add(chunk.size() - i);
        return;
      }
      process_key(chunk, i);
    }
  }

  // A key whose connection broke is run again on a new one while --reconnect-for allows:
  // get-or-create is idempotent, so a key whose COMMIT answer was lost finds its own row.
  void process_key(const Chunk& chunk, std::size_t i) {
    const Clock::time_point deadline = Clock::now() + job_.reconnect_for;
    const std::span<const Value> key(&chunk.keys[i], 1);
    for (;;) {
      try {
        succeeded(chunk.keys[i], (*job_.operation)(*connection_, key, defaults_of(chunk, i)));
        return;
      } catch (const Error& error) {
        const bool lost = error.is_connection_error();
        count_unknown_commit(error);
        if (lost && reconnect(deadline) && Clock::now() < deadline) continue;
        failed(chunk.keys[i], error.kind(), error.what());
        return;
      } catch (const std::exception& error) {
        failed(chunk.keys[i], ErrorKind::database_error, error.what());
        return;
      }
    }
  }

  // One GetOrCreate::many() for the chunk, run again on a new connection when the connection
  // broke (within --reconnect-for). When the batch as a whole fails for good (a key that violates
  // another constraint, bad text for the column type, ...), its keys are redone one by one, so
  // that only the keys at fault are reported as failed.
  void process_batch(const Chunk& chunk) {
    const Clock::time_point deadline = Clock::now() + job_.reconnect_for;
    for (;;) {
      try {
        GetOrCreateBatchResult result =
            job_.operation->many(*connection_, chunk.keys, chunk.defaults);
        shared_.retries.fetch_add(static_cast<std::uint64_t>(result.transient_retries));
        for (std::size_t i = 0; i < chunk.size(); ++i) {
          GetOrCreateResult& one = result.keys[i];
          // The batch's retries are counted once above, not once per key.
          one.transient_retries = 0;
          succeeded(chunk.keys[i], std::move(one));
        }
        return;
      } catch (const Error& error) {
        if (!error.is_connection_error()) break;
        count_unknown_commit(error);
        if (!reconnect(deadline)) {
          fail_all(chunk, error);
          return;
        }
        if (Clock::now() >= deadline) break;
      } catch (const std::exception&) {
        break;
      }
    }
    process_keys(chunk, 0);
  }

  // A COMMIT whose outcome is unknown needs no handling of its own: the key or batch is run
  // again (get-or-create looks its keys up first), or fails as a lost connection. It is counted,
  // so that a run shows how often that happened.
  void count_unknown_commit(const Error& error) noexcept {
    if (error.commit_outcome_unknown())
      shared_.unknown_commits.fetch_add(1, std::memory_order_relaxed);
  }

  void fail_all(const Chunk& chunk, const Error& error) {
    for (std::size_t i = 0; i < chunk.size(); ++i)
      failed(chunk.keys[i], error.kind(), error.what());
  }

  void succeeded(const Value& key, GetOrCreateResult result) {
    (result.created ? shared_.created : shared_.existing).fetch_add(1, std::memory_order_relaxed);
    ServerCounts& server = shared_.servers[server_];
    (result.created ? server.created : server.existing).fetch_add(1, std::memory_order_relaxed);
    shared_.conflicts.fetch_add(static_cast<std::uint64_t>(result.conflicts),
                                std::memory_order_relaxed);
    shared_.retries.fetch_add(static_cast<std::uint64_t>(result.transient_retries),
                              std::memory_order_relaxed);
    if (!job_.per_key) return;
    KeyOutcome outcome{key_spelling(key), std::move(result), std::nullopt, {}};
    bool to_stderr = false;
    out_ += outcome_line(outcome, job_.format, to_stderr);
    out_ += '\n';
  }

  void failed(const Value& key, ErrorKind kind, std::string message) {
    shared_.failed.fetch_add(1, std::memory_order_relaxed);
    shared_.servers[server_].failed.fetch_add(1, std::memory_order_relaxed);
    KeyOutcome outcome{key_spelling(key), std::nullopt, kind, std::move(message)};
    bool to_stderr = false;
    // Text goes to stderr; with --per-key --format json the failure is an object on stdout.
    std::string line = outcome_line(outcome, job_.per_key ? job_.format : "text", to_stderr);
    if (to_stderr) {
      shared_.report(line);
    } else {
      out_ += line + '\n';
    }
  }

  // Replaces a broken connection: once without --reconnect-for, otherwise every 100 ms until
  // `deadline` (or Ctrl-C). If that fails the worker stops taking work.
  bool reconnect(Clock::time_point deadline) {
    connection_.reset();
    const Clock::time_point lost = Clock::now();
    for (;;) {
      try {
        connection_ = job_.connect(server_);
        shared_.reconnects.fetch_add(1, std::memory_order_relaxed);
        shared_.status.print(
            fmt::format("anydb: worker {} lost its connection and reconnected after {:.1f} s\n",
                        index_ + 1, std::chrono::duration<double>(Clock::now() - lost).count()));
        return true;
      } catch (const std::exception& error) {
        if (Clock::now() >= deadline || shared_.stopping.load()) {
          shared_.status.print(
              fmt::format("anydb: worker {} lost its connection and cannot reconnect: {}\n",
                          index_ + 1, error.what()));
          return false;
        }
      }
      std::this_thread::sleep_for(reconnect_interval);
    }
  }

  void flush_output() {
    if (!out_.empty()) print_block(stdout, out_);
    out_.clear();
  }

  Shared& shared_;
  const BulkJob& job_;
  ConnectionPtr connection_;
  int index_;
  std::size_t server_;  // which --db: the worker's number, round-robin
  std::string out_;     // the chunk's per-key lines for stdout, written in one piece
};

// --- set-up, progress and summary -------------------------------------------------------------

// How the workers tell the calling thread that one of them ended.
struct WorkersDone {
  std::mutex& mutex;
  std::condition_variable& changed;
};

// Waits until every worker has ended, drawing the progress line (when `progress`) and acting on
// signals: a first Ctrl-C stops reading and drops the queued keys (true is returned); a second
// Ctrl-C or a SIGTERM prints the summary and ends the process at once, without the workers,
// which may be blocked in calls that never return (a hung server).
bool watch_workers(Shared& shared, BoundedQueue<Chunk>& queue, const InputFile& input,
                   bool progress, Clock::time_point start, WorkersDone done) {
  bool interrupted = false;
  Clock::time_point last_progress = start;
  std::unique_lock lock(done.mutex);
  while (shared.workers_running.load() > 0) {
    done.changed.wait_for(lock, poll_interval);
    if (abort_requested()) {
      lock.unlock();
      shared.status.clear();
      print_summary(shared, std::chrono::duration<double>(Clock::now() - start).count(),
                    Ending::terminated, {});
      exit_now(interrupt_exit_status());
    }
    if (!interrupted && interrupt_requested()) {
      // Stop reading, drop what is queued, let the workers finish what they hold.
      interrupted = true;
      shared.stopping.store(true);
      shared.stop_reading.store(true);
      for (const Chunk& dropped : queue.abort()) shared.not_processed.fetch_add(dropped.size());
    }
    if (progress && Clock::now() - last_progress >= progress_interval) {
      last_progress = Clock::now();
      lock.unlock();
      shared.status.show(progress_text(
          shared, input, std::chrono::duration<double>(last_progress - start).count()));
      lock.lock();
    }
  }
  return interrupted;
}

}  // namespace

int run_bulk(const BulkJob& job) {
  InputFile input(job.source);
  const bool progress = ::isatty(STDERR_FILENO) == 1;

  // Every worker's connection first, on this thread: a database that refuses them fails the
  // run once, as a set-up error, before any key is read.
  std::vector<ConnectionPtr> connections;
  connections.reserve(job.threads);
  for (unsigned i = 0; i < job.threads; ++i)
    connections.push_back(job.connect(i % std::max<std::size_t>(1, job.servers.size())));

  const char* const term = std::getenv("TERM");
  const bool plain_terminal = term == nullptr || std::string_view(term) == "dumb";
  Shared shared(job, progress, plain_terminal);
  const InterruptGuard interrupt_guard;
  // Two chunks per worker: enough to keep every worker busy, small enough that memory does not
  // depend on the size of the input.
  BoundedQueue<Chunk> queue(2 * static_cast<std::size_t>(job.threads));
  const Clock::time_point start = Clock::now();

  std::atomic<bool> stop_counting{false};
  std::jthread counter;
  if (progress && input.regular())
    counter = std::jthread(
        [&] { shared.total_keys.store(count_keys_in_file(job.source, stop_counting)); });

  std::mutex done_mutex;
  std::condition_variable done;
  shared.workers_running.store(static_cast<int>(job.threads));
  std::vector<std::jthread> workers;
  workers.reserve(job.threads);
  for (unsigned i = 0; i < job.threads; ++i) {
    workers.emplace_back([&, i, connection = std::move(connections[i])]() mutable {
      Worker worker(shared, std::move(connection), static_cast<int>(i));
      try {
        worker.run(queue);
      } catch (const std::exception& error) {
        shared.status.print(fmt::format("anydb: worker {} stopped: {}\n", i + 1, error.what()));
      }
      {
        const std::lock_guard lock(done_mutex);
        shared.workers_running.fetch_sub(1);
      }
      done.notify_all();
    });
  }
  std::jthread reader([&] { read_keys(shared, input.fd(), queue); });

  const bool interrupted =
      watch_workers(shared, queue, input, progress, start, WorkersDone{done_mutex, done});
  // Every worker has ended. If they ended early (all lost their connections), the reader may
  // still wait for room in the queue.
  shared.stop_reading.store(true);
  for (const Chunk& dropped : queue.abort()) shared.not_processed.fetch_add(dropped.size());
  reader.join();
  stop_counting.store(true);
  if (counter.joinable()) counter.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  shared.status.clear();

  std::string read_error;
  {
    const std::lock_guard lock(shared.read_error_mutex);
    read_error = shared.read_error;
  }
  if (!read_error.empty())
    print_error_line(fmt::format("anydb: --keys-from: reading '{}' failed: {}",
                                 printable(job.source), read_error));
  print_summary(shared, seconds, interrupted ? Ending::interrupted : Ending::completed, read_error);

  if (interrupted) return interrupt_exit_status();
  const bool all_done = shared.failed.load() == 0 && shared.rejected.load() == 0 &&
                        shared.not_processed.load() == 0 && read_error.empty();
  return all_done ? exit_ok : exit_key_failed;
}

}  // namespace anydb::cli
