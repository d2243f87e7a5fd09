# User-facing switches. Backends are tri-state: ON fails the configure step when the client
# library is missing, AUTO builds the backend only when it is found, OFF skips it.
set(ANYDB_WITH_SQLITE ON CACHE STRING "Build the SQLite backend (ON, AUTO, OFF)")
set(ANYDB_WITH_POSTGRESQL AUTO CACHE STRING "Build the PostgreSQL backend (ON, AUTO, OFF)")
set(ANYDB_WITH_ODBC AUTO CACHE STRING "Build the ODBC backend (ON, AUTO, OFF)")
set(ANYDB_WITH_MARIADB AUTO CACHE STRING "Build the MariaDB/MySQL backend on Connector/C (ON, AUTO, OFF)")
foreach(option IN ITEMS ANYDB_WITH_SQLITE ANYDB_WITH_POSTGRESQL ANYDB_WITH_ODBC ANYDB_WITH_MARIADB)
  set_property(CACHE ${option} PROPERTY STRINGS ON AUTO OFF)
endforeach()

option(ANYDB_BUILD_TESTS "Build the test suites" ON)
# Parts of the test build that the sanitizer stages of scripts/run-tests.sh never run: they
# switch them off to spend their build time on what they test.
option(ANYDB_BUILD_BENCHMARKS "With the tests: build the benchmark programs (tests/bench)" ON)
option(ANYDB_BUILD_TOPOLOGY_TESTS
       "With the tests: build the cluster, pooler and failover tests (label topology)" ON)
option(ANYDB_BUILD_FUZZERS "Build the libFuzzer targets (clang only; instruments everything)" OFF)
option(ANYDB_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
set(ANYDB_SANITIZE "" CACHE STRING "Sanitizer build: '', 'address' (ASan+UBSan) or 'thread' (TSan)")
set_property(CACHE ANYDB_SANITIZE PROPERTY STRINGS "" address thread)
