// anydb-bench: get-or-create workloads through anydb and through raw client code, side by side.
//
//   anydb-bench --backend sqlite|postgresql|mariadb [--db URI|env:NAME] [--threads N] [--keys N]
//               [--contended-keys N] [--batch N] [--repeat N] [--workloads a,b] [--strategies a,b]
//               [--vs-backend NAME --vs-db URI|env:NAME]
//
// Workloads (every one runs through anydb and through the raw driver, alternately, --repeat
// times; the table shows the median throughput of each and their ratio):
//   contended  the threads walk the same --contended-keys keys, each in its own order, on an
//              empty table: every key is fought over by every thread
//   bulk_sync  --keys keys, half of them already in the table, split between the threads
//   all_hits   --keys keys, all in the table: the read-only path
//   all_new    --keys keys, none in the table: every key created (not in the default list)
// Strategies: safe, upsert, batched (GetOrCreate::many, --batch keys per call). Where the
// dialect has no upsert (MariaDB), the upsert and batched (multi_row) rows print n/a.
//
// --vs-backend/--vs-db replace the raw driver by anydb through another backend on the same
// database (e.g. odbc through MariaDB Connector/ODBC), so that the table compares the two.

#include "bench.hpp"

#include <anydb/anydb.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <unistd.h>

namespace anydb::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view table_name = "bench";

struct Options {
  std::string backend = "sqlite";
  std::string db;  // default: a file in a fresh temporary directory (sqlite)
  unsigned threads = 4;
  std::size_t keys = 20'000;
  std::size_t contended_keys = 2'000;
  std::size_t batch = 200;
  int repeat = 3;         // at least this many runs per side and cell
  double min_time = 1.5;  // ... and at least this many seconds of measured work per side
  int max_repeat = 25;
  std::string only;        // "anydb" or "raw": run one side only (for profiling)
  std::size_t passes = 1;  // all_hits: walks over the keys per run
  std::vector<std::string> workloads{"contended", "bulk_sync", "all_hits"};
  std::vector<std::string> strategies{"safe", "upsert", "batched"};
  std::string vs_backend;  // with vs_db: the second side is anydb on this backend, not raw code
  std::string vs_db;
  std::string baseline = "raw";  // the second side: raw client code, "soci" or "soci-prepared"
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(
      stderr,
      "anydb-bench: %s\nusage: anydb-bench --backend sqlite|postgresql|mariadb [--db URI|env:NAME] "
      "[--threads N] [--keys N] [--contended-keys N] [--batch N] [--repeat N] [--min-time S] "
      "[--max-repeat N] "
      "[--workloads contended,bulk_sync,all_hits] [--strategies safe,upsert,batched] [--passes N] "
      "[--only anydb|raw] [--vs-backend NAME --vs-db URI|env:NAME] [--baseline "
      "raw|soci|soci-prepared]\n",
      why.c_str());
  std::exit(2);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(text.substr(start, comma - start));
  out.push_back(text.substr(start));
  return out;
}

// "env:NAME" is the value of the environment variable NAME.
std::string from_environment(const std::string& text) {
  if (!text.starts_with("env:")) return text;
  const char* value = std::getenv(text.substr(4).c_str());
  if (value == nullptr || *value == '\0')
    usage(text.substr(4) + " is not set (run under scripts/with-databases.sh)");
  return value;
}

std::size_t to_size(const std::string& flag, const std::string& value) {
  try {
    return static_cast<std::size_t>(std::stoull(value));
  } catch (const std::exception&) {
    usage("not a number: " + flag + " " + value);
  }
}

// The sizes and the pairing of flags; env: values resolved.
Options checked(Options options) {
  if (options.threads == 0 || options.keys == 0 || options.contended_keys == 0 ||
      options.batch == 0 || options.repeat < 1)
    usage("sizes must be at least 1");
  options.db = from_environment(options.db);
  options.vs_db = from_environment(options.vs_db);
  if (options.vs_backend.empty() != options.vs_db.empty())
    usage("--vs-backend and --vs-db go together");
  if (options.baseline != "raw" && options.baseline != "soci" &&
      options.baseline != "soci-prepared")
    usage("--baseline is raw, soci or soci-prepared");
  if (options.baseline != "raw" && !have_soci()) usage("anydb-bench was built without SOCI");
  return options;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") usage("help");
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    const auto number = [&] { return to_size(flag, value); };
    if (flag == "--backend")
      options.backend = value;
    else if (flag == "--db")
      options.db = value;
    else if (flag == "--threads")
      options.threads = static_cast<unsigned>(number());
    else if (flag == "--keys")
      options.keys = number();
    else if (flag == "--contended-keys")
      options.contended_keys = number();
    else if (flag == "--batch")
      options.batch = number();
    else if (flag == "--repeat")
      options.repeat = static_cast<int>(number());
    else if (flag == "--min-time")
      options.min_time = std::stod(value);
    else if (flag == "--max-repeat")
      options.max_repeat = static_cast<int>(number());
    else if (flag == "--workloads")
      options.workloads = split(value);
    else if (flag == "--strategies")
      options.strategies = split(value);
    else if (flag == "--only")
      options.only = value;
    else if (flag == "--passes")
      options.passes = number();
    else if (flag == "--vs-backend")
      options.vs_backend = value;
    else if (flag == "--vs-db")
      options.vs_db = value;
    else if (flag == "--baseline")
      options.baseline = value;
    else
      usage("unknown flag " + flag);
  }
  return checked(std::move(options));
}

// --- the anydb driver -------------------------------------------------------------------------

class AnydbSession final : public Session {
 public:
  AnydbSession(ConnectionPtr connection, const GetOrCreate& safe, const GetOrCreate* upsert)
      : connection_(std::move(connection)), safe_(safe), upsert_(upsert) {}

  bool safe(std::int64_t key, const std::string& name) override { return run(safe_, key, name); }
  bool upsert(std::int64_t key, const std::string& name) override {
    if (upsert_ == nullptr) throw std::logic_error("no upsert in this dialect");
    return run(*upsert_, key, name);
  }

  std::size_t batched(std::span<const std::int64_t> keys, const std::string& name) override {
    // Reused between calls, as a program that syncs in batches would.
    key_values_.clear();
    names_.clear();
    for (const std::int64_t key : keys) {
      key_values_.emplace_back(key);
      names_.emplace_back(name);
    }
    const GetOrCreateBatchResult result =
        safe_.many(*connection_, key_values_, names_, BatchOptions{BatchMethod::multi_row});
    retries_ += static_cast<std::uint64_t>(result.transient_retries);
    return result.created;
  }

  [[nodiscard]] std::uint64_t retries() const override { return retries_; }

 private:
  bool run(const GetOrCreate& operation, std::int64_t key, const std::string& name) {
    const Value values[2] = {Value(key), Value(name)};
    // One result kept across calls, as a loop that resolves keys one at a time should: its row's
    // storage is reused (the overload of operator() that fills a GetOrCreateResult).
    operation(*connection_, std::span<const Value>(values, 1),
              std::span<const Value>(values + 1, 1), result_);
    retries_ += static_cast<std::uint64_t>(result_.transient_retries);
    return result_.created;
  }

  ConnectionPtr connection_;
  const GetOrCreate& safe_;
  const GetOrCreate* upsert_;  // null where the dialect has no upsert
  std::uint64_t retries_ = 0;
  std::vector<Value> key_values_, names_;
  GetOrCreateResult result_;
};

GetOrCreate make_plan(const Dialect& dialect, Strategy strategy) {
  return GetOrCreate(dialect,
                     GetOrCreateSpec{std::string(table_name), {"k"}, {"name"}, strategy, {}});
}

// anydb through one backend, with the plans built for that backend's dialect.
class AnydbDriver final : public Driver {
 public:
  AnydbDriver(std::shared_ptr<Backend> backend, Uri uri, std::string name)
      : backend_(std::move(backend)),
        uri_(std::move(uri)),
        name_(std::move(name)),
        dialect_(connect(backend_, uri_)->dialect()),
        safe_(make_plan(dialect_, Strategy::safe)) {
    if (dialect_.upsert == Dialect::Upsert::on_conflict_do_nothing)
      upsert_.emplace(make_plan(dialect_, Strategy::upsert));
  }
  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] std::unique_ptr<Session> open() override {
    return std::make_unique<AnydbSession>(connect(backend_, uri_), safe_,
                                          upsert_ ? &*upsert_ : nullptr);
  }
  [[nodiscard]] const Dialect& dialect() const noexcept { return dialect_; }
  [[nodiscard]] const GetOrCreate& safe_plan() const noexcept { return safe_; }
  [[nodiscard]] const GetOrCreate* upsert_plan() const noexcept {
    return upsert_ ? &*upsert_ : nullptr;
  }

 private:
  std::shared_ptr<Backend> backend_;
  Uri uri_;
  std::string name_;
  Dialect dialect_;
  GetOrCreate safe_;
  std::optional<GetOrCreate> upsert_;
};

// --- workloads --------------------------------------------------------------------------------

struct Workload {
  std::string name;
  std::vector<std::int64_t> preload;                  // keys in the table before the run
  std::vector<std::vector<std::int64_t>> per_thread;  // each thread's keys, in its order
  std::size_t distinct = 0;                           // keys the run must end with in the table
  [[nodiscard]] std::size_t operations() const {
    std::size_t total = 0;
    for (const auto& keys : per_thread) total += keys.size();
    return total;
  }
};

Workload make_workload(const std::string& name, const Options& options) {
  Workload workload;
  workload.name = name;
  std::mt19937_64 random(42);
  if (name == "contended") {
    std::vector<std::int64_t> keys(options.contended_keys);
    std::iota(keys.begin(), keys.end(), std::int64_t{1});
    for (unsigned t = 0; t < options.threads; ++t) {
      std::shuffle(keys.begin(), keys.end(), random);
      workload.per_thread.push_back(keys);
    }
    workload.distinct = options.contended_keys;
  } else if (name == "bulk_sync" || name == "all_hits" || name == "all_new") {
    std::vector<std::int64_t> keys(options.keys);
    std::iota(keys.begin(), keys.end(), std::int64_t{1});
    for (const std::int64_t key : keys)
      if (name == "all_hits" || (name == "bulk_sync" && key % 2 == 0))
        workload.preload.push_back(key);
    std::shuffle(keys.begin(), keys.end(), random);
    workload.per_thread.resize(options.threads);
    for (std::size_t i = 0; i < keys.size(); ++i)
      workload.per_thread[i % options.threads].push_back(keys[i]);
    // A sync walks its input in order; the keys are sorted within each thread's share.
    for (auto& share : workload.per_thread) {
      std::sort(share.begin(), share.end());
      if (name == "all_hits") {
        const std::vector<std::int64_t> once = share;
        for (std::size_t pass = 1; pass < options.passes; ++pass)
          share.insert(share.end(), once.begin(), once.end());
      }
    }
    workload.distinct = options.keys;
  } else {
    usage("unknown workload " + name);
  }
  return workload;
}

class Table {
 public:
  Table(std::shared_ptr<Backend> backend, Uri uri)
      : backend_(std::move(backend)), uri_(std::move(uri)) {}

  void reset(const std::vector<std::int64_t>& preload) {
    ConnectionPtr connection = connect(backend_, uri_);
    const Dialect& dialect = connection->dialect();
    const std::string table = dialect.quote_identifier(table_name);
    connection->execute_script(fmt::format("DROP TABLE IF EXISTS {}", table));
    connection->execute_script(
        fmt::format("CREATE TABLE {} (id {}, k BIGINT NOT NULL UNIQUE, name TEXT)", table,
                    dialect.identity_column));
    const GetOrCreate load(
        dialect, GetOrCreateSpec{std::string(table_name), {"k"}, {"name"}, Strategy::safe, {}});
    std::vector<Value> keys, names;
    for (std::size_t i = 0; i < preload.size(); ++i) {
      keys.emplace_back(preload[i]);
      names.emplace_back("preloaded");
      if (keys.size() == 1000 || i + 1 == preload.size()) {
        (void)load.many(*connection, keys, names);
        keys.clear();
        names.clear();
      }
    }
    if (connection->backend_name() == "postgresql")
      connection->execute_script(fmt::format("ANALYZE {}", table));
  }

  std::int64_t count() {
    ConnectionPtr connection = connect(backend_, uri_);
    return connection
        ->execute(fmt::format("SELECT COUNT(*) FROM {}",
                              connection->dialect().quote_identifier(table_name)))
        .rows.at(0)[0]
        .as_int();
  }

 private:
  std::shared_ptr<Backend> backend_;
  Uri uri_;
};

struct RunResult {
  double seconds = 0;
  std::size_t created = 0;
  std::uint64_t retries = 0;
};

// One thread's share of a run; returns how many keys it created. Never inlined: run-benchmarks.sh
// counts instructions with callgrind --toggle-collect on this function.
[[gnu::noinline]] std::size_t work(Session& session, const std::vector<std::int64_t>& keys,
                                   const std::string& strategy, std::size_t batch,
                                   const std::string& name) {
  std::size_t created = 0;
  if (strategy == "batched") {
    for (std::size_t i = 0; i < keys.size(); i += batch)
      created += session.batched(
          std::span<const std::int64_t>(keys).subspan(i, std::min(batch, keys.size() - i)), name);
    return created;
  }
  const bool upsert = strategy == "upsert";
  for (const std::int64_t key : keys)
    created += (upsert ? session.upsert(key, name) : session.safe(key, name)) ? 1 : 0;
  return created;
}

RunResult run_once(Driver& driver, const Workload& workload, const std::string& strategy,
                   std::size_t batch) {
  const std::size_t threads = workload.per_thread.size();
  std::vector<std::unique_ptr<Session>> sessions;
  for (std::size_t t = 0; t < threads; ++t) sessions.push_back(driver.open());
  std::atomic<std::size_t> created{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;
  std::barrier start(static_cast<std::ptrdiff_t>(threads + 1));
  Clock::time_point begin;
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        Session& session = *sessions[t];
        const std::vector<std::int64_t>& keys = workload.per_thread[t];
        const std::string name = fmt::format("thread {}", t);
        std::size_t mine = 0;
        // Named, so that a profile can be restricted to the measured work (perf --comm).
        ::pthread_setname_np(::pthread_self(), "bench-worker");
        start.arrive_and_wait();
        try {
          mine = work(session, keys, strategy, batch, name);
        } catch (const std::exception& error) {
          failed.store(true);
          const std::lock_guard lock(failure_mutex);
          failure = error.what();
        }
        created.fetch_add(mine);
      });
    }
    begin = Clock::now();
    start.arrive_and_wait();
  }
  RunResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  if (failed.load())
    throw std::runtime_error(driver.name() + " " + strategy + " " + workload.name + ": " + failure);
  result.created = created.load();
  for (const auto& session : sessions) result.retries += session->retries();
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string cpu_model() {
  FILE* info = std::fopen("/proc/cpuinfo", "r");
  if (info == nullptr) return "unknown";
  char line[512];
  std::string model = "unknown";
  while (std::fgets(line, sizeof line, info) != nullptr) {
    const std::string text = line;
    if (text.starts_with("model name")) {
      model = text.substr(text.find(':') + 2);
      if (!model.empty() && model.back() == '\n') model.pop_back();
      break;
    }
  }
  std::fclose(info);
  return model;
}

Statements make_statements(const AnydbDriver& anydb, const std::string& backend) {
  const GetOrCreate& safe = anydb.safe_plan();
  Statements statements;
  statements.select = safe.select_sql();
  statements.insert = safe.insert_sql();
  if (const GetOrCreate* upsert = anydb.upsert_plan()) statements.upsert = upsert->insert_sql();
  statements.begin = backend == "sqlite"    ? "BEGIN IMMEDIATE"
                     : backend == "mariadb" ? "START TRANSACTION"
                                            : "BEGIN";
  statements.insert_rows = BatchOptions{}.max_parameters / 2;
  statements.select_rows = BatchOptions{}.max_parameters;
  if (anydb.upsert_plan() != nullptr && anydb.dialect().supports_returning) {
    statements.batch_select = [&safe](std::size_t rows) { return safe.batch_select_sql(rows); };
    statements.batch_insert = [&safe](std::size_t rows) { return safe.batch_insert_sql(rows); };
  }
  statements.round_rows = [](std::size_t keys, std::size_t max_rows) {
    return GetOrCreate::batch_statement_rows(keys, max_rows);
  };
  return statements;
}

// SOCI's PostgreSQL backend reads "key=value" pairs only (a URI becomes a wrong dbname): the
// hierarchical URI rewritten as libpq keywords; anything else is passed on as given.
std::string soci_connect_string(const Uri& uri, const std::string& target) {
  if (uri.shape() != Uri::Shape::hierarchical) return target;
  std::string out;
  const auto add = [&out](const char* key, const std::string& value) {
    if (!value.empty()) out += fmt::format("{}{}='{}'", out.empty() ? "" : " ", key, value);
  };
  add("host", uri.host());
  add("port", uri.port() ? std::to_string(*uri.port()) : "");
  add("user", uri.user());
  add("password", uri.password().value_or(""));
  add("dbname", uri.path().starts_with('/') ? uri.path().substr(1) : uri.path());
  return out;
}

// The second side of every row: the raw client code, or anydb through --vs-backend.
std::unique_ptr<Driver> make_baseline(PluginLoader& loader, const Options& options,
                                      const std::string& target, const Uri& uri,
                                      const Statements& statements) {
  if (!options.vs_backend.empty())
    return std::make_unique<AnydbDriver>(loader.load(options.vs_backend), Uri::parse(options.vs_db),
                                         options.vs_backend);
  if (options.baseline != "raw")
    return make_soci(options.backend,
                     options.backend == "sqlite" ? uri.path() : soci_connect_string(uri, target),
                     options.baseline == "soci-prepared");
  if (options.backend == "sqlite") return make_raw_sqlite(uri.path(), statements);
  if (options.backend == "postgresql") return make_raw_postgresql(target, statements);
  if (options.backend == "mariadb") return make_raw_mariadb(target, statements);
  usage("no raw driver for backend " + options.backend);
}

void print_header(const Options& options, const Backend& backend, const Uri& uri,
                  const std::string& side0, const std::string& side1) {
  const auto today = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", std::localtime(&today));
  std::printf("anydb-bench: %s %s; %s; %u cores (%s); %s\n", std::string(backend.name()).c_str(),
              backend.version().c_str(), uri.to_string().c_str(),
              std::thread::hardware_concurrency(), cpu_model().c_str(), date);
  std::printf(
      "threads %u, keys %zu, contended keys %zu, batch %zu; each figure is the median of at least "
      "%d runs "
      "and %.1f s of measured work (at most %d runs), %s and %s runs alternating; %s/%s is "
      "the median "
      "of the ratios of back-to-back pairs\n\n",
      options.threads, options.keys, options.contended_keys, options.batch, options.repeat,
      options.min_time, options.max_repeat, side0.c_str(), side1.c_str(), side0.c_str(),
      side1.c_str());
  std::printf(
      "| workload | strategy | ops per run | runs | %s ops/s | %s ops/s | %s/%s | retries "
      "%s/%s |\n",
      side0.c_str(), side1.c_str(), side0.c_str(), side1.c_str(), side0.c_str(), side1.c_str());
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);
}

struct Line {
  std::string workload, strategy;
  double anydb = 0, raw = 0;
};

// The two sides of every row (anydb, then raw code or anydb on --vs-backend) and their table.
struct Sides {
  Driver& first;
  Driver& second;
  Table& table;
};

// One run of one side on a freshly reset table. Reports a wrong outcome on stderr.
RunResult run_checked(Driver& driver, Table& table, const Workload& workload,
                      const std::string& strategy, std::size_t batch, bool& all_correct) {
  table.reset(workload.preload);
  const RunResult result = run_once(driver, workload, strategy, batch);
  const std::size_t expected_created = workload.distinct - workload.preload.size();
  const std::int64_t rows = table.count();
  if (result.created != expected_created || rows != static_cast<std::int64_t>(workload.distinct)) {
    std::fprintf(stderr,
                 "anydb-bench: %s %s %s: created %zu (expected %zu), %lld rows (expected %zu)\n",
                 driver.name().c_str(), workload.name.c_str(), strategy.c_str(), result.created,
                 expected_created, static_cast<long long>(rows), workload.distinct);
    all_correct = false;
  }
  return result;
}

// One row of the table: both sides alternately, until each has enough runs and measured time.
Line measure(const Options& options, const Sides& sides, const Workload& workload,
             const std::string& strategy, bool& all_correct) {
  std::vector<double> rates[2];
  std::uint64_t retries[2] = {0, 0};
  double spent[2] = {0, 0};
  const auto enough = [&](int runs) {
    if (runs < options.repeat) return false;
    if (runs >= std::max(options.repeat, options.max_repeat)) return true;
    const bool anydb_done = options.only == "raw" || spent[0] >= options.min_time;
    const bool raw_done = options.only == "anydb" || spent[1] >= options.min_time;
    return anydb_done && raw_done;
  };
  for (int r = 0; !enough(r); ++r) {
    for (int turn = 0; turn < 2; ++turn) {
      // Alternate which goes first, so that neither always meets a warmer cache.
      const int which = (r + turn) % 2;
      if ((options.only == "anydb" && which != 0) || (options.only == "raw" && which != 1)) {
        rates[which].push_back(1.0);
        continue;
      }
      Driver& driver = which == 0 ? sides.first : sides.second;
      const RunResult result =
          run_checked(driver, sides.table, workload, strategy, options.batch, all_correct);
      rates[which].push_back(static_cast<double>(workload.operations()) / result.seconds);
      retries[which] += result.retries;
      spent[which] += result.seconds;
    }
  }
  Line line{workload.name, strategy, median(rates[0]), median(rates[1])};
  // The ratio is the median of the ratios of runs made back to back, which share whatever
  // else the machine was doing at the time; it is steadier than a ratio of medians.
  std::vector<double> pair_ratios;
  for (std::size_t i = 0; i < std::min(rates[0].size(), rates[1].size()); ++i)
    pair_ratios.push_back(rates[0][i] / rates[1][i]);
  std::printf("| %s | %s | %zu | %zu | %.0f | %.0f | %.2f | %llu/%llu |\n", line.workload.c_str(),
              line.strategy.c_str(), workload.operations(), rates[0].size(), line.anydb, line.raw,
              median(pair_ratios), static_cast<unsigned long long>(retries[0]),
              static_cast<unsigned long long>(retries[1]));
  std::fflush(stdout);
  return line;
}

// The strategy comparisons the targets are about. `baseline` names the second side.
void print_strategy_ratios(const std::vector<Line>& lines, const std::string& baseline) {
  const auto rate_of = [&](const std::string& workload, const std::string& strategy,
                           bool raw_side) {
    for (const auto& line : lines)
      if (line.workload == workload && line.strategy == strategy)
        return raw_side ? line.raw : line.anydb;
    return 0.0;
  };
  std::printf("\n");
  for (const std::string workload : {"bulk_sync", "contended", "all_hits"}) {
    const double safe_rate = rate_of(workload, "safe", false);
    if (safe_rate <= 0) continue;
    for (const std::string strategy : {"upsert", "batched"}) {
      const double rate = rate_of(workload, strategy, false);
      if (rate > 0)
        std::printf("%s: %s / safe = %.2fx (anydb), %.2fx (%s)\n", workload.c_str(),
                    strategy.c_str(), rate / safe_rate,
                    rate_of(workload, strategy, true) / rate_of(workload, "safe", true),
                    baseline.c_str());
    }
    // The fastest per-key strategy through anydb against the baseline's safe loop (the medians
    // of the two rows; the pair ratios above are steadier for one strategy).
    const double best = std::max(safe_rate, rate_of(workload, "upsert", false));
    const bool upsert_wins = best > safe_rate;
    std::printf("%s: fastest anydb per-key (%s) / %s safe = %.2fx\n", workload.c_str(),
                upsert_wins ? "upsert" : "safe", baseline.c_str(),
                best / rate_of(workload, "safe", true));
  }
}

int run(const Options& options) {
  std::filesystem::path scratch;
  std::string target = options.db;
  if (options.backend == "sqlite" && target.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "anydb-bench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    scratch = pattern;
    target = (scratch / "bench.sqlite3").string();
  }
  if (target.empty()) usage("--db is required for " + options.backend);

  PluginLoader loader;
  const std::shared_ptr<Backend> backend = loader.load(options.backend);
  const Uri uri = Uri::parse(target);
  AnydbDriver anydb(backend, uri, options.vs_backend.empty() ? "anydb" : options.backend);
  const Statements statements = make_statements(anydb, options.backend);
  const std::unique_ptr<Driver> raw = make_baseline(loader, options, target, uri, statements);
  const std::string side0 = anydb.name(),
                    side1 = options.vs_backend.empty() ? options.baseline : raw->name();
  const bool has_upsert = anydb.upsert_plan() != nullptr;
  Table table(backend, uri);

  print_header(options, *backend, uri, side0, side1);

  std::vector<Line> lines;
  bool all_correct = true;
  const Sides sides{anydb, *raw, table};
  for (const auto& workload_name : options.workloads) {
    const Workload workload = make_workload(workload_name, options);
    for (const auto& strategy : options.strategies) {
      if (strategy != "safe" && strategy != "upsert" && strategy != "batched")
        usage("unknown strategy " + strategy);
      if (options.baseline != "raw" && strategy == "batched") {
        std::printf("| %s | batched | n/a (no batched SOCI loop) | | | | | |\n",
                    workload.name.c_str());
        continue;
      }
      if (!has_upsert && strategy != "safe") {
        // upsert needs ON CONFLICT DO NOTHING, batched (multi_row) that and RETURNING.
        std::printf("| %s | %s | n/a (no upsert on %s) | | | | | |\n", workload.name.c_str(),
                    strategy.c_str(), std::string(backend->name()).c_str());
        continue;
      }
      lines.push_back(measure(options, sides, workload, strategy, all_correct));
    }
  }
  print_strategy_ratios(lines, side1);
  if (!scratch.empty()) std::filesystem::remove_all(scratch);
  return all_correct ? 0 : 1;
}

}  // namespace
}  // namespace anydb::bench

int main(int argc, char** argv) {
  try {
    return anydb::bench::run(anydb::bench::parse(argc, argv));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "anydb-bench: %s\n", error.what());
    return 1;
  }
}
