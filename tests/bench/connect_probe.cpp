// The first connection of a fresh process, for run-benchmarks.sh, which times whole processes
// (exec, dynamic loading, connect, exit). Built twice:
//
//   anydb-connect-probe BACKEND URI   links libanydb only; loads the plugin by name, connects
//   raw-pq-connect-probe CONNINFO     links libpq only; PQconnectdb
//   raw-pq-cxx-connect-probe CONNINFO the same from a C++ program: libpq and the C++ runtime
//                                     (std::string), as in any C++ client of libpq
//
// With no connection argument ("-") either one only starts and exits: the floor of the process
// with its own libraries (anydb: and the plugin). `anydb-connect-probe - -` loads no plugin
// either: libanydb and the C++ runtime alone. ANYDB_PROBE_PRELOAD=LIBRARY makes
// anydb-connect-probe dlopen that library with lazy binding before it loads the plugin: what
// preloading libpq at start-up saves.

#ifdef ANYDB_PROBE_RAW_PQ
#include <libpq-fe.h>

#include <string>
#else
#include <anydb/anydb.hpp>

#include <cstdlib>

#include <dlfcn.h>
#endif

#include <cstdio>
#include <exception>
#include <string_view>

int main(int argc, char** argv) {
#ifdef ANYDB_PROBE_RAW_PQ
  if (argc != 2) {
    std::fprintf(stderr, "usage: raw-pq-connect-probe CONNINFO|-\n");
    return 2;
  }
#ifdef ANYDB_PROBE_CXX_RUNTIME
  const std::string conninfo_text(argv[1]);  // std::string's code lives in libstdc++.so
  const char* conninfo = conninfo_text.c_str();
#else
  const char* conninfo = argv[1];
#endif
  if (std::string_view(conninfo) == "-") return 0;
  PGconn* connection = PQconnectdb(conninfo);
  const bool ok = PQstatus(connection) == CONNECTION_OK;
  if (!ok) std::fprintf(stderr, "raw-pq-connect-probe: %s", PQerrorMessage(connection));
  PQfinish(connection);
  return ok ? 0 : 1;
#else
  if (argc != 3) {
    std::fprintf(stderr, "usage: anydb-connect-probe BACKEND|- URI|-\n");
    return 2;
  }
  if (std::string_view(argv[1]) == "-") return 0;
  if (const char* preload = std::getenv("ANYDB_PROBE_PRELOAD"); preload != nullptr && *preload) {
    if (dlopen(preload, RTLD_LAZY | RTLD_LOCAL) == nullptr) {
      std::fprintf(stderr, "anydb-connect-probe: %s\n", dlerror());
      return 1;
    }
  }
  try {
    anydb::PluginLoader loader;
    const auto backend = loader.load(argv[1]);
    if (std::string_view(argv[2]) == "-") return 0;
    const anydb::ConnectionPtr connection = anydb::connect(backend, anydb::Uri::parse(argv[2]));
    return connection ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "anydb-connect-probe: %s\n", error.what());
    return 1;
  }
#endif
}
