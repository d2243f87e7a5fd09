#include "expect_parser.hpp"

#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace anydb::conformance::isolation {

namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n\f";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return std::string(text.substr(first, last - first + 1));
}

bool is_error_kind_name(std::string_view word) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::database_error); ++k)
    if (to_string(static_cast<ErrorKind>(k)) == word) return true;
  return false;
}

// An outcome word; an error word may carry its SQLSTATE: "serialization_failure(40001)".
bool is_outcome(std::string_view word) {
  const auto open = word.find('(');
  const std::string_view base = word.substr(0, open);
  if (open != std::string_view::npos &&
      (base == "ok" || base == "created" || base == "existing" || word.size() != open + 7))
    return false;
  return is_result_word(base) || is_error_kind_name(base);
}

bool is_order_word(std::string_view word) { return word == "after" || word == "before"; }

// Reads the body entry by entry.
class EntryReader {
 public:
  EntryReader(const std::string& body, std::string_view file, int line)
      : body_(body), file_(file), line_(line) {}

  // Skips separators, new lines and comments; false at the end of the body.
  bool skip_to_entry() {
    for (;;) {
      skip_spaces();
      if (!more()) return false;
      const char c = body_[i_];
      if (c == '\n') ++line_;
      if (c == '#') {
        while (more() && body_[i_] != '\n') ++i_;
      } else if (c == '\n' || c == ',' || c == ';') {
        ++i_;
      } else {
        return true;
      }
    }
  }

  ExpectEntry read_entry() {
    ExpectEntry entry;
    entry.line = line_;
    const std::size_t entry_start = i_;
    read_step(entry);
    read_results(entry);
    read_value(entry);
    read_order(entry);
    if (!entry.expected.blocks && entry.expected.results.empty())
      fail(fmt::format("no outcome for step {} in expect {{ }}", entry.step));
    skip_spaces();
    if (more() && std::string_view(",;\n#").find(body_[i_]) == std::string_view::npos)
      fail(fmt::format(
          "unexpected '{}' after the outcome of step {} (separate entries with ',', ';' "
          "or a new line)",
          body_[i_], entry.step));
    // Only the outcome part, for messages: "s2g blocks existing=s1" -> "blocks existing=s1".
    const std::string text = trim(std::string_view(body_).substr(entry_start, i_ - entry_start));
    const auto space = text.find_first_of(" \t");
    entry.expected.text = space == std::string::npos ? std::string() : trim(text.substr(space));
    return entry;
  }

 private:
  [[noreturn]] void fail(std::string_view message) const {
    throw SpecError(fmt::format("{}:{}: {}", file_, line_, message));
  }
  [[nodiscard]] bool more() const { return i_ < body_.size(); }
  void skip_spaces() {
    while (more() && (body_[i_] == ' ' || body_[i_] == '\t' || body_[i_] == '\r')) ++i_;
  }
  std::string word() {
    const std::size_t start = i_;
    while (more() && is_word_char(body_[i_])) ++i_;
    if (i_ > start && more() && body_[i_] == '(')  // "deadlock(40P01)": with its SQLSTATE
      i_ = std::min(body_.find(')', i_), body_.size() - 1) + 1;
    return body_.substr(start, i_ - start);
  }

  // name[#n]
  StepRef read_step_ref(std::string_view what) {
    StepRef ref;
    const std::size_t start = i_;
    while (more() && is_word_char(body_[i_])) ++i_;
    ref.step = body_.substr(start, i_ - start);
    if (ref.step.empty())
      fail(fmt::format("expected {}, found '{}'", what, more() ? body_[i_] : ' '));
    if (!more() || body_[i_] != '#') return ref;
    ++i_;
    const std::size_t digits = i_;
    while (more() && std::isdigit(static_cast<unsigned char>(body_[i_])) != 0) ++i_;
    if (i_ == digits) fail("expected a number after '#' (s1a#2: the 2nd run of s1a)");
    ref.occurrence = std::stoi(body_.substr(digits, i_ - digits));
    if (ref.occurrence < 1) fail("occurrences count from 1");
    return ref;
  }

  void read_step(ExpectEntry& entry) {
    if (body_[i_] == '*') {
      entry.step.assign(1, '*');  // not = "*": GCC 12 warns falsely (-Wrestrict)
      ++i_;
      return;
    }
    StepRef ref = read_step_ref("a step name or '*' in expect { }");
    entry.step = std::move(ref.step);
    entry.occurrence = ref.occurrence;
  }

  // [blocks] [result{|result}]
  void read_results(ExpectEntry& entry) {
    skip_spaces();
    std::size_t mark = i_;
    std::string next = word();
    if (next == "blocks") {
      entry.expected.blocks = true;
      skip_spaces();
      mark = i_;
      next = word();
    }
    if (next.empty() || is_order_word(next)) {
      i_ = mark;
      return;
    }
    for (;;) {
      if (!is_outcome(next))
        fail(fmt::format(
            "unknown outcome '{}' for step {} (ok, created, existing, error, transient, "
            "blocks, or an anydb::ErrorKind name such as unique_violation, the last three "
            "optionally with a SQLSTATE: serialization_failure(40001))",
            next, entry.step));
      entry.expected.results.push_back(std::move(next));
      skip_spaces();
      if (!more() || body_[i_] != '|') return;
      ++i_;
      skip_spaces();
      next = word();
      if (next.empty()) fail("expected an outcome after '|'");
    }
  }

  // '...' with '' for a quote, possibly over several lines.
  std::string quoted_value() {
    std::string value;
    ++i_;
    for (;;) {
      if (!more()) fail("unterminated '...' value");
      if (body_[i_] == '\'') {
        if (i_ + 1 < body_.size() && body_[i_ + 1] == '\'') {
          value += '\'';
          i_ += 2;
          continue;
        }
        ++i_;
        return value;
      }
      if (body_[i_] == '\n') ++line_;
      value += body_[i_++];
    }
  }

  // [=value]
  void read_value(ExpectEntry& entry) {
    skip_spaces();
    if (!more() || body_[i_] != '=') return;
    ++i_;
    if (more() && body_[i_] == '\'') {
      entry.expected.value = quoted_value();
      return;
    }
    std::string value;
    while (more() && std::string_view(" \t\r\n,;#").find(body_[i_]) == std::string_view::npos)
      value += body_[i_++];
    entry.expected.value = std::move(value);
  }

  // {after|before step[#n]}
  void read_order(ExpectEntry& entry) {
    for (;;) {
      skip_spaces();
      const std::size_t mark = i_;
      const std::string next = word();
      if (!is_order_word(next)) {
        i_ = mark;
        return;
      }
      if (entry.step == "*") fail("'*' cannot have an order (after/before): name the step");
      skip_spaces();
      OrderConstraint constraint;
      constraint.after = next == "after";
      constraint.other = read_step_ref(fmt::format("a step name after '{}'", next));
      entry.expected.order.push_back(std::move(constraint));
    }
  }

  const std::string& body_;
  std::string_view file_;
  int line_;
  std::size_t i_ = 0;
};

}  // namespace

std::vector<ExpectEntry> parse_expect_entries(const std::string& body, std::string_view file,
                                              int first_line) {
  EntryReader reader(body, file, first_line);
  std::vector<ExpectEntry> entries;
  while (reader.skip_to_entry()) entries.push_back(reader.read_entry());
  return entries;
}

}  // namespace anydb::conformance::isolation
