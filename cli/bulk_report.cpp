#include "bulk_report.hpp"

#include "interrupt.hpp"

#include <nlohmann/json.hpp>

#include <optional>

#include <sys/resource.h>

namespace anydb::cli::bulk {
namespace {

// Peak resident memory of this process so far, in KiB (Linux reports ru_maxrss in KiB).
std::int64_t max_rss_kib() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::int64_t>(usage.ru_maxrss);
}

std::string mib(std::int64_t kib) {
  return fmt::format("{:.1f} MiB", static_cast<double>(kib) / 1024.0);
}

// The summary's line about broken connections, when a worker had to reconnect: how often, and
// how many COMMITs never got their answer (the keys were run again and found or made their rows).
std::string reconnect_text(const Shared& shared) {
  const std::uint64_t reconnects = shared.reconnects.load();
  if (reconnects == 0) return {};
  const std::uint64_t unknown = shared.unknown_commits.load();
  return fmt::format(
      "anydb: {} reconnect{}; {} COMMIT{} lost {} answer (the keys were run again)\n", reconnects,
      reconnects == 1 ? "" : "s", unknown, unknown == 1 ? "" : "s", unknown == 1 ? "its" : "their");
}

}  // namespace

std::string eta_text(double fraction_done, double seconds) {
  if (!(fraction_done > 0.0) || !(seconds > 0.0)) return "ETA --:--";
  const double remaining =
      fraction_done >= 1.0 ? 0.0 : seconds * (1.0 - fraction_done) / fraction_done;
  // Past 99 hours the figure means nothing to the reader.
  if (remaining >= 99.0 * 3600.0) return "ETA >99h";
  const auto total = static_cast<long long>(remaining + 0.5);
  const long long hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  if (hours > 0) return fmt::format("ETA {}:{:02}:{:02}", hours, minutes, secs);
  return fmt::format("ETA {}:{:02}", minutes, secs);
}

std::string progress_text(const Shared& shared, const InputFile& input, double seconds) {
  const std::uint64_t done = shared.created.load() + shared.existing.load() + shared.failed.load();
  const std::uint64_t errors = shared.failed.load() + shared.rejected.load();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  std::string where;
  std::optional<double> fraction;  // of the whole input done, when the input's size is known
  if (const std::uint64_t total = shared.total_keys.load(); total > 0) {
    fraction = static_cast<double>(done) / static_cast<double>(total);
    where = fmt::format("{}/{} keys ({:.1f}%)", done, total, 100.0 * *fraction);
  } else if (input.regular() && input.size() > 0) {
    const double read =
        static_cast<double>(shared.bytes_read.load()) / static_cast<double>(input.size());
    // Until the count is in, the share read, scaled by the share of the keys read that are done.
    const std::uint64_t keys_read = shared.keys_read.load();
    fraction =
        keys_read == 0 ? 0.0 : read * static_cast<double>(done) / static_cast<double>(keys_read);
    where = fmt::format("{} keys ({:.0f}% of the input read)", done, 100.0 * read);
  } else {
    where = fmt::format("{} keys", done);
  }
  return fmt::format("anydb: {}, {:.0f} keys/s, {}{} error{}{}", where, rate,
                     fraction ? eta_text(*fraction, seconds) + ", " : "", errors,
                     errors == 1 ? "" : "s",
                     shared.stopping.load() ? ", stopping (Ctrl-C again to end at once)" : "");
}

namespace {

// The figures of a summary, read once from the shared counters.
struct Totals {
  std::uint64_t created, existing, failed, rejected, keys, errors, abandoned;
  double seconds, rate;
  std::int64_t rss;
};

Totals totals_of(const Shared& shared, double seconds, Ending ending) {
  Totals totals{};
  totals.created = shared.created.load();
  totals.existing = shared.existing.load();
  totals.failed = shared.failed.load();
  totals.rejected = shared.rejected.load();
  totals.keys = totals.created + totals.existing + totals.failed;
  totals.errors = totals.failed + totals.rejected;
  // Keys read but not finished when the run was terminated (in a worker's hands or queued):
  // their transactions never committed, or committed unreported; a rerun puts either right.
  const std::uint64_t read = shared.keys_read.load();
  totals.abandoned = ending == Ending::terminated && read > totals.keys ? read - totals.keys : 0;
  totals.seconds = seconds;
  totals.rate = seconds > 0 ? static_cast<double>(totals.keys) / seconds : 0.0;
  totals.rss = max_rss_kib();
  return totals;
}

// What each --db's workers did, in --db order (one entry without --db).
nlohmann::json servers_json(const Shared& shared) {
  nlohmann::json servers = nlohmann::json::array();
  for (std::size_t i = 0; i < shared.servers.size(); ++i) {
    const ServerCounts& counts = shared.servers[i];
    const std::uint64_t created = counts.created.load(), existing = counts.existing.load();
    const std::uint64_t failed = counts.failed.load();
    servers.push_back(
        {{"db", i < shared.job.servers.size() ? shared.job.servers[i] : std::string()},
         {"keys", created + existing + failed},
         {"created", created},
         {"existing", existing},
         {"failed_keys", failed}});
  }
  return servers;
}

void print_json_summary(const Shared& shared, const Totals& totals, Ending ending,
                        const std::string& read_error) {
  const BulkJob& job = shared.job;
  nlohmann::json summary = {
      {"summary", true},
      {"keys", totals.keys},
      {"created", totals.created},
      {"existing", totals.existing},
      {"conflicts", shared.conflicts.load()},
      {"retries", shared.retries.load()},
      {"errors", totals.errors},
      {"failed_keys", totals.failed},
      {"rejected_lines", totals.rejected},
      {"not_processed", shared.not_processed.load()},
      {"reconnects", shared.reconnects.load()},
      {"unknown_commits", shared.unknown_commits.load()},
      {"interrupted", ending != Ending::completed},
      {"terminated", ending == Ending::terminated},
      {"abandoned", totals.abandoned},
      {"input_complete", shared.input_complete.load()},
      {"seconds", totals.seconds},
      {"keys_per_second", totals.rate},
      {"threads", job.threads},
      {"batch", job.batch},
      {"strategy", job.strategy},
      {"max_rss_kib", totals.rss},
      {"servers", servers_json(shared)},
  };
  if (!read_error.empty()) summary["read_error"] = read_error;
  print_line(dump_json(summary));
}

// The last line of a run that did not read or finish everything; empty otherwise.
std::string ending_text(const Shared& shared, const Totals& totals, Ending ending) {
  const char* const rest =
      shared.input_complete.load() ? "" : "; the rest of the input was not read";
  const std::uint64_t not_processed = shared.not_processed.load();
  switch (ending) {
    case Ending::terminated:
      return fmt::format(
          "anydb: terminated by {}: {} key{} read but not finished (the database rolls back what "
          "did not commit){}\n",
          interrupt_signal_name(), totals.abandoned, totals.abandoned == 1 ? "" : "s", rest);
    case Ending::interrupted:
      return fmt::format("anydb: interrupted: {} key{} read but not processed{}\n", not_processed,
                         not_processed == 1 ? "" : "s", rest);
    case Ending::completed: break;
  }
  if (not_processed == 0) return {};
  return fmt::format("anydb: {} key{} not processed: no worker had a connection left\n",
                     not_processed, not_processed == 1 ? "" : "s");
}

void print_text_summary(const Shared& shared, const Totals& totals, Ending ending) {
  const BulkJob& job = shared.job;
  std::string text =
      fmt::format("anydb: {} keys in {:.2f} s ({:.0f} keys/s): {} created, {} existing\n",
                  totals.keys, totals.seconds, totals.rate, totals.created, totals.existing);
  std::string error_text = fmt::format("{} error{}", totals.errors, totals.errors == 1 ? "" : "s");
  if (totals.rejected > 0)
    error_text += fmt::format(" ({} failed key{}, {} rejected line{})", totals.failed,
                              totals.failed == 1 ? "" : "s", totals.rejected,
                              totals.rejected == 1 ? "" : "s");
  text += fmt::format(
      "anydb: {} conflict{} resolved, {} transient retr{}, {}; {} thread{}, {}, strategy {}, max "
      "RSS {}\n",
      shared.conflicts.load(), shared.conflicts.load() == 1 ? "" : "s", shared.retries.load(),
      shared.retries.load() == 1 ? "y" : "ies", error_text, job.threads,
      job.threads == 1 ? "" : "s",
      job.batch > 1 ? fmt::format("batch {}", job.batch) : std::string("no batching"), job.strategy,
      mib(totals.rss));
  text += reconnect_text(shared);
  text += ending_text(shared, totals, ending);
  print_block(stderr, text);
}

}  // namespace

void print_summary(const Shared& shared, double seconds, Ending ending,
                   const std::string& read_error) {
  const Totals totals = totals_of(shared, seconds, ending);
  if (is_json(shared.job.format))
    print_json_summary(shared, totals, ending, read_error);
  else
    print_text_summary(shared, totals, ending);
}

}  // namespace anydb::cli::bulk
