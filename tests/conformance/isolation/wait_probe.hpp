#pragma once

// Asking the database whether a session waits for another session of the spec (harness.cpp).

#include "session.hpp"

#include <anydb/anydb.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::conformance::isolation {

// Why the database refused to answer, once, for every Probe: later permutations do not ask
// again (defined in wait_probe.cpp).
extern std::mutex refusal_mutex;
extern std::string refusal;

// The server's id for the session (PostgreSQL's backend pid, MariaDB's connection id), or
// nothing where the database has none.
[[nodiscard]] std::optional<std::int64_t> server_id(Connection& connection,
                                                    std::string_view product);

class Probe {
 public:
  Probe() = default;
  Probe(Connection& observer, std::string_view product,
        std::vector<std::optional<std::int64_t>> ids)
      : observer_(&observer), ids_(std::move(ids)) {
    if (std::any_of(ids_.begin(), ids_.end(), [](const auto& id) { return !id; })) return;
    {
      const std::lock_guard lock(refusal_mutex);
      if (!refusal.empty()) return;
    }
    const Dialect& dialect = observer.dialect();
    if (product == "postgresql") {
      // The question isolationtester asks: is the session waiting for a heavyweight lock held
      // by one of the spec's sessions (not autovacuum's, say), or for a safe snapshot
      // (SERIALIZABLE READ ONLY DEFERRABLE), which pg_blocking_pids() alone does not show.
      for (const auto& id : ids_) others_ += fmt::format("{}{}", others_.empty() ? "" : ",", *id);
      sql_ = fmt::format(
          "SELECT CASE WHEN pg_catalog.pg_isolation_test_session_is_blocked(CAST({} AS integer), "
          "CAST(string_to_array({}, ',') AS integer[])) THEN 1 ELSE 0 END",
          dialect.placeholder(1), dialect.placeholder(2));
      name_ = "pg_isolation_test_session_is_blocked()";
    } else if (product == "mariadb" || product == "mysql") {
      sql_ = fmt::format(
          "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE "
          "trx_mysql_thread_id = {} AND trx_state = 'LOCK WAIT'",
          dialect.placeholder(1));
      name_ = "information_schema.innodb_trx";
      // InnoDB refills that table from a cache only when nobody read it for 100 ms: asking
      // more often would keep reading the same stale rows.
      min_interval_ = std::chrono::milliseconds(150);
    }
  }

  [[nodiscard]] std::string name(std::chrono::milliseconds block) const {
    if (!sql_.empty()) return name_;
    std::string why;
    {
      const std::lock_guard lock(refusal_mutex);
      if (!refusal.empty()) why = "; the database would not say: " + refusal;
    }
    return fmt::format(
        "time (a step still running after {} ms while another session holds a "
        "transaction counts as waiting{})",
        block.count(), why);
  }

  // True or false when the database can tell, nothing when it cannot.
  std::optional<bool> blocked(std::size_t session, std::vector<std::string>& transcript) {
    if (sql_.empty()) return std::nullopt;
    const std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
    if (now - last_asked_ < min_interval_) return false;  // not known to wait yet: ask later
    last_asked_ = now;
    try {
      std::vector<Value> params{Value(*ids_[session])};
      if (!others_.empty()) params.emplace_back(others_);
      const Result result = observer_->execute(sql_, params);
      return !result.rows.empty() && result.rows.front()[0].as_int() > 0;
    } catch (const std::exception& error) {
      transcript.push_back(
          fmt::format("(cannot ask {} whether a session waits, so time decides "
                      "from now on: {})",
                      name_, one_line(error.what())));
      {
        const std::lock_guard lock(refusal_mutex);
        refusal = fmt::format("{}: {}", name_, one_line(error.what()));
      }
      sql_.clear();
      return std::nullopt;
    }
  }

 private:
  Connection* observer_ = nullptr;
  std::vector<std::optional<std::int64_t>> ids_;
  std::string others_;
  std::string sql_;
  std::string name_;
  std::chrono::milliseconds min_interval_{0};
  std::chrono::steady_clock::time_point last_asked_{};
};

}  // namespace anydb::conformance::isolation
