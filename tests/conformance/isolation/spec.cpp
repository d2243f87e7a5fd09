// What a parsed spec answers: its qualifiers, steps, permutations (written or generated), and
// which expectation and skip clause apply to a step on a run. The parser is parser.cpp.

#include "spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace anydb::conformance::isolation {

bool Qualifiers::matches(const RunTraits& run) const {
  return std::all_of(groups.begin(), groups.end(), [&](const std::vector<std::string>& group) {
    return std::any_of(group.begin(), group.end(), [&](const std::string& word) {
      return word == run.product || word == run.backend ||
             (!run.level.empty() && word == run.level);
    });
  });
}

std::string Qualifiers::to_string() const {
  if (groups.empty()) return {};
  std::string out = "[";
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g > 0) out += ' ';
    for (std::size_t w = 0; w < groups[g].size(); ++w) {
      if (w > 0) out += '|';
      out += groups[g][w];
    }
  }
  return out + "]";
}

std::optional<std::size_t> Spec::find_step(std::string_view step_name) const {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].name == step_name) return i;
  return std::nullopt;
}

std::string Spec::describe(const Permutation& permutation) const {
  std::string out;
  for (const auto& step : permutation.steps) {
    if (!out.empty()) out += ' ';
    out += steps[step.step].name;
    if (!step.blockers.empty()) {
      out += '(';
      for (std::size_t b = 0; b < step.blockers.size(); ++b) {
        if (b > 0) out += ',';
        out += step.blockers[b].step ? steps[*step.blockers[b].step].name : "*";
        if (step.blockers[b].notices) out += fmt::format(" notices {}", *step.blockers[b].notices);
      }
      out += ')';
    }
  }
  return out;
}

std::vector<Permutation> Spec::all_permutations() const {
  if (!permutations.empty()) return permutations;
  // isolationtester's piles: pick the next step of any session that has steps left.
  std::vector<Permutation> out;
  std::vector<std::size_t> taken(sessions.size(), 0);
  std::vector<PermutationStep> current;
  std::size_t total = 0;
  for (const auto& session : sessions) total += session.steps.size();
  const auto recurse = [&](const auto& self) -> void {
    if (current.size() == total) {
      Permutation permutation;
      permutation.steps = current;
      out.push_back(std::move(permutation));
      return;
    }
    for (std::size_t s = 0; s < sessions.size(); ++s) {
      if (taken[s] >= sessions[s].steps.size()) continue;
      current.push_back(PermutationStep{sessions[s].steps[taken[s]], {}});
      ++taken[s];
      self(self);
      --taken[s];
      current.pop_back();
    }
  };
  recurse(recurse);
  return out;
}

Resolved resolve_expectation(const Spec& spec, const Permutation& permutation, std::size_t position,
                             const RunTraits& run) {
  const std::string& name = spec.steps[permutation.steps[position].step].name;
  int occurrence = 0;
  for (std::size_t i = 0; i <= position; ++i)
    if (permutation.steps[i].step == permutation.steps[position].step) ++occurrence;

  Resolved best;
  std::tuple<int, int, std::size_t, int> best_rank{-1, -1, 0, -1};
  int order = 0;
  const auto consider = [&](const std::vector<ExpectBlock>& blocks, int scope) {
    for (const auto& block : blocks) {
      const bool applies = block.qualifiers.matches(run);
      for (const auto& entry : block.entries) {
        ++order;
        if (!applies) continue;
        int exactness = 0;
        if (entry.step == name) {
          if (entry.occurrence != 0 && entry.occurrence != occurrence) continue;
          exactness = entry.occurrence != 0 ? 2 : 1;
        } else if (entry.step != "*") {
          continue;
        }
        const std::tuple<int, int, std::size_t, int> rank{scope, exactness,
                                                          block.qualifiers.specificity(), order};
        if (rank > best_rank) {
          best_rank = rank;
          best.expected = &entry.expected;
          best.source =
              fmt::format("expect{} at line {}", block.qualifiers.to_string(), entry.line);
          best.line = entry.line;
        }
      }
    }
  };
  consider(spec.expects, 0);
  consider(permutation.expects, 1);
  return best;
}

std::optional<std::string> skip_reason(const Spec& spec, const Permutation& permutation,
                                       const RunTraits& run) {
  for (const auto* skips : {&permutation.skips, &spec.skips})
    for (const auto& clause : *skips)
      if (clause.qualifiers.matches(run))
        return fmt::format("{} (skip{} at {}:{})", clause.reason, clause.qualifiers.to_string(),
                           spec.file, clause.line);
  return std::nullopt;
}

}  // namespace anydb::conformance::isolation
