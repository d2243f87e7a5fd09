#include "get_or_create_command.hpp"

#include "bulk.hpp"
#include "database.hpp"
#include "interrupt.hpp"
#include "key_runner.hpp"
#include "output.hpp"
#include "usage.hpp"

#include <anydb/backend.hpp>
#include <anydb/error.hpp>
#include <anydb/loader.hpp>
#include <anydb/trace.hpp>
#include <anydb/transaction.hpp>

#include <fmt/format.h>

#include <thread>

namespace anydb::cli {

namespace {

constexpr std::string_view demo_table = "mymodel";
constexpr std::string_view demo_key = "my_id";
// Without --threads every key gets a thread of its own; past this many, ask for a pool.
constexpr std::size_t max_threads_per_key = 1024;
constexpr unsigned max_pool_threads = 1024;
constexpr std::size_t max_batch = 100'000;

void create_demo_table(Connection& connection) {
  const Dialect& dialect = connection.dialect();
  connection.execute_script(
      fmt::format("CREATE TABLE IF NOT EXISTS {} (id {}, {} INTEGER NOT NULL UNIQUE, name TEXT)",
                  dialect.quote_identifier(demo_table), dialect.identity_column,
                  dialect.quote_identifier(demo_key)));
}

// A statement that reads no rows but names the table and every column, so that a missing one
// is reported once, before any thread starts.
void check_columns_exist(Connection& connection, const GetOrCreateSpec& spec) {
  const Dialect& dialect = connection.dialect();
  std::string columns;
  for (const auto* list : {&spec.key_columns, &spec.default_columns})
    for (const auto& column : *list)
      columns += (columns.empty() ? "" : ", ") + dialect.quote_identifier(column);
  (void)connection.execute(
      fmt::format("SELECT {} FROM {} WHERE 1 = 0", columns, dialect.quote_identifier(spec.table)));
}

// One --set: a constant (COL=VALUE), or, in bulk mode, a bare COL whose values are the next
// tab-separated field of each input line.
struct SetColumn {
  std::string column;
  std::optional<Value> constant;
};

// The --set flags, in order; a column given twice is refused by GetOrCreate.
std::vector<SetColumn> parse_assignments(const std::vector<std::string>& assignments, bool bulk) {
  std::vector<SetColumn> out;
  for (const auto& assignment : assignments) {
    const std::size_t equals = assignment.find('=');
    if (equals == std::string::npos && bulk && !assignment.empty()) {
      out.push_back(SetColumn{assignment, std::nullopt});
      continue;
    }
    if (equals == std::string::npos || equals == 0)
      usage_error(fmt::format(
          "--set expects COL=VALUE, got '{}'{}", printable(assignment),
          bulk || equals == 0 ? "" : " (a bare column name takes its values from --keys-from)"));
    out.push_back(SetColumn{assignment.substr(0, equals), Value(assignment.substr(equals + 1))});
  }
  return out;
}

unsigned default_bulk_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : std::min(cores, max_pool_threads);
}

// Refuses flags that contradict each other, before anything is loaded or opened.
void check_option_combinations(const GetOrCreateOptions& options, bool bulk) {
  if (bulk && !options.keys.empty())
    usage_error("give keys either as KEY arguments or with --keys-from, not both");
  if (!bulk && options.keys.empty())
    usage_error("no KEY given (give keys as arguments or with --keys-from FILE)");
  if (!bulk && options.batch != 1) usage_error("--batch needs --keys-from");
  if (!bulk && options.per_key) usage_error("--per-key needs --keys-from");
  if (!bulk && options.integer_keys) usage_error("--integer-keys needs --keys-from");
  if (bulk && options.batch > 1 && options.strategy == "naive")
    usage_error("--batch has no naive strategy: a batch is always protected (use safe or upsert)");
  for (std::size_t i = 0; i < options.keys.size(); ++i)
    if (options.keys[i].empty())
      usage_error(fmt::format("KEY {} is empty; an empty key is never stored", i + 1));
  if (options.threads == 0 && options.keys.size() > max_threads_per_key)
    usage_error(fmt::format("{} keys would start {} threads; use --threads N for a worker pool",
                            options.keys.size(), options.keys.size()));
  if (options.threads != 0 && options.database.dbs.size() > options.threads)
    usage_error(
        fmt::format("--threads {} is fewer than the {} --db given: every server needs a "
                    "thread",
                    options.threads, options.database.dbs.size()));
  if (options.table.empty() && !options.key_column.empty() && options.key_column != demo_key)
    usage_error("--key needs --table (the demo table's key is my_id)");
  if (!options.table.empty() && options.key_column.empty())
    usage_error("--table needs --key COL (a column with a unique constraint)");
}

// One positional key: in a transaction of its own unless the strategy is naive.
GetOrCreateResult get_or_create_key(const GetOrCreate& get_or_create, Connection& connection,
                                    const std::string& key,
                                    const std::vector<Value>& default_values) {
  const Value key_value(key);
  const std::span<const Value> key_values(&key_value, 1);
  if (get_or_create.spec().strategy == Strategy::naive)
    return get_or_create(connection, key_values, default_values);
  // Each key is one unit of work in a transaction of its own, as a management command that
  // syncs records would write it. The runner re-runs the unit when a transient error ends it —
  // including a lost race whose winner the snapshot cannot see.
  TransactionRunStats stats;
  int conflicts = 0;
  GetOrCreateResult result = run_transaction(
      connection,
      [&](Connection& in_transaction) {
        GetOrCreateResult attempt = get_or_create(in_transaction, key_values, default_values);
        conflicts += attempt.conflicts;
        return attempt;
      },
      get_or_create.spec().retry, AccessMode::read_write, &stats);
  result.attempts = stats.attempts;
  result.transient_retries = stats.transient_retries;
  result.conflicts = conflicts;
  return result;
}

}  // namespace

CLI::App* add_get_or_create_command(CLI::App& app, GetOrCreateOptions& options) {
  CLI::App* command = app.add_subcommand(
      "get-or-create",
      "Get or create one row per KEY, concurrently; prints 'KEY True' for the call that created "
      "the row and 'KEY False' for the others");
  command->add_option("--backend", options.database.backend,
                      "Backend name (sqlite, postgresql, odbc, ...) or path to a plugin file; "
                      "default: the one the URI's scheme names (a plain path: sqlite)");
  command
      ->add_option("--db", options.database.dbs,
                   "Database URI (postgresql://..., mariadb://..., odbc:..., sqlite:..., file:...) "
                   "or a SQLite file path; default: $DATABASE_URL, else anydb.sqlite3 (every "
                   "thread opens its own connection, so :memory: gives each an empty database). "
                   "Repeatable: threads are spread over the servers round-robin")
      ->type_name("URI")
      ->allow_extra_args(false);
  command->add_flag("--trace", options.database.trace,
                    "Print one line per statement to stderr: SQL, parameter types (never values), "
                    "duration, rows or error (also ANYDB_TRACE=1)");
  command
      ->add_option("--plugin-dir", options.database.plugin_dirs,
                   "Search this directory for plugins first (repeatable)")
      ->allow_extra_args(false);
  command->add_option("--table", options.table,
                      "Table to use (must exist); default: the demo table 'mymodel', created "
                      "when missing");
  command->add_option("--key", options.key_column,
                      "Key column, unique in the table (default with the demo table: my_id)");
  command
      ->add_option("--set", options.set_assignments,
                   "COL=VALUE stored only when the row is created (repeatable); with "
                   "--keys-from, a bare COL takes its value from the next tab-separated field")
      ->allow_extra_args(false);
  command
      ->add_option("--strategy", options.strategy,
                   "safe, upsert, or naive (unprotected, shows the race)")
      ->check(CLI::IsMember({"safe", "upsert", "naive"}))
      ->type_name("STRATEGY")
      ->capture_default_str();
  command
      ->add_option("--isolation", options.isolation,
                   "Isolation level of every transaction: read_committed, repeatable_read or "
                   "serializable (refused when the backend cannot provide it)")
      ->type_name("LEVEL");
  command
      ->add_option("--threads", options.threads,
                   "Use a pool of N worker threads instead of one thread per key (with "
                   "--keys-from the default is the number of cores)")
      ->check(whole_number(1, max_pool_threads))
      ->type_name("N");
  command
      ->add_option("--keys-from", options.keys_from,
                   "Bulk mode: read keys from FILE (- for stdin), one per line, with optional "
                   "tab-separated fields for bare --set columns; prints a summary")
      ->type_name("FILE|-");
  command
      ->add_option(
          "--batch", options.batch,
          "Bulk mode: resolve N keys per batched get-or-create (one transaction per batch)")
      ->check(whole_number(1, max_batch))
      ->type_name("N")
      ->capture_default_str();
  command->add_flag("--integer-keys", options.integer_keys,
                    "Bulk mode: the key column holds integers, so keys spelt as integers are sent "
                    "as integers (always so for the demo table)");
  command->add_flag("--per-key", options.per_key,
                    "Bulk mode: also print one line per key (KEY True/False, or JSON objects)");
  command
      ->add_option("--max-attempts", options.max_attempts,
                   "Attempts per key when transient errors (busy, deadlock, serialization) occur")
      ->check(whole_number(1, 1000))
      ->type_name("N")
      ->capture_default_str();
  command
      ->add_option("--reconnect-for", options.reconnect_for_seconds,
                   "When a connection breaks (say, the server restarts), keep reconnecting for "
                   "up to this many seconds and run the key (or the --keys-from batch) again")
      ->check(whole_number(0, 3600))
      ->type_name("SECONDS");
  add_format_option(*command, options.format);
  command->add_option("KEY", options.keys,
                      "Key values; repeat a key to make threads race for it (or use --keys-from)");
  return command;
}

int run_get_or_create(const GetOrCreateOptions& options) {
  const bool bulk = !options.keys_from.empty();
  check_option_combinations(options, bulk);

  PluginLoader loader(plugin_loader_options(options.database.plugin_dirs));
  const std::vector<DatabaseChoice> databases = choose_databases(options.database, loader);
  const std::optional<IsolationLevel> isolation =
      options.isolation.empty() ? std::nullopt
                                : std::optional(parse_isolation_level(options.isolation));
  const bool trace = options.database.trace || trace_requested_by_environment();
  // Server `server` of the --db list (round-robin: the caller passes a thread's number).
  const auto open_connection = [&](std::size_t server) {
    const DatabaseChoice& database = databases[server % databases.size()];
    ConnectionPtr connection = connect(database.backend, database.uri);
    if (trace) connection->set_trace_hook(trace_to_stderr());
    if (isolation) connection->set_isolation_level(*isolation);
    return connection;
  };

  // One connection to each server up front: an unreachable database, a refused isolation
  // level, a missing table or a bad column fails here, once, as a set-up error, instead of once
  // per key.
  std::vector<ConnectionPtr> probes;
  for (std::size_t server = 0; server < databases.size(); ++server)
    probes.push_back(open_connection(server));
  const bool demo = options.table.empty();
  if (demo)
    for (const ConnectionPtr& probe : probes) create_demo_table(*probe);

  const std::vector<SetColumn> set_columns = parse_assignments(options.set_assignments, bulk);
  GetOrCreateSpec spec;
  spec.table = demo ? std::string(demo_table) : options.table;
  spec.key_columns = {demo ? std::string(demo_key) : options.key_column};
  std::vector<Value> default_values;
  std::vector<std::optional<Value>> default_sources;
  for (const auto& set : set_columns) {
    spec.default_columns.push_back(set.column);
    if (set.constant) default_values.push_back(*set.constant);
    default_sources.push_back(set.constant);
  }
  spec.strategy = parse_strategy(options.strategy);
  spec.retry.max_attempts = options.max_attempts;
  const GetOrCreate get_or_create(probes.front()->dialect(), std::move(spec));
  for (const ConnectionPtr& probe : probes) check_columns_exist(*probe, get_or_create.spec());
  probes.clear();

  if (bulk) {
    BulkJob job;
    job.operation = &get_or_create;
    job.connect = open_connection;
    for (const DatabaseChoice& database : databases)
      job.servers.push_back(database.uri.to_string());
    job.default_sources = std::move(default_sources);
    job.source = options.keys_from;
    job.threads =
        options.threads != 0
            ? options.threads
            : std::max<unsigned>(default_bulk_threads(), static_cast<unsigned>(databases.size()));
    job.batch = options.batch;
    job.per_key = options.per_key;
    job.integer_keys = demo || options.integer_keys;
    job.format = options.format;
    job.strategy = options.strategy;
    job.reconnect_for = std::chrono::seconds(options.reconnect_for_seconds);
    return run_bulk(job);
  }

  const InterruptGuard interrupt_guard;
  const KeyRunTotals totals = run_keys(
      options.keys, options.threads, open_connection,
      [&](Connection& connection, const std::string& key) {
        return get_or_create_key(get_or_create, connection, key, default_values);
      },
      [&](const KeyOutcome& outcome) { print_outcome(outcome, options.format); },
      std::chrono::seconds(options.reconnect_for_seconds));
  if (totals.interrupted) {
    print_error_line(fmt::format("anydb: interrupted by {}: {} of {} key{} done, {} not started",
                                 interrupt_signal_name(), totals.done, options.keys.size(),
                                 options.keys.size() == 1 ? "" : "s", totals.not_started));
    return interrupt_exit_status();
  }
  return totals.failed == 0 ? exit_ok : exit_key_failed;
}

}  // namespace anydb::cli
