#include <anydb/error.hpp>
#include <anydb/placeholders.hpp>

#include <fmt/format.h>

namespace anydb {

namespace {

// PostgreSQL's identifier characters (scan.l: ident_cont), bytes >= 0x80 included.
bool is_identifier_byte(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
         (byte >= '0' && byte <= '9') || byte == '_' || byte == '$' || byte >= 0x80;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Scans PostgreSQL SQL text once, copying it to `out` and turning each `?` outside literals,
// identifiers, comments and dollar quotes into $n.
class PostgresScanner {
 public:
  explicit PostgresScanner(std::string_view sql) : sql_(sql) { out_.reserve(sql.size() + 16); }

  void run() {
    while (pos_ < sql_.size()) step();
  }
  [[nodiscard]] bool uses_dollar_parameters() const noexcept { return dollar_parameters_; }
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  [[nodiscard]] char at(std::size_t index) const noexcept {
    return index < sql_.size() ? sql_[index] : '\0';
  }
  [[nodiscard]] bool follows_identifier() const noexcept {
    return pos_ > 0 && is_identifier_byte(sql_[pos_ - 1]);
  }
  // Copies from pos_ up to (not including) `end`, clamped to the text.
  void copy_to(std::size_t end) {
    end = std::min(end, sql_.size());
    out_.append(sql_.substr(pos_, end - pos_));
    pos_ = end;
  }

  void step() {
    const char c = sql_[pos_];
    if (c == '\'') return quoted('\'', false);
    if (c == '"') return quoted('"', false);
    if ((c == 'E' || c == 'e') && at(pos_ + 1) == '\'' && !follows_identifier()) {
      copy_to(pos_ + 1);
      return quoted('\'', true);
    }
    if (c == '-' && at(pos_ + 1) == '-') return copy_to(sql_.find('\n', pos_));
    if (c == '/' && at(pos_ + 1) == '*') return block_comment();
    if (c == '$' && !follows_identifier()) return dollar();
    if (c == '?') return question_mark();
    copy_to(pos_ + 1);
  }

  // '...' or "..." with the quote doubled inside; with backslash escapes for E'...'.
  void quoted(char quote, bool backslash_escapes) {
    std::size_t index = pos_ + 1;
    while (index < sql_.size()) {
      const char c = sql_[index];
      if (backslash_escapes && c == '\\') {
        index += 2;
      } else if (c == quote && at(index + 1) == quote) {
        index += 2;
      } else if (c == quote) {
        ++index;
        break;
      } else {
        ++index;
      }
    }
    copy_to(index);
  }

  void block_comment() {
    std::size_t index = pos_ + 2;
    int depth = 1;
    while (index < sql_.size() && depth > 0) {
      if (sql_[index] == '/' && at(index + 1) == '*') {
        ++depth;
        index += 2;
      } else if (sql_[index] == '*' && at(index + 1) == '/') {
        --depth;
        index += 2;
      } else {
        ++index;
      }
    }
    copy_to(index);
  }

  // $1 (a parameter), $tag$...$tag$ or $$...$$ (a dollar-quoted string), or a lone '$'.
  void dollar() {
    if (is_digit(at(pos_ + 1))) {
      dollar_parameters_ = true;
      std::size_t index = pos_ + 1;
      while (is_digit(at(index))) ++index;
      return copy_to(index);
    }
    std::size_t index = pos_ + 1;
    while (index < sql_.size() && is_identifier_byte(sql_[index]) && sql_[index] != '$') ++index;
    if (at(index) != '$') return copy_to(pos_ + 1);
    const std::string_view tag = sql_.substr(pos_, index + 1 - pos_);
    const std::size_t close = sql_.find(tag, index + 1);
    copy_to(close == std::string_view::npos ? sql_.size() : close + tag.size());
  }

  void question_mark() {
    if (at(pos_ + 1) == '?') {
      out_ += '?';
      pos_ += 2;
      return;
    }
    if (is_digit(at(pos_ + 1)))
      throw_error(ErrorKind::invalid_argument,
                  fmt::format("numbered placeholder '?{}' in \"{}\": write a plain ? (portable) "
                              "or ${} (PostgreSQL's own)",
                              at(pos_ + 1), printable(sql_, 200), at(pos_ + 1)));
    out_ += fmt::format("${}", ++parameters_);
    ++pos_;
  }

  std::string_view sql_;
  std::size_t pos_ = 0;
  std::string out_;
  int parameters_ = 0;
  bool dollar_parameters_ = false;
};

}  // namespace

std::string to_native_placeholders(std::string_view sql, Dialect::Placeholders target) {
  if (target == Dialect::Placeholders::question_mark) return std::string(sql);
  PostgresScanner scanner(sql);
  scanner.run();
  if (scanner.uses_dollar_parameters()) return std::string(sql);
  return scanner.take();
}

}  // namespace anydb
