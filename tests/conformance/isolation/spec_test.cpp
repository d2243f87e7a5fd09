// The GoogleTest glue of the isolation specs: one test per (spec, permutation), registered at
// start-up; each runs its permutation on the run's backend and compares every step's outcome
// with the spec's expectation for this product and isolation level. Also the runner's --list
// and its summary of skipped tests.

#include "spec.hpp"
#include "../context.hpp"
#include "embedded_specs.hpp"
#include "harness.hpp"
#include "runner.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace anydb::conformance {

namespace isolation {
namespace {

constexpr std::size_t max_generated_permutations = 2000;

bool always_print_transcripts = false;

std::string suite_name(std::string_view spec) {
  std::string name = "Spec/" + std::string(spec);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string test_name(const Spec& spec, const Permutation& permutation, std::size_t index) {
  std::string name = fmt::format("{:02}", index + 1);
  for (const auto& step : permutation.steps) name += "_" + spec.steps[step.step].name;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class SpecTest : public ::testing::Test {
 public:
  SpecTest(std::shared_ptr<const Spec> spec, Permutation permutation)
      : spec_(std::move(spec)), permutation_(std::move(permutation)) {}

  void TestBody() override {
    const RunTraits run = run_traits();
    if (const auto reason = skip_reason(*spec_, permutation_, run)) GTEST_SKIP() << *reason;
    if (const auto gap = missing_capability(*spec_, permutation_, context().dialect()))
      GTEST_SKIP() << "capability: " << *gap;

    const PermutationRun result = run_permutation(*spec_, permutation_, run);
    std::string summary;
    for (std::size_t p = 0; p < permutation_.steps.size(); ++p) {
      if (p > 0) summary += ", ";
      summary += spec_->steps[permutation_.steps[p].step].name + " " + describe(result.steps[p]);
    }
    std::printf("[ outcome  ] %s\n", summary.c_str());

    bool failed = false;
    for (const auto& error : result.errors) {
      ADD_FAILURE_AT(spec_->file.c_str(), permutation_.line) << error;
      failed = true;
    }
    for (std::size_t p = 0; p < permutation_.steps.size(); ++p) {
      // After a harness error the steps that never ran say nothing new.
      if (!result.errors.empty() && !result.steps[p].completed) continue;
      const Resolved resolved = resolve_expectation(*spec_, permutation_, p, run);
      if (resolved.expected == nullptr) continue;
      std::string why;
      if (!satisfies(result.steps[p], *resolved.expected))
        why = fmt::format("observed '{}'", describe(result.steps[p]));
      else if (const auto order =
                   order_violation(*spec_, permutation_, result, p, *resolved.expected))
        why = *order;
      else
        continue;
      failed = true;
      ADD_FAILURE_AT(spec_->file.c_str(), resolved.line) << fmt::format(
          "step {}: expected '{}' ({} for {} {}), {}",
          spec_->steps[permutation_.steps[p].step].name, resolved.expected->text, resolved.source,
          run.product, run.level.empty() ? "(level unknown)" : run.level, why);
    }
    if (failed || always_print_transcripts) {
      std::printf("[ transcript ] permutation %s (%s, %s; waiting detected by %s)\n",
                  spec_->describe(permutation_).c_str(), run.product.c_str(),
                  run.level.empty() ? "level unknown" : run.level.c_str(),
                  result.detection.c_str());
      for (const auto& line : result.transcript) std::printf("    %s\n", line.c_str());
    }
  }

 private:
  std::shared_ptr<const Spec> spec_;
  Permutation permutation_;
};

class BrokenSpecTest : public ::testing::Test {
 public:
  explicit BrokenSpecTest(std::string message) : message_(std::move(message)) {}
  void TestBody() override { FAIL() << message_; }

 private:
  std::string message_;
};

struct Source {
  std::string name;
  std::string path;
  std::string text;
};

void register_spec(const Source& source) {
  const std::string suite = suite_name(source.name);
  std::shared_ptr<const Spec> spec;
  std::vector<Permutation> permutations;
  try {
    Spec parsed = parse_spec(source.text, source.name, source.path);
    check_directives(parsed);
    spec = std::make_shared<const Spec>(std::move(parsed));
    if (spec->permutations.empty()) {
      std::size_t steps = 0;
      for (const auto& session : spec->sessions) steps += session.steps.size();
      // Multinomial count, stopping once it is too many to run.
      double count = 1;
      std::size_t placed = 0;
      for (const auto& session : spec->sessions)
        for (std::size_t k = 1; k <= session.steps.size(); ++k)
          count = count * static_cast<double>(++placed) / static_cast<double>(k);
      if (count > static_cast<double>(max_generated_permutations))
        throw SpecError(
            fmt::format("{}: {} steps in {} sessions make {:.0f} permutations; list the "
                        "ones to run with permutation lines",
                        source.path, steps, spec->sessions.size(), count));
    }
    permutations = spec->all_permutations();
  } catch (const std::exception& error) {
    const std::string message = error.what();
    ::testing::RegisterTest(
        suite.c_str(), "parse", nullptr, nullptr, source.path.c_str(), 1,
        [message]() -> ::testing::Test* { return new BrokenSpecTest(message); });
    return;
  }
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < permutations.size(); ++i) {
    std::string name = test_name(*spec, permutations[i], i);
    if (const int n = ++seen[name]; n > 1) name += fmt::format("_{}", n);
    const std::string param = "permutation " + spec->describe(permutations[i]);
    ::testing::RegisterTest(suite.c_str(), name.c_str(), nullptr, param.c_str(),
                            source.path.c_str(), permutations[i].line,
                            [spec, permutation = permutations[i]]() -> ::testing::Test* {
                              return new SpecTest(spec, permutation);
                            });
  }
}

// gtest's filter syntax: positive patterns, then '-' and negative ones, ':'-separated; '*'
// and '?' wildcards.
bool glob(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*')
    return glob(pattern.substr(1), text) || (!text.empty() && glob(pattern, text.substr(1)));
  if (text.empty()) return false;
  return (pattern.front() == '?' || pattern.front() == text.front()) &&
         glob(pattern.substr(1), text.substr(1));
}

bool any_glob(std::string_view patterns, std::string_view text) {
  while (true) {
    const auto colon = patterns.find(':');
    if (glob(patterns.substr(0, colon), text)) return true;
    if (colon == std::string_view::npos) return false;
    patterns.remove_prefix(colon + 1);
  }
}

bool filter_selects(std::string_view filter, std::string_view name) {
  const auto dash = filter.find('-');
  std::string_view positive = filter.substr(0, dash);
  if (positive.empty()) positive = "*";
  if (!any_glob(positive, name)) return false;
  return dash == std::string_view::npos || !any_glob(filter.substr(dash + 1), name);
}

class SkipSummary : public ::testing::EmptyTestEventListener {
 public:
  // (gtest holds its lock while it reports a result: current_test_info() would deadlock here.)
  void OnTestStart(const ::testing::TestInfo& info) override {
    current_ = fmt::format("{}.{}", info.test_suite_name(), info.name());
  }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.skipped()) return;
    std::string reason = result.message();
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    skipped_.emplace_back(current_, std::move(reason));
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (skipped_.empty()) return;
    std::printf("[  SKIPPED ] %zu test%s, with the reasons:\n", skipped_.size(),
                skipped_.size() == 1 ? "" : "s");
    for (const auto& [name, reason] : skipped_)
      std::printf("[  SKIPPED ] %s: %s\n", name.c_str(), reason.c_str());
    std::fflush(stdout);
  }

 private:
  std::string current_ = "(outside a test)";
  std::vector<std::pair<std::string, std::string>> skipped_;
};

}  // namespace
}  // namespace isolation

void register_isolation_specs(const std::vector<std::filesystem::path>& dirs) {
  std::vector<isolation::Source> sources;
  for (const auto& embedded : isolation::embedded_specs())
    sources.push_back({embedded.name, embedded.path, embedded.text});
  for (const auto& dir : dirs) {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error))
      if (entry.path().extension() == ".spec") files.push_back(entry.path());
    if (error) {
      const std::string message = fmt::format("--specs {}: {}", dir.string(), error.message());
      ::testing::RegisterTest(
          "Spec", "directory", nullptr, nullptr, __FILE__, __LINE__,
          [message]() -> ::testing::Test* { return new isolation::BrokenSpecTest(message); });
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      isolation::Source source{file.stem().string(), file.string(), text.str()};
      const auto same =
          std::find_if(sources.begin(), sources.end(),
                       [&](const isolation::Source& s) { return s.name == source.name; });
      if (same != sources.end())
        *same = std::move(source);
      else
        sources.push_back(std::move(source));
    }
  }
  for (const auto& source : sources) isolation::register_spec(source);
}

void set_isolation_block_timeout(std::chrono::milliseconds timeout) {
  isolation::timeouts().block = timeout;
}

void set_isolation_transcripts(bool always) { isolation::always_print_transcripts = always; }

void print_test_list(std::FILE* out) {
  const std::string filter = GTEST_FLAG_GET(filter);
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  std::size_t total = 0;
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(s);
    std::vector<const ::testing::TestInfo*> selected;
    for (int t = 0; t < suite.total_test_count(); ++t) {
      const ::testing::TestInfo* info = suite.GetTestInfo(t);
      if (isolation::filter_selects(filter, fmt::format("{}.{}", suite.name(), info->name())))
        selected.push_back(info);
    }
    if (selected.empty()) continue;
    const bool spec = std::string_view(suite.name()).starts_with("Spec/");
    std::fprintf(out, "%s (%zu test%s)%s%s\n", suite.name(), selected.size(),
                 selected.size() == 1 ? "" : "s", spec ? ": " : "",
                 spec ? selected.front()->file() : "");
    for (const auto* info : selected) {
      const char* param = info->value_param();
      std::fprintf(out, "  %s%s%s\n", info->name(), param ? "    " : "", param ? param : "");
    }
    total += selected.size();
  }
  std::fprintf(out,
               "%zu tests. Run some with --gtest_filter='PATTERN[:PATTERN...][-PATTERN...]', "
               "e.g. --gtest_filter='Spec/*'.\n",
               total);
}

void install_skip_summary() {
  ::testing::UnitTest::GetInstance()->listeners().Append(new isolation::SkipSummary);
}

}  // namespace anydb::conformance
