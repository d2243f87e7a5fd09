// The spec parser: PostgreSQL's isolation-tester syntax (src/test/isolation/specparse.y and
// specscanner.l: setup/teardown blocks, sessions with steps, permutation lines with optional
// blocker annotations, "#" comments, names bare or in double quotes), plus anydb's two
// statements "expect[...] { ... }" and "skip[...] "reason"". See docs/conformance.md.

#include "directive.hpp"
#include "expect_parser.hpp"
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

// isolationtester's scanner trims a step's block of " \t\r\f" only (new lines kept).
std::string trim(std::string_view text, std::string_view blanks = " \t\r\n\f") {
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return std::string(text.substr(first, last - first + 1));
}

// The words that end a permutation line or a session (isolationtester's keywords and ours).
bool is_keyword(std::string_view word) {
  static constexpr std::array keywords{"setup",       "teardown", "session", "step",
                                       "permutation", "expect",   "skip"};
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
      if (other.name == session.name)
        fail(fmt::format("session \"{}\" is defined twice", session.name), line);
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
        const std::string block = read_block(BlockKind::sql);
        step.body = trim(block);
        step.sql = trim(block, " \t\r\f");
        step.session = index;
        for (const auto& other : spec.steps)
          if (other.name == step.name)
            fail(fmt::format("step \"{}\" is defined twice (step names are unique in a spec)",
                             step.name),
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
    block.entries = parse_expect_entries(body, file_, block_line_);
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
      if (!step)
        fail(fmt::format("undefined step \"{}\" in a blocker annotation", pending.name),
             pending.line);
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
        for (const auto& entry : block.entries) {
          if (entry.step != "*" && !spec.find_step(entry.step))
            fail(fmt::format("expect names an undefined step \"{}\"", entry.step), entry.line);
          for (const auto& constraint : entry.expected.order)
            if (!spec.find_step(constraint.other.step))
              fail(fmt::format("expect orders step {} {} an undefined step \"{}\"", entry.step,
                               constraint.after ? "after" : "before", constraint.other.step),
                   entry.line);
        }
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
  static constexpr std::array known{
      "sqlite",           "postgresql",     "mariadb",         "mysql",       "odbc",
      "read_uncommitted", "read_committed", "repeatable_read", "serializable"};
  return std::find(known.begin(), known.end(), word) != known.end();
}

bool is_result_word(std::string_view word) {
  static constexpr std::array words{"ok", "created", "existing", "error", "transient"};
  return std::find(words.begin(), words.end(), word) != words.end();
}

Spec parse_spec(std::string_view text, std::string name, std::string file) {
  return Parser(text, std::move(file)).parse(std::move(name));
}

}  // namespace anydb::conformance::isolation
