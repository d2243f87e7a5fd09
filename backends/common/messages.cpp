#include "common/messages.hpp"

#include "common/text.hpp"

#include <fmt/format.h>

namespace anydb::support {
namespace {

// Splits `text` at every occurrence of `separator`.
[[nodiscard]] std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  for (std::size_t at = text.find(separator); at != std::string_view::npos;
       at = text.find(separator)) {
    parts.emplace_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.emplace_back(text);
  return parts;
}

// SQLite lists the columns as "tbl.a, tbl.b", names unquoted, so a '.' or ", " inside a name
// makes the text ambiguous. Every entry repeats the same table, so each candidate table name
// (the text before some '.') is tried as the separator ", tbl."; the candidate that explains
// the most entries wins, and on a tie the shortest table name (dots in column names and in
// table names are equally rare; the shortest is the common case of neither).
[[nodiscard]] std::vector<std::string> sqlite_columns(std::string_view list) {
  std::vector<std::string> best;
  for (std::size_t dot = list.find('.'); dot != std::string_view::npos;
       dot = list.find('.', dot + 1)) {
    const std::string separator = fmt::format(", {}.", list.substr(0, dot));
    std::vector<std::string> columns = split(list.substr(dot + 1), separator);
    if (columns.size() > best.size()) best = std::move(columns);
  }
  if (best.empty() && !list.empty()) best.emplace_back(list);
  return best;
}

[[nodiscard]] bool is_identifier_char(char c) noexcept {
  return is_plain_identifier(std::string_view(&c, 1), Dollar::allowed) || (c >= '0' && c <= '9');
}

// Reads the key's column list after "Key (": plain or double-quoted names separated by ", ",
// closed by ")=(". Returns nothing for any other shape.
class KeyListReader {
 public:
  explicit KeyListReader(std::string_view list) : list_(list) {}

  std::vector<std::string> read() {
    for (std::size_t i = 0; i < list_.size(); ++i) {
      const char c = list_[i];
      if (state_ == State::quoted) {
        read_quoted(c, i);
      } else if (c == ',' || c == ')') {
        if (!finish_column()) return {};
        if (c == ')')
          return list_.substr(i + 1).starts_with("=(") ? columns_ : std::vector<std::string>{};
        if (i + 1 < list_.size() && list_[i + 1] == ' ') ++i;
      } else if (c == '"' && state_ == State::start) {
        state_ = State::quoted;
      } else if (state_ != State::after_quote && is_identifier_char(c)) {
        current_ += c;
        state_ = State::unquoted;
      } else {
        return {};  // an expression such as lower(name): no plain column list
      }
    }
    return {};
  }

 private:
  enum class State { start, unquoted, quoted, after_quote };

  void read_quoted(char c, std::size_t& i) {
    if (c != '"') {
      current_ += c;
    } else if (i + 1 < list_.size() && list_[i + 1] == '"') {
      current_ += '"';
      ++i;
    } else {
      state_ = State::after_quote;
    }
  }
  bool finish_column() {
    if (current_.empty()) return false;
    columns_.push_back(std::move(current_));
    current_.clear();
    state_ = State::start;
    return true;
  }

  std::string_view list_;
  std::vector<std::string> columns_;
  std::string current_;
  State state_ = State::start;
};

}  // namespace

void add_sqlite_constraint_details(ErrorInfo& info, std::string_view message) {
  constexpr std::string_view marker = "constraint failed: ";
  const std::size_t at = message.find(marker);
  if (at == std::string_view::npos) return;
  const std::string_view detail = message.substr(at + marker.size());
  if (detail.empty()) return;
  switch (info.kind) {
    case ErrorKind::unique_violation:
    case ErrorKind::not_null_violation:
      // Unique and primary-key constraints have no names in SQLite: the columns are listed, or
      // "index 'name'" for a unique index on expressions.
      if (detail.starts_with("index '") && detail.ends_with('\'') && detail.size() > 8)
        info.constraint = std::string(detail.substr(7, detail.size() - 8));
      else
        info.columns = sqlite_columns(detail);
      break;
    case ErrorKind::check_violation:
      // A CHECK reports its name when it has one and its expression text otherwise.
      if (is_plain_identifier(detail, Dollar::refused)) info.constraint = std::string(detail);
      break;
    default: break;
  }
}

std::vector<std::string> postgresql_key_columns(std::string_view text) {
  constexpr std::string_view prefix = "Key (";
  const std::size_t at = text.find(prefix);
  if (at == std::string_view::npos) return {};
  return KeyListReader(text.substr(at + prefix.size())).read();
}

}  // namespace anydb::support
