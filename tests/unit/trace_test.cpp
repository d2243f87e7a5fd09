// format_trace_line(): one line per event, values shown only by type and size.
#include <anydb/error.hpp>
#include <anydb/trace.hpp>

#include "unit_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace {

using anydb_test::Contains;
using anydb_test::Lacks;

anydb::TraceEvent event(std::string_view sql, std::span<const anydb::Value> params) {
  anydb::TraceEvent out;
  out.backend = "postgresql";
  out.operation = "execute";
  out.sql = sql;
  out.params = params;
  out.duration = std::chrono::microseconds(1234);
  return out;
}

TEST(TraceLine, ShowsSqlDurationRowsAndParameterTypesOnly) {
  const std::vector<anydb::Value> params{anydb::Value(std::string("hunter2")),
                                         anydb::Value(std::int64_t{987654321}), anydb::Value(),
                                         anydb::Value(2.5), anydb::Value(anydb::Blob(3))};
  anydb::TraceEvent e = event("SELECT *\n  FROM \"t\"\tWHERE k = $1", params);
  e.rows_returned = 1;
  const std::string line = anydb::format_trace_line(e);
  EXPECT_EQ(line,
            "anydb: trace: postgresql execute 1.234 ms rows=1: SELECT * FROM \"t\" WHERE k = $1 "
            "[5 params: text(7), int, null, real, blob(3)]");
  EXPECT_TRUE(Lacks(line, "hunter2"));
  EXPECT_TRUE(Lacks(line, "987654321"));
}

TEST(TraceLine, ShowsAffectedRowsAndErrors) {
  anydb::TraceEvent e = event("UPDATE t SET a = 1", {});
  e.rows_affected = 3;
  EXPECT_TRUE(Contains(anydb::format_trace_line(e), " affected=3: UPDATE"));

  anydb::ErrorInfo info;
  info.kind = anydb::ErrorKind::unique_violation;
  info.sqlstate = "23505";
  info.message = "duplicate key value hunter2";
  const anydb::UniqueViolation error(info);
  e.error = &error;
  const std::string line = anydb::format_trace_line(e);
  EXPECT_TRUE(Contains(line, " error=unique_violation (23505): UPDATE")) << line;
  EXPECT_TRUE(Lacks(line, "hunter2")) << line;
}

TEST(TraceLine, ControlBytesCannotBreakTheLine) {
  const std::string line = anydb::format_trace_line(event("SELECT '\x1b[2J'\r\n", {}));
  EXPECT_TRUE(Lacks(line, "\x1b"));
  EXPECT_TRUE(Lacks(line, "\n"));
  EXPECT_TRUE(Contains(line, "SELECT '\\x1b[2J'")) << line;
}

TEST(TraceLine, TransactionStepsHaveNoRowCount) {
  anydb::TraceEvent e;
  e.backend = "sqlite";
  e.operation = "begin";
  EXPECT_EQ(anydb::format_trace_line(e), "anydb: trace: sqlite begin 0.000 ms");
}

TEST(TraceEnvironment, OnlyMeaningfulValuesTurnItOn) {
  for (const char* off : {"", "0", "false", "no", "off"}) {
    ::setenv("ANYDB_TRACE", off, 1);
    EXPECT_FALSE(anydb::trace_requested_by_environment()) << off;
  }
  for (const char* on : {"1", "yes", "true"}) {
    ::setenv("ANYDB_TRACE", on, 1);
    EXPECT_TRUE(anydb::trace_requested_by_environment()) << on;
  }
  ::unsetenv("ANYDB_TRACE");
  EXPECT_FALSE(anydb::trace_requested_by_environment());
}

}  // namespace
