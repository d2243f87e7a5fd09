// The completion-order part of an expectation ("s2g blocks existing=s1 after s1c"): checked
// against the order in which the harness reported the steps' completion.

#include "harness.hpp"

#include <fmt/format.h>

#include <variant>
#include <vector>

namespace anydb::conformance::isolation {

namespace {

// The position in the permutation of the run `ref` names, or why there is none.
std::variant<std::size_t, std::string> find_run(const Spec& spec, const Permutation& permutation,
                                                const StepRef& ref) {
  std::vector<std::size_t> runs;
  for (std::size_t p = 0; p < permutation.steps.size(); ++p)
    if (spec.steps[permutation.steps[p].step].name == ref.step) runs.push_back(p);
  if (ref.occurrence > 0) {
    if (static_cast<std::size_t>(ref.occurrence) <= runs.size())
      return runs[static_cast<std::size_t>(ref.occurrence) - 1];
    return fmt::format("{}#{} does not run in this permutation (it runs {} times)", ref.step,
                       ref.occurrence, runs.size());
  }
  if (runs.size() == 1) return runs.front();
  if (runs.empty()) return fmt::format("{} does not run in this permutation", ref.step);
  return fmt::format("{} runs {} times in this permutation: name the run ({}#1, {}#2, ...)",
                     ref.step, runs.size(), ref.step, ref.step);
}

}  // namespace

std::optional<std::string> order_violation(const Spec& spec, const Permutation& permutation,
                                           const PermutationRun& run, std::size_t position,
                                           const Expected& expected) {
  const std::string& name = spec.steps[permutation.steps[position].step].name;
  const std::size_t mine = run.steps[position].completion;
  for (const OrderConstraint& constraint : expected.order) {
    const auto found = find_run(spec, permutation, constraint.other);
    if (const auto* why = std::get_if<std::string>(&found)) return *why;
    const std::size_t other = run.steps[std::get<std::size_t>(found)].completion;
    const std::string other_name =
        constraint.other.occurrence > 0
            ? fmt::format("{}#{}", constraint.other.step, constraint.other.occurrence)
            : constraint.other.step;
    if (mine == 0 || other == 0)
      return fmt::format("{} was to complete {} {}, and {} never completed", name,
                         constraint.after ? "after" : "before", other_name,
                         mine == 0 ? name : other_name);
    if (constraint.after ? mine < other : mine > other)
      return fmt::format(
          "{} was to complete {} {}, and completed {} it (completion {} of the "
          "permutation; {} was completion {})",
          name, constraint.after ? "after" : "before", other_name,
          constraint.after ? "before" : "after", mine, other_name, other);
  }
  return std::nullopt;
}

}  // namespace anydb::conformance::isolation
