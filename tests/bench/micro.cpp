// anydb-microbench: Google Benchmark micro-benchmarks of anydb's fixed costs.
//
//   anydb-microbench [--benchmark_filter=...]       (PostgreSQL cases need ANYDB_TEST_PG_URI)
//
// - plugin load + connect: a fresh PluginLoader loads the plugin (dlopen, ABI check, factory)
//   and opens a connection; everything is released at the end of each iteration, so the next
//   one loads the library again;
// - URI parsing;
// - the statement-cache hit path (Connection::prepare of a cached text), and a cached
//   statement executed through anydb next to the same statement through sqlite3 directly;
// - a get-or-create hit (one SELECT) through anydb and through sqlite3 directly.

#include <anydb/anydb.hpp>

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#ifdef ANYDB_BENCH_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include <cstdlib>
#include <string>

namespace {

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}
// TCP with a password (SCRAM-SHA-256: both sides run 4096 rounds of PBKDF2 per connection).
const char* pg_uri() { return environment("ANYDB_TEST_PG_URI"); }
// The same database over the Unix socket, trusted: what connecting costs without the KDF.
const char* pg_socket() { return environment("ANYDB_TEST_PG_CONNINFO"); }

void plugin_load_and_connect(benchmark::State& state, const char* backend, const char* uri) {
  if (uri == nullptr) {
    state.SkipWithError("ANYDB_TEST_PG_URI is not set");
    return;
  }
  const anydb::Uri parsed = anydb::Uri::parse(uri);
  for (auto _ : state) {
    anydb::PluginLoader loader;
    const auto plugin = loader.load(backend);
    anydb::ConnectionPtr connection = anydb::connect(plugin, parsed);
    benchmark::DoNotOptimize(connection.get());
  }
}

void BM_PluginLoadAndConnect_sqlite(benchmark::State& state) {
  plugin_load_and_connect(state, "sqlite", ":memory:");
}
BENCHMARK(BM_PluginLoadAndConnect_sqlite)->Unit(benchmark::kMillisecond);

void BM_PluginLoadAndConnect_postgresql(benchmark::State& state) {
  plugin_load_and_connect(state, "postgresql", pg_uri());
}
BENCHMARK(BM_PluginLoadAndConnect_postgresql)->Unit(benchmark::kMillisecond);

void BM_PluginLoadAndConnect_postgresql_socket(benchmark::State& state) {
  plugin_load_and_connect(state, "postgresql", pg_socket());
}
BENCHMARK(BM_PluginLoadAndConnect_postgresql_socket)->Unit(benchmark::kMillisecond);

#ifdef ANYDB_BENCH_HAVE_LIBPQ
// libpq alone, for comparison: the part of the above that is the database's, not anydb's.
void raw_connect(benchmark::State& state, const char* conninfo) {
  if (conninfo == nullptr) {
    state.SkipWithError("ANYDB_TEST_PG_URI / ANYDB_TEST_PG_CONNINFO is not set");
    return;
  }
  for (auto _ : state) {
    PGconn* conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) state.SkipWithError(PQerrorMessage(conn));
    PQfinish(conn);
  }
}
void BM_RawConnect_postgresql(benchmark::State& state) { raw_connect(state, pg_uri()); }
BENCHMARK(BM_RawConnect_postgresql)->Unit(benchmark::kMillisecond);
void BM_RawConnect_postgresql_socket(benchmark::State& state) { raw_connect(state, pg_socket()); }
BENCHMARK(BM_RawConnect_postgresql_socket)->Unit(benchmark::kMillisecond);
#endif

// The plugin already loaded: what connect() alone costs.
void BM_Connect_postgresql(benchmark::State& state) {
  const char* uri = pg_uri();
  if (uri == nullptr) {
    state.SkipWithError("ANYDB_TEST_PG_URI is not set");
    return;
  }
  anydb::PluginLoader loader;
  const auto plugin = loader.load("postgresql");
  const anydb::Uri parsed = anydb::Uri::parse(uri);
  for (auto _ : state) benchmark::DoNotOptimize(anydb::connect(plugin, parsed).get());
}
BENCHMARK(BM_Connect_postgresql)->Unit(benchmark::kMillisecond);

void BM_UriParse_postgresql(benchmark::State& state) {
  const std::string text =
      "postgresql://app:s3cr%40t@db.example.org:5432/"
      "inventory?sslmode=require&isolation=repeatable_read";
  for (auto _ : state) benchmark::DoNotOptimize(anydb::Uri::parse(text));
}
BENCHMARK(BM_UriParse_postgresql);

void BM_UriParse_sqlite(benchmark::State& state) {
  const std::string text = "sqlite:///var/lib/app/data.db?busy_timeout=10000&journal_mode=wal";
  for (auto _ : state) benchmark::DoNotOptimize(anydb::Uri::parse(text));
}
BENCHMARK(BM_UriParse_sqlite);

struct MemoryDatabase {
  anydb::PluginLoader loader;
  std::shared_ptr<anydb::Backend> plugin = loader.load("sqlite");
  anydb::ConnectionPtr connection = anydb::connect(plugin, anydb::Uri::parse(":memory:"));
  MemoryDatabase() {
    connection->execute_script(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k BIGINT NOT NULL UNIQUE, name TEXT)");
    connection->execute_script("INSERT INTO t (k, name) VALUES (1, 'one'), (2, 'two')");
  }
};

void BM_StatementCacheHit(benchmark::State& state) {
  MemoryDatabase db;
  // A few statements in the cache, so that the lookup is not trivially the first entry.
  for (int i = 0; i < 8; ++i) (void)db.connection->prepare("SELECT " + std::to_string(i));
  const std::string sql = "SELECT * FROM \"t\" WHERE \"k\" = ?";
  (void)db.connection->prepare(sql);
  for (auto _ : state) benchmark::DoNotOptimize(&db.connection->prepare(sql));
}
BENCHMARK(BM_StatementCacheHit);

void BM_CachedSelect_anydb(benchmark::State& state) {
  MemoryDatabase db;
  const std::string sql = "SELECT * FROM \"t\" WHERE \"k\" = ?";
  const anydb::Value key(std::int64_t{1});
  for (auto _ : state)
    benchmark::DoNotOptimize(db.connection->execute(sql, std::span<const anydb::Value>(&key, 1)));
}
BENCHMARK(BM_CachedSelect_anydb);

void BM_CachedSelect_raw(benchmark::State& state) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                  nullptr);
  sqlite3_exec(db,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, k BIGINT NOT NULL UNIQUE, name TEXT);"
               "INSERT INTO t (k, name) VALUES (1, 'one'), (2, 'two')",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v3(db, "SELECT * FROM \"t\" WHERE \"k\" = ?", -1, SQLITE_PREPARE_PERSISTENT,
                     &stmt, nullptr);
  for (auto _ : state) {
    sqlite3_bind_int64(stmt, 1, 1);
    std::int64_t id = 0, k = 0;
    std::string name;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      id = sqlite3_column_int64(stmt, 0);
      k = sqlite3_column_int64(stmt, 1);
      name.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)),
                  static_cast<std::size_t>(sqlite3_column_bytes(stmt, 2)));
    }
    sqlite3_reset(stmt);
    benchmark::DoNotOptimize(id + k);
    benchmark::DoNotOptimize(name.data());
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
}
BENCHMARK(BM_CachedSelect_raw);

void BM_GetOrCreateHit_anydb(benchmark::State& state) {
  MemoryDatabase db;
  const anydb::GetOrCreate operation(
      db.connection->dialect(),
      anydb::GetOrCreateSpec{"t", {"k"}, {"name"}, anydb::Strategy::safe, {}});
  const anydb::Value values[2] = {anydb::Value(std::int64_t{2}), anydb::Value("x")};
  for (auto _ : state)
    benchmark::DoNotOptimize(operation(*db.connection, std::span<const anydb::Value>(values, 1),
                                       std::span<const anydb::Value>(values + 1, 1)));
}
BENCHMARK(BM_GetOrCreateHit_anydb);

}  // namespace

BENCHMARK_MAIN();
