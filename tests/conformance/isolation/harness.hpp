#pragma once

// Runs one permutation of a spec: one connection (from the conformance context, so at the
// run's --isolation level) and one worker thread per session, the steps issued in the
// permutation's order. A step that does not finish is reported waiting when the database says
// the session waits for a lock held by another session (PostgreSQL: pg_blocking_pids();
// MariaDB: information_schema.innodb_trx), or, where the database cannot tell (SQLite), when
// it has not finished after the block timeout while another session holds a transaction. The
// permutation then goes on with the next step; a waiting step completes when a later step
// releases it, and its outcome is recorded then, as isolationtester does.

#include "spec.hpp"

#include <anydb/anydb.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace anydb::conformance::isolation {

struct Timeouts {
  // How long a step may run before it counts as waiting, where the database cannot say so
  // itself (SQLite). Keep it well below the busy timeout (SQLite's default is 5000 ms).
  std::chrono::milliseconds block{300};
  // The longest a step may take to finish or to be seen waiting, and the longest the harness
  // waits for a waiting step to finish (a lock released, a deadlock or busy timeout) before it
  // calls the permutation invalid.
  std::chrono::milliseconds step{30000};
};
[[nodiscard]] Timeouts& timeouts();

// A result set as isolationtester prints it: column names and each value's text (none: NULL).
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// What a step did.
struct Observed {
  enum class Result { ok, created, existing, error };
  bool completed = false;
  bool blocked = false;  // reported waiting before it completed
  Result result = Result::ok;
  std::optional<ErrorKind> kind;  // for errors that are anydb::Errors
  std::string value;              // rows (SQL) or the row's default columns (get-or-create)
  std::string message;            // the error's what()
  std::string detail;             // "attempts=1 conflicts=1 retries=0" for get-or-create
  bool in_transaction = false;    // after the step
  std::vector<Table> tables;      // every result set with columns (SQL steps, one statement
                                  // at a time; a script's result sets are not returned)
  std::string primary;            // the error's primary message where the database gives one
  std::string sqlstate;           // the error's SQLSTATE where the database gives one
  std::size_t completion = 0;     // 1, 2, ...: when its completion was reported; 0: never
};

// "blocks existing=s1", "serialization_failure", "ok='1|a'"
[[nodiscard]] std::string describe(const Observed& observed);
[[nodiscard]] bool satisfies(const Observed& observed, const Expected& expected);

struct PermutationRun {
  std::vector<Observed> steps;          // by position in the permutation
  std::vector<std::string> transcript;  // isolationtester-style, one line per event
  std::vector<std::string> output;      // exactly what isolationtester prints (pg_output.hpp)
  std::vector<std::string> errors;      // the harness's: invalid permutation, failed setup, ...
  std::string detection;                // how waiting was detected
};

// The product, backend and isolation level of this conformance run. The level is the one
// given with --isolation, else the product's default (SQLite serializable, PostgreSQL read
// committed, MariaDB/MySQL repeatable read).
[[nodiscard]] RunTraits run_traits();

// Why this permutation cannot run on a backend with `dialect` (a declared capability is
// missing), or nothing.
[[nodiscard]] std::optional<std::string> missing_capability(const Spec& spec,
                                                            const Permutation& permutation,
                                                            const Dialect& dialect);

// Checks every step's directive; throws SpecError naming the spec's file and line.
void check_directives(const Spec& spec);

// Why the step at `position` did not complete in the order that `expected` asks for ("after
// s1c", "before s2c#2"), or nothing.
[[nodiscard]] std::optional<std::string> order_violation(const Spec& spec,
                                                         const Permutation& permutation,
                                                         const PermutationRun& run,
                                                         std::size_t position,
                                                         const Expected& expected);

[[nodiscard]] PermutationRun run_permutation(const Spec& spec, const Permutation& permutation,
                                             const RunTraits& run);

}  // namespace anydb::conformance::isolation
