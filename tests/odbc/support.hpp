#pragma once

// Shared by the ODBC tests: connections to the three real drivers (URIs exported by
// scripts/with-odbc.sh), scratch tables, and a checker that pins one row of the error mapping
// to the error a real driver raised.

#include <anydb/anydb.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace anydb::odbc_test {

// The URI in environment variable `name`; an unset variable fails the test (a database that
// the test scripts should have started is missing: never a silent skip).
[[nodiscard]] std::string uri_from(const char* name);
[[nodiscard]] inline std::string sqlite_uri() { return uri_from("ANYDB_TEST_ODBC_SQLITE_URI"); }
[[nodiscard]] inline std::string pg_uri() { return uri_from("ANYDB_TEST_ODBC_PG_URI"); }
[[nodiscard]] inline std::string mariadb_uri() { return uri_from("ANYDB_TEST_ODBC_MARIADB_URI"); }

// The DRIVER attribute of an odbc: URI.
[[nodiscard]] std::string driver_of(const std::string& uri);

// The odbc plugin of this build, loaded once.
[[nodiscard]] std::shared_ptr<Backend> odbc_backend();
[[nodiscard]] ConnectionPtr connect(const std::string& uri);

// A table of its own for one test, dropped afterwards. `columns` may use {id} and {blob}.
class Table {
 public:
  Table(const std::string& uri, std::string_view purpose, std::string_view columns);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& quoted() const noexcept { return quoted_; }
  [[nodiscard]] std::int64_t count() const;

 private:
  std::string uri_;
  std::string name_;
  std::string quoted_;
};

[[nodiscard]] std::string unique_name(std::string_view purpose);

// What one mapping row promises about an error.
struct Expected {
  ErrorKind kind;
  std::string sqlstate;                // "" = not checked
  std::optional<std::int64_t> native;  // nullopt = not checked
  std::string message_part;            // must occur in what()
};

// Runs `action`, which must throw anydb::Error as `expected` says, prints the real diagnostic
// ("[ driver   ] label: ...", the source of docs/backends.md) and returns the error.
std::optional<Error> expect_error(std::string_view label, const Expected& expected,
                                  const std::function<void()>& action);

}  // namespace anydb::odbc_test
