#pragma once

// The one thing that differs between conformance runs: which backend and which database. Every
// test gets its connections and scratch tables from here, so that the same suite runs
// unchanged against every backend and URI.

#include <anydb/anydb.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace anydb::conformance {

class Context {
 public:
  // `loader` loaded `backend` and outlives the context; with `trace`, every connection prints
  // one line per statement to stderr (--trace, ANYDB_TRACE).
  Context(std::shared_ptr<Backend> backend, Uri uri, std::optional<IsolationLevel> isolation,
          PluginLoader& loader, bool trace);

  // A new connection, at the run's isolation level when one was given.
  [[nodiscard]] ConnectionPtr connect() const;
  [[nodiscard]] std::optional<IsolationLevel> isolation() const noexcept { return isolation_; }
  [[nodiscard]] const Backend& backend() const noexcept { return *backend_; }
  [[nodiscard]] const Uri& uri() const noexcept { return uri_; }
  // The runner's loader (its --plugin-dir and ANYDB_PLUGIN_PATH), for tests of URL-chosen
  // backends.
  [[nodiscard]] PluginLoader& loader() const noexcept { return *loader_; }
  [[nodiscard]] bool tracing() const noexcept { return trace_; }
  [[nodiscard]] const Dialect& dialect() const noexcept { return dialect_; }
  // The database product behind the backend: "sqlite", "postgresql", "mariadb" or "mysql"
  // (asked of the database when the backend's name does not say, e.g. for odbc), else the
  // backend's name.
  [[nodiscard]] const std::string& product() const noexcept { return product_; }

  // A table name no other test (or concurrent run) uses.
  [[nodiscard]] std::string unique_table_name(std::string_view purpose);

 private:
  std::shared_ptr<Backend> backend_;
  Uri uri_;
  std::optional<IsolationLevel> isolation_;
  PluginLoader* loader_;
  bool trace_;
  Dialect dialect_;
  std::string product_;
};

// Set once by main() before the tests run.
Context& context();
void set_context(std::unique_ptr<Context> context);

// A scratch table: created from `columns_sql` (the text between the parentheses of CREATE
// TABLE, with {id} standing for the dialect's identity column, {blob} for its blob type and
// {text} for its unbounded text type) and
// dropped when the guard goes out of scope.
class ScratchTable {
 public:
  ScratchTable(std::string_view purpose, std::string_view columns_sql);
  ~ScratchTable();
  ScratchTable(const ScratchTable&) = delete;
  ScratchTable& operator=(const ScratchTable&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::string quoted() const { return context().dialect().quote_identifier(name_); }
  [[nodiscard]] std::int64_t count_rows() const;

 private:
  std::string name_;
};

// Names parametrised tests after their strategy: Race/ExactlyOne.../safe.
struct StrategyName {
  std::string operator()(const ::testing::TestParamInfo<Strategy>& param_info) const {
    return std::string(to_string(param_info.param));
  }
};

// "?" or "$n" for this backend.
[[nodiscard]] std::string param(int index);

}  // namespace anydb::conformance
