// Runs N cached executions of one SELECT on an in-memory SQLite database through anydb, with no
// trace hook set; tests/bench/trace-overhead.sh counts its instructions per statement under
// callgrind against two builds (before and after a change to the per-statement path). Uses
// only API that predates tracing, so that it compiles against both.
#include <anydb/anydb.hpp>

#include <cstdint>
#include <cstdlib>
#include <span>

int main(int argc, char** argv) {
  const long statements = argc > 1 ? std::atol(argv[1]) : 0;
  anydb::PluginLoader loader;
  const anydb::ConnectionPtr connection =
      anydb::connect(loader.load("sqlite"), anydb::Uri::parse("sqlite::memory:"));
  connection->execute_script(
      "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'x')");
  const anydb::Value key(std::int64_t{1});
  for (long i = 0; i < statements; ++i)
    (void)connection->execute("SELECT v FROM t WHERE k = ?",
                              std::span<const anydb::Value>(&key, 1));
  return 0;
}
