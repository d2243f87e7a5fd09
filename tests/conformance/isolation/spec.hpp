#pragma once

// An isolation spec: PostgreSQL's isolation-tester format (src/test/isolation), read by
// parse_spec(), plus anydb's extensions (step directives, expectations, skips). The format is
// described in docs/conformance.md.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::conformance::isolation {

// A malformed spec: the message names the file and line.
class SpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a run is: the database product behind the backend ("sqlite", "postgresql", "mariadb"),
// the backend's name ("sqlite", "postgresql", "odbc", ...) and the isolation level that the
// run's connections get ("read_committed", ...; empty when unknown).
struct RunTraits {
  std::string product;
  std::string backend;
  std::string level;
};

// "[postgresql repeatable_read|serializable]": every group must match the run; a group matches
// when one of its words is the run's product, backend or level. No groups: every run.
struct Qualifiers {
  std::vector<std::vector<std::string>> groups;

  [[nodiscard]] bool matches(const RunTraits& run) const;
  [[nodiscard]] std::size_t specificity() const noexcept { return groups.size(); }
  [[nodiscard]] std::string to_string() const;  // "" or "[postgresql repeatable_read|serializable]"
};

// The words a qualifier may use (products, backends, levels): a typo is a parse error, not a
// qualifier that silently never matches.
[[nodiscard]] bool is_known_qualifier(std::string_view word);

// A run of a step in a permutation: "s1c" (the step runs once there) or "s1c#2" (its 2nd run).
struct StepRef {
  std::string step;
  int occurrence = 0;  // 0: the step's only run in the permutation
};

// "after s1c": the step's completion was reported after s1c's; "before s1c": before it.
struct OrderConstraint {
  bool after = true;
  StepRef other;
};

// One expected outcome: "blocks existing=s1 after s1c", "created", "transient",
// "ok='1|a;2|b'".
struct Expected {
  bool blocks = false;               // the step must be reported waiting before it completes
  std::vector<std::string> results;  // alternatives; empty (only after "blocks"): any result
  std::optional<std::string> value;  // the rendered result must equal this
  std::vector<OrderConstraint> order;
  std::string text;  // as written, for messages
};

// The result words an expectation may use besides the anydb::ErrorKind names.
[[nodiscard]] bool is_result_word(std::string_view word);

struct ExpectEntry {
  std::string step;    // a step name, or "*" for every step without an entry of its own
  int occurrence = 0;  // "s1a#2": the 2nd time the step runs in the permutation; 0: every time
  Expected expected;
  int line = 0;
};

struct ExpectBlock {
  Qualifiers qualifiers;
  std::vector<ExpectEntry> entries;
  int line = 0;
};

struct SkipClause {
  Qualifiers qualifiers;
  std::string reason;
  int line = 0;
};

struct Step {
  std::string name;
  std::string body;  // SQL, or an anydb directive ("@get_or_create ...")
  // The block as isolationtester prints it: only spaces, tabs, CRs and form feeds trimmed at
  // either end (new lines kept), as its scanner does.
  std::string sql;
  std::size_t session = 0;
  int line = 0;
};

struct Session {
  std::string name;
  std::vector<std::string> setup;
  std::vector<std::string> teardown;
  std::vector<std::size_t> steps;  // indexes into Spec::steps
  int line = 0;
};

// isolationtester's blocker annotations: "s1a(*)" (reported waiting once, whatever happens),
// "s1a(s2b)" (s1a's completion is not reported while s2b is running) and "s1a(s2b notices 2)"
// (not reported until s2b's session has received 2 more notices than when s1a was issued).
struct Blocker {
  std::optional<std::size_t> step;  // none: "*"
  std::optional<int> notices;
};

struct PermutationStep {
  std::size_t step = 0;  // index into Spec::steps
  std::vector<Blocker> blockers;
};

struct Permutation {
  std::vector<PermutationStep> steps;
  std::vector<ExpectBlock> expects;  // written after this permutation line
  std::vector<SkipClause> skips;     // written after this permutation line
  int line = 0;                      // 0 for a generated permutation
};

struct Spec {
  std::string name;  // the file name without ".spec"
  std::string file;  // for messages
  std::vector<std::string> setup;
  std::vector<std::string> teardown;
  std::vector<Session> sessions;
  std::vector<Step> steps;
  std::vector<Permutation> permutations;  // as written; none: every interleaving
  std::vector<ExpectBlock> expects;       // before the first permutation: for every permutation
  std::vector<SkipClause> skips;          // before the first permutation: for every permutation

  // The permutations to run: the written ones, or every interleaving of the sessions' steps
  // (each session's steps in order), as isolationtester does.
  [[nodiscard]] std::vector<Permutation> all_permutations() const;
  [[nodiscard]] std::optional<std::size_t> find_step(std::string_view name) const;
  // "s1b s1g s2b ..." for messages.
  [[nodiscard]] std::string describe(const Permutation& permutation) const;
};

// Throws SpecError.
[[nodiscard]] Spec parse_spec(std::string_view text, std::string name, std::string file);

// The expectation for the step at `position` of `permutation` on this run, and where it was
// written ("expect[sqlite] at line 40"); nullptr when none applies (the outcome is only
// recorded). Precedence, highest first: written after the permutation over before the first
// permutation; a step's own name over "*"; more qualifier groups over fewer; later over earlier.
struct Resolved {
  const Expected* expected = nullptr;
  std::string source;
  int line = 0;
};
[[nodiscard]] Resolved resolve_expectation(const Spec& spec, const Permutation& permutation,
                                           std::size_t position, const RunTraits& run);

// The reason of the first skip clause (the permutation's own first, then the spec's) that
// matches this run.
[[nodiscard]] std::optional<std::string> skip_reason(const Spec& spec,
                                                     const Permutation& permutation,
                                                     const RunTraits& run);

}  // namespace anydb::conformance::isolation
