// The spec parser: PostgreSQL's isolation-tester syntax (src/test/isolation/specparse.y and
// specscanner.l: setup/teardown blocks, sessions with steps, permutation lines with optional
// blocker annotations, "#" comments, names bare or in double quotes), plus anydb's two
// statements "expect[...] { ... }" and "skip[...] "reason"". See docs/conformance.md.

#include "directive.hpp"
#include "spec.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <tuple>

namespace anydb::conformance::isolation {

namespace {

bool is_word_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n\f");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n\f");
  return std::string(text.substr(first, last - first + 1));
}

bool is_error_kind_name(std::string_view word) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::database_error); ++k)
    if (to_string(static_cast<ErrorKind>(k)) == word) return true;
  return false;
}

// The words that end a permutation line or a session (isolationtester's keywords and ours).
bool is_keyword(std::string_view word) {
  static constexpr std::array keywords{"setup", "teardown", "session", "step", "permutation",
                                       "expect", "skip"};
  return std::find(keywords.begin(), keywords.end(), word) != keywords.end();
}

class Parser {
public:
  Parser(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  Spec parse(std::string name) {
    Spec spec;
    spec.name = std::move(name);
    spec.file = file_;
    for (skip_blanks(); !at_end(); skip_blanks()) {
      const int line = line_;
      const std::string word = read_word();
      if (word.empty()) fail(fmt::format("unexpected character '{}'", peek()));
      if (word == "setup" || word == "teardown") {
        if (!spec.sessions.empty() || !spec.permutations.empty())
          fail(fmt::format("the spec's {} block must come before the first session", word), line);
        (word == "setup" ? spec.setup : spec.teardown).push_back(read_block(BlockKind::sql));
      } else if (word == "session") {
        if (!spec.permutations.empty()) fail("sessions must come before the permutations", line);
        parse_session(spec, line);
      } else if (word == "permutation") {
        parse_permutation(spec, line);
      } else if (word == "expect") {
        ExpectBlock block = parse_expect(line);
        (spec.permutations.empty() ? spec.expects : spec.permutations.back().expects)
            .push_back(std::move(block));
      } else if (word == "skip") {
        SkipClause clause;
        clause.line = line;
        clause.qualifiers = read_qualifiers();
        skip_blanks();
        if (peek() != '"') fail("skip needs a reason in double quotes: skip[sqlite] \"why\"");
        clause.reason = read_string();
        (spec.permutations.empty() ? spec.skips : spec.permutations.back().skips)
            .push_back(std::move(clause));
      } else {
        fail(fmt::format("unexpected '{}' (expected setup, teardown, session, permutation, "
                         "expect or skip)",
                         word),
             line);
      }
    }
    if (spec.sessions.empty()) fail("a spec needs at least one session");
    resolve_names(spec);
    return spec;
  }

private:
  enum class BlockKind { sql, expect };

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  char take() {
    const char c = text_[pos_++];
    if (c == '\n') ++line_;
    return c;
  }

  [[noreturn]] void fail(std::string_view message, int line = 0) const {
    throw SpecError(fmt::format("{}:{}: {}", file_, line > 0 ? line : line_, message));
  }

  // Whitespace, newlines and "#" comments (to the end of the line), as isolationtester skips.
  void skip_blanks() {
    while (!at_end()) {
      const char c = peek();
      if (c == '#') {
        while (!at_end() && peek() != '\n') take();
      } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        take();
      } else {
        break;
      }
    }
  }

  std::string read_word() {
    skip_blanks();
    if (!is_word_start(peek())) return {};
    const std::size_t start = pos_;
    while (is_word_char(peek())) take();
    return std::string(text_.substr(start, pos_ - start));
  }

  // A word that is not consumed: for deciding whether a session or permutation goes on.
  std::string peek_word() {
    const std::size_t saved_pos = pos_;
    const int saved_line = line_;
    std::string word = read_word();
    pos_ = saved_pos;
    line_ = saved_line;
    return word;
  }

  // "name" (isolationtester's quoted form, no escapes, no newline) or a bare identifier.
  std::string read_string() {
    skip_blanks();
    if (peek() != '"') fail("expected a double-quoted string");
    take();
    std::string out;
    while (!at_end() && peek() != '"') {
      if (peek() == '\n') fail("unexpected newline in quoted string");
      out += take();
    }
    if (at_end()) fail("unterminated quoted string");
    take();
    return out;
  }

  std::string read_name(std::string_view what) {
    skip_blanks();
    if (peek() == '"') return read_string();
    std::string word = read_word();
    if (word.empty()) fail(fmt::format("expected {}", what));
    return word;
  }

  // A { ... } block, without the braces, trimmed. SQL blocks end at the brace that matches
  // the opening one: braces inside '...', "...", $tag$...$tag$ and comments do not count,
  // and a balanced pair ({id}) does not end the block. Expect blocks allow "#" comments.
  std::string read_block(BlockKind kind) {
    skip_blanks();
    if (peek() != '{') fail("expected '{'");
    const int start_line = line_;
    take();
    block_line_ = line_;
    const std::size_t start = pos_;
    int depth = 1;
    while (!at_end()) {
      const char c = peek();
      if (c == '\'' || (kind == BlockKind::sql && c == '"')) {
        skip_quoted(c, kind == BlockKind::sql && c == '\'' && is_escape_string_start(text_, pos_));
      } else if (kind == BlockKind::expect && c == '#') {
        while (!at_end() && peek() != '\n') take();
      } else if (kind == BlockKind::sql && c == '-' && peek(1) == '-') {
        while (!at_end() && peek() != '\n') take();
      } else if (kind == BlockKind::sql && c == '/' && peek(1) == '*') {
        take();
        take();
        while (!at_end() && !(peek() == '*' && peek(1) == '/')) take();
        if (!at_end()) {
          take();
          take();
        }
      } else if (kind == BlockKind::sql && c == '$' && skip_dollar_quoted()) {
        // skipped
      } else if (c == '{' && kind == BlockKind::sql) {
        ++depth;
        take();
      } else if (c == '}') {
        if (--depth == 0) {
          const std::string_view inner = text_.substr(start, pos_ - start);
          take();
          return std::string(inner);
        }
        take();
      } else {
        take();
      }
    }
    fail("unterminated { } block", start_line);
  }

  // '...' or "..."; with `escapes` (E'...'), a backslash escapes the next character.
  void skip_quoted(char quote, bool escapes = false) {
    const int start_line = line_;
    take();
    while (!at_end()) {
      if (escapes && peek() == '\\') {
        take();
        if (!at_end()) take();
        continue;
      }
      if (peek() == quote) {
        take();
        if (peek() != quote) return;  // '' inside '...' is a quote
      }
      take();
    }
    fail("unterminated quoted text in a { } block", start_line);
  }

  // $$...$$ or $tag$...$tag$ (PostgreSQL). False, consuming nothing, when '$' starts none.
  bool skip_dollar_quoted() {
    std::size_t end = pos_ + 1;
    while (end < text_.size() && is_word_char(text_[end])) ++end;
    if (end >= text_.size() || text_[end] != '$') return false;
    if (end > pos_ + 1 && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) != 0)
      return false;  // $1 is a parameter
    const std::string tag(text_.substr(pos_, end - pos_ + 1));
    const std::size_t close = text_.find(tag, end + 1);
    if (close == std::string_view::npos) return false;
    while (pos_ < close + tag.size()) take();
    return true;
  }

  Qualifiers read_qualifiers() {
    Qualifiers qualifiers;
    skip_blanks();
    if (peek() != '[') return qualifiers;
    const int line = line_;
    take();
    for (;;) {
      while (peek() == ' ' || peek() == '\t' || peek() == ',') take();
      if (peek() == ']') {
        take();
        break;
      }
      std::vector<std::string> group;
      for (;;) {
        const std::size_t start = pos_;
        while (is_word_char(peek())) take();
        std::string word(text_.substr(start, pos_ - start));
        if (word.empty())
          fail(fmt::format("expected a product, backend or isolation level in [ ], found '{}'",
                           peek()),
               line);
        if (!is_known_qualifier(word))
          fail(fmt::format("unknown qualifier '{}' (products: sqlite, postgresql, mariadb, "
                           "mysql; backends: odbc; levels: read_uncommitted, read_committed, "
                           "repeatable_read, serializable)",
                           word),
               line);
        group.push_back(std::move(word));
        if (peek() != '|') break;
        take();
      }
      qualifiers.groups.push_back(std::move(group));
    }
    if (qualifiers.groups.empty()) fail("empty qualifier list [ ]", line);
    return qualifiers;
  }

  void parse_session(Spec& spec, int line) {
    Session session;
    session.name = read_name("a session name");
    session.line = line;
    for (const auto& other : spec.sessions)
      if (other.name == session.name) fail(fmt::format("session \"{}\" is defined twice", session.name), line);
    const std::size_t index = spec.sessions.size();
    for (;;) {
      const std::string word = peek_word();
      if (word == "setup") {
        (void)read_word();
        session.setup.push_back(read_block(BlockKind::sql));
      } else if (word == "teardown") {
        (void)read_word();
        session.teardown.push_back(read_block(BlockKind::sql));
      } else if (word == "step") {
        (void)read_word();
        skip_blanks();
        Step step;
        step.line = line_;
        step.name = read_name("a step name");
        step.body = trim(read_block(BlockKind::sql));
        step.session = index;
        for (const auto& other : spec.steps)
          if (other.name == step.name)
            fail(fmt::format("step \"{}\" is defined twice (step names are unique in a spec)", step.name),
                 step.line);
        session.steps.push_back(spec.steps.size());
        spec.steps.push_back(std::move(step));
      } else {
        break;
      }
    }
    if (session.steps.empty()) fail(fmt::format("session \"{}\" has no steps", session.name), line);
    spec.sessions.push_back(std::move(session));
  }

  void parse_permutation(Spec& spec, int line) {
    Permutation permutation;
    permutation.line = line;
    for (;;) {
      skip_blanks();
      if (peek() != '"') {
        const std::string word = peek_word();
        if (word.empty() || is_keyword(word)) break;
      }
      pending_names_.push_back({read_name("a step name"), line_});
      PermutationStep step;
      skip_blanks();
      if (peek() == '(') {
        take();
        for (;;) {
          skip_blanks();
          Blocker blocker;
          if (peek() == '*') {
            take();
          } else {
            pending_blockers_.push_back({read_name("a blocker step name"), line_,
                                         spec.permutations.size(), permutation.steps.size(),
                                         step.blockers.size()});
            if (peek_word() == "notices") {
              (void)read_word();
              skip_blanks();
              const std::size_t start = pos_;
              while (std::isdigit(static_cast<unsigned char>(peek())) != 0) take();
              if (pos_ == start) fail("expected a number after notices");
              blocker.notices = std::stoi(std::string(text_.substr(start, pos_ - start)));
            }
          }
          step.blockers.push_back(blocker);
          skip_blanks();
          if (peek() == ',') {
            take();
            continue;
          }
          if (peek() != ')') fail("expected ',' or ')' in a blocker list");
          take();
          break;
        }
      }
      pending_steps_.push_back({spec.permutations.size(), permutation.steps.size()});
      permutation.steps.push_back(std::move(step));
    }
    if (permutation.steps.empty()) fail("a permutation needs at least one step", line);
    spec.permutations.push_back(std::move(permutation));
  }

  ExpectBlock parse_expect(int line) {
    ExpectBlock block;
    block.line = line;
    block.qualifiers = read_qualifiers();
    const std::string body = read_block(BlockKind::expect);
    int entry_line = block_line_;
    std::size_t i = 0;
    const auto entry_fail = [&](std::string_view message) { fail(message, entry_line); };
    const auto skip_spaces = [&] {
      while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r')) ++i;
    };
    const auto read_entry_word = [&] {
      const std::size_t start = i;
      while (i < body.size() && is_word_char(body[i])) ++i;
      return body.substr(start, i - start);
    };
    while (i < body.size()) {
      skip_spaces();
      if (i >= body.size()) break;
      const char c = body[i];
      if (c == '\n') {
        ++entry_line;
        ++i;
        continue;
      }
      if (c == ',' || c == ';') {
        ++i;
        continue;
      }
      if (c == '#') {
        while (i < body.size() && body[i] != '\n') ++i;
        continue;
      }
      ExpectEntry entry;
      entry.line = entry_line;
      const std::size_t entry_start = i;
      if (c == '*') {
        entry.step = "*";
        ++i;
      } else {
        entry.step = read_entry_word();
        if (entry.step.empty()) entry_fail(fmt::format("expected a step name or '*' in expect {{ }}, found '{}'", c));
        if (i < body.size() && body[i] == '#') {
          ++i;
          const std::size_t start = i;
          while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])) != 0) ++i;
          if (i == start) entry_fail("expected a number after '#' (s1a#2: the 2nd run of s1a)");
          entry.occurrence = std::stoi(body.substr(start, i - start));
          if (entry.occurrence < 1) entry_fail("occurrences count from 1");
        }
      }
      // The outcome: [blocks] [result{|result}] [=value]
      skip_spaces();
      std::size_t mark = i;
      std::string word = read_entry_word();
      if (word == "blocks") {
        entry.expected.blocks = true;
        skip_spaces();
        mark = i;
        word = read_entry_word();
      }
      if (!word.empty()) {
        for (;;) {
          if (!is_result_word(word) && !is_error_kind_name(word))
            entry_fail(fmt::format("unknown outcome '{}' for step {} (ok, created, existing, error, "
                                   "transient, blocks, or an anydb::ErrorKind name such as "
                                   "unique_violation)",
                                   word, entry.step));
          entry.expected.results.push_back(std::move(word));
          skip_spaces();
          if (i < body.size() && body[i] == '|') {
            ++i;
            skip_spaces();
            word = read_entry_word();
            if (word.empty()) entry_fail("expected an outcome after '|'");
            continue;
          }
          break;
        }
      } else {
        i = mark;
      }
      skip_spaces();
      if (i < body.size() && body[i] == '=') {
        ++i;
        std::string value;
        if (i < body.size() && body[i] == '\'') {
          ++i;
          for (;;) {
            if (i >= body.size()) entry_fail("unterminated '...' value");
            if (body[i] == '\'') {
              if (i + 1 < body.size() && body[i + 1] == '\'') {
                value += '\'';
                i += 2;
                continue;
              }
              ++i;
              break;
            }
            if (body[i] == '\n') ++entry_line;
            value += body[i++];
          }
        } else {
          while (i < body.size() && std::string_view(" \t\r\n,;#").find(body[i]) == std::string_view::npos)
            value += body[i++];
        }
        entry.expected.value = std::move(value);
      }
      if (!entry.expected.blocks && entry.expected.results.empty())
        entry_fail(fmt::format("no outcome for step {} in expect {{ }}", entry.step));
      skip_spaces();
      if (i < body.size() && std::string_view(",;\n#").find(body[i]) == std::string_view::npos)
        entry_fail(fmt::format("unexpected '{}' after the outcome of step {} (separate entries "
                               "with ',', ';' or a new line)",
                               body[i], entry.step));
      entry.expected.text = trim(std::string_view(body).substr(entry_start, i - entry_start));
      // Keep only the outcome part for messages: "s2g blocks existing=s1" -> "blocks existing=s1".
      const auto space = entry.expected.text.find_first_of(" \t");
      entry.expected.text = space == std::string::npos ? std::string() : trim(entry.expected.text.substr(space));
      block.entries.push_back(std::move(entry));
    }
    if (block.entries.empty()) fail("an empty expect { } block", line);
    return block;
  }

  void resolve_names(Spec& spec) {
    for (std::size_t i = 0; i < pending_steps_.size(); ++i) {
      const auto [p, s] = pending_steps_[i];
      const auto& [name, line] = pending_names_[i];
      const auto step = spec.find_step(name);
      if (!step) fail(fmt::format("undefined step \"{}\" in permutation", name), line);
      spec.permutations[p].steps[s].step = *step;
    }
    for (const auto& pending : pending_blockers_) {
      const auto step = spec.find_step(pending.name);
      if (!step) fail(fmt::format("undefined step \"{}\" in a blocker annotation", pending.name), pending.line);
      auto& permutation = spec.permutations[pending.permutation];
      auto& entry = permutation.steps[pending.position];
      entry.blockers[pending.blocker].step = *step;
      // As isolationtester: any step of another session, earlier or later in the permutation
      // (or not in it at all: the annotation then never releases).
      if (spec.steps[*step].session == spec.steps[entry.step].session)
        fail(fmt::format("permutation step \"{}\" cannot block on its own session (blocker \"{}\")",
                         spec.steps[entry.step].name, pending.name),
             pending.line);
    }
    const auto check_entries = [&](const std::vector<ExpectBlock>& blocks) {
      for (const auto& block : blocks)
        for (const auto& entry : block.entries)
          if (entry.step != "*" && !spec.find_step(entry.step))
            fail(fmt::format("expect names an undefined step \"{}\"", entry.step), entry.line);
    };
    check_entries(spec.expects);
    for (const auto& permutation : spec.permutations) check_entries(permutation.expects);
  }

  struct PendingBlocker {
    std::string name;
    int line;
    std::size_t permutation, position, blocker;
  };

  std::string_view text_;
  std::string file_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int block_line_ = 1;  // the line where the last { } block's content starts
  std::vector<std::pair<std::string, int>> pending_names_;
  std::vector<std::pair<std::size_t, std::size_t>> pending_steps_;
  std::vector<PendingBlocker> pending_blockers_;
};

}  // namespace

bool is_known_qualifier(std::string_view word) {
  static constexpr std::array known{"sqlite", "postgresql", "mariadb", "mysql", "odbc",
                                    "read_uncommitted", "read_committed", "repeatable_read",
                                    "serializable"};
  return std::find(known.begin(), known.end(), word) != known.end();
}

bool is_result_word(std::string_view word) {
  static constexpr std::array words{"ok", "created", "existing", "error", "transient"};
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool Qualifiers::matches(const RunTraits& run) const {
  return std::all_of(groups.begin(), groups.end(), [&](const std::vector<std::string>& group) {
    return std::any_of(group.begin(), group.end(), [&](const std::string& word) {
      return word == run.product || word == run.backend || (!run.level.empty() && word == run.level);
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
        if (step.blockers[b].notices > 0) out += fmt::format(" notices {}", step.blockers[b].notices);
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

Spec parse_spec(std::string_view text, std::string name, std::string file) {
  return Parser(text, std::move(file)).parse(std::move(name));
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
          best.source = fmt::format("expect{} at line {}", block.qualifiers.to_string(), entry.line);
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
