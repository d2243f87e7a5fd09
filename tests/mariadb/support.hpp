#pragma once

// Shared by the MariaDB tests: connections to the server scripts/with-mariadb.sh starts (URIs in
// ANYDB_TEST_MARIADB_URI and ANYDB_TEST_MARIADB_ADMIN_URI), scratch tables, and a checker that
// pins one row of the error table to the error a real server raised.

#include <anydb/anydb.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace anydb::mariadb_test {

// The URI in environment variable `name`; unset fails the test (a database that the test scripts
// should have started is missing: never a silent skip).
[[nodiscard]] std::string uri_from(const char* name);
[[nodiscard]] inline std::string uri() { return uri_from("ANYDB_TEST_MARIADB_URI"); }
[[nodiscard]] inline std::string admin_uri() { return uri_from("ANYDB_TEST_MARIADB_ADMIN_URI"); }

// The mariadb plugin of this build, loaded once.
[[nodiscard]] std::shared_ptr<Backend> backend();
[[nodiscard]] ConnectionPtr connect(const std::string& text);
[[nodiscard]] inline ConnectionPtr connect() { return connect(uri()); }

// A table of its own for one test, dropped afterwards. `columns` may use {id} and {blob}.
class Table {
 public:
  Table(std::string_view purpose, std::string_view columns);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& quoted() const noexcept { return quoted_; }
  [[nodiscard]] std::int64_t count() const;

 private:
  std::string name_;
  std::string quoted_;
};

// What one mapping row promises about an error.
struct Expected {
  ErrorKind kind;
  std::optional<std::int64_t> native;  // nullopt = not checked
  std::string message_part;            // must occur in what()
};

// Runs `action`, which must throw anydb::Error as `expected` says, prints the real diagnostic
// ("[ server   ] label: ...") and returns the error.
std::optional<Error> expect_error(std::string_view label, const Expected& expected,
                                  const std::function<void()>& action);

}  // namespace anydb::mariadb_test
