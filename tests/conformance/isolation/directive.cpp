#include "directive.hpp"

#include "spec.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace anydb::conformance::isolation {

namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

[[noreturn]] void bad(std::string_view directive, std::string_view message) {
  throw SpecError(fmt::format("{}: {}", directive, message));
}

// Splits at `separator` outside '...' (with '' inside).
std::vector<std::string> split_outside_quotes(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'') quoted = !quoted;  // '' toggles twice: still inside
    if (!quoted &&
        (separator == ' ' ? std::isspace(static_cast<unsigned char>(c)) != 0 : c == separator)) {
      if (!current.empty()) parts.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!current.empty()) parts.push_back(std::move(current));
  return parts;
}

// 'text' (with '' for a quote), NULL, an integer, or any other bare word (as text).
Value parse_value(std::string_view directive, std::string_view text) {
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    std::string out;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
      out += text[i];
      if (text[i] == '\'') ++i;  // '' -> '
    }
    return Value(std::move(out));
  }
  if (text.empty()) bad(directive, "an empty value (write '' for the empty string)");
  if (text == "NULL" || text == "null") return Value();
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc() && end == text.data() + text.size()) return Value(number);
  return Value(std::string(text));
}

void parse_pairs(std::string_view directive, std::string_view text,
                 std::vector<std::string>& columns, std::vector<Value>& values) {
  for (const std::string& pair : split_outside_quotes(text, ',')) {
    const auto colon = pair.find(':');
    if (colon == std::string::npos || colon == 0)
      bad(directive, fmt::format("'{}' is not COLUMN:VALUE", pair));
    columns.push_back(pair.substr(0, colon));
    values.push_back(parse_value(directive, std::string_view(pair).substr(colon + 1)));
  }
}

}  // namespace

std::optional<Directive> parse_directive(std::string_view body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || body[first] != '@') return std::nullopt;
  body.remove_prefix(first + 1);
  std::size_t name_end = 0;
  while (name_end < body.size() && is_word_char(body[name_end])) ++name_end;
  const std::string name(body.substr(0, name_end));
  const std::string shown = "@" + name;
  const std::vector<std::string> arguments = split_outside_quotes(body.substr(name_end), ' ');

  Directive directive;
  const auto no_arguments = [&] {
    if (!arguments.empty())
      bad(shown, fmt::format("takes no arguments, got '{}'", arguments.front()));
  };
  if (name == "begin") {
    directive.kind = Directive::Kind::begin;
    for (const auto& argument : arguments) {
      if (argument == "read_only") {
        directive.mode = AccessMode::read_only;
      } else if (argument == "read_write") {
        directive.mode = AccessMode::read_write;
      } else {
        try {
          directive.level = parse_isolation_level(argument);
        } catch (const Error&) {
          bad(shown, fmt::format("unknown argument '{}' (read_only, read_write, or an isolation "
                                 "level such as repeatable_read)",
                                 argument));
        }
      }
    }
  } else if (name == "commit") {
    directive.kind = Directive::Kind::commit;
    no_arguments();
  } else if (name == "rollback") {
    directive.kind = Directive::Kind::rollback;
    no_arguments();
  } else if (name == "savepoint" || name == "release" || name == "rollback_to") {
    directive.kind = name == "savepoint" ? Directive::Kind::savepoint
                     : name == "release" ? Directive::Kind::release
                                         : Directive::Kind::rollback_to;
    if (arguments.size() != 1) bad(shown, "takes one argument, the savepoint's name");
    directive.name = arguments.front();
  } else if (name == "get_or_create") {
    directive.kind = Directive::Kind::get_or_create;
    GetOrCreateSpec& spec = directive.get_or_create;
    for (const auto& argument : arguments) {
      const auto equals = argument.find('=');
      if (equals == std::string::npos) bad(shown, fmt::format("'{}' is not NAME=VALUE", argument));
      const std::string key = argument.substr(0, equals);
      const std::string value = argument.substr(equals + 1);
      if (key == "table") {
        spec.table = value;
      } else if (key == "key") {
        parse_pairs(shown, value, spec.key_columns, directive.key);
      } else if (key == "defaults") {
        parse_pairs(shown, value, spec.default_columns, directive.defaults);
      } else if (key == "strategy") {
        try {
          spec.strategy = parse_strategy(value);
        } catch (const Error& error) {
          bad(shown, error.message());
        }
      } else if (key == "show") {
        directive.show = split_outside_quotes(value, ',');
        if (directive.show.empty())
          bad(shown, "show= needs column names or created, attempts, conflicts, retries");
      } else if (key == "attempts") {
        int attempts = 0;
        const auto [end, error] =
            std::from_chars(value.data(), value.data() + value.size(), attempts);
        if (error != std::errc() || end != value.data() + value.size() || attempts < 1)
          bad(shown, fmt::format("attempts={} is not a positive number", value));
        spec.retry.max_attempts = attempts;
      } else {
        bad(shown,
            fmt::format("unknown argument '{}' (table, key, defaults, strategy, attempts, show)",
                        key));
      }
    }
    if (spec.table.empty()) bad(shown, "needs table=NAME");
    if (spec.key_columns.empty()) bad(shown, "needs key=COLUMN:VALUE[,COLUMN:VALUE...]");
  } else if (name == "sleep") {
    directive.kind = Directive::Kind::sleep;
    int ms = -1;
    if (arguments.size() == 1) {
      const std::string& text = arguments.front();
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
      if (error != std::errc() || end != text.data() + text.size()) ms = -1;
    }
    if (ms < 0 || ms > 60000) bad(shown, "takes one argument, milliseconds (0 to 60000)");
    directive.milliseconds = ms;
  } else {
    bad(shown,
        "unknown directive (@begin, @commit, @rollback, @savepoint, @release, "
        "@rollback_to, @get_or_create, @sleep)");
  }
  return directive;
}

bool is_escape_string_start(std::string_view text, std::size_t quote) {
  if (quote == 0 || (text[quote - 1] != 'E' && text[quote - 1] != 'e')) return false;
  return quote == 1 || !is_word_char(text[quote - 2]);
}

namespace {

// Calls visit(i) for every character of `text` that is SQL proper, not inside '...', "...",
// $tag$...$tag$, -- comments or /* */ comments; visit returns how many characters it used.
template <class Visit>
void scan_sql(std::string_view text, Visit&& visit) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      // E'...' (PostgreSQL's escape string): a backslash escapes the next character.
      const bool escapes = c == '\'' && is_escape_string_start(text, i);
      std::size_t j = i + 1;
      for (; j < text.size(); ++j) {
        if (escapes && text[j] == '\\') {
          ++j;
          continue;
        }
        if (text[j] == c) {
          if (j + 1 < text.size() && text[j + 1] == c) {
            ++j;
            continue;
          }
          break;
        }
      }
      i = std::min(j + 1, text.size());
    } else if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      const auto end = text.find('\n', i);
      i = end == std::string_view::npos ? text.size() : end;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const auto end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else if (c == '$') {
      std::size_t end = i + 1;
      while (end < text.size() && is_word_char(text[end])) ++end;
      const bool numbered =
          end > i + 1 && std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0;
      if (end < text.size() && text[end] == '$' && !numbered) {
        const std::string_view tag = text.substr(i, end - i + 1);
        const auto close = text.find(tag, end + 1);
        i = close == std::string_view::npos ? text.size() : close + tag.size();
      } else {
        i += visit(i);
      }
    } else {
      i += visit(i);
    }
  }
}

}  // namespace

std::string substitute(std::string_view text, const Dialect& dialect, std::string_view suffix) {
  std::string out;
  std::size_t copied = 0;
  scan_sql(text, [&](std::size_t i) -> std::size_t {
    if (text[i] != '{') return 1;
    std::size_t end = i + 1;
    while (end < text.size() && is_word_char(text[end])) ++end;
    if (end == i + 1 || end >= text.size() || text[end] != '}') return 1;
    const std::string_view name = text.substr(i + 1, end - i - 1);
    out.append(text.substr(copied, i - copied));
    if (name == "id")
      out += dialect.identity_column;
    else if (name == "blob")
      out += dialect.blob_type;
    else
      out += fmt::format("{}_{}", name, suffix);
    copied = end + 1;
    return end + 1 - i;
  });
  out.append(text.substr(copied));
  return out;
}

std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> statements;
  std::size_t start = 0;
  bool proper = false;  // the current statement has something besides blanks and comments
  scan_sql(sql, [&](std::size_t i) -> std::size_t {
    if (sql[i] == ';') {
      if (proper) statements.emplace_back(sql.substr(start, i - start));
      start = i + 1;
      proper = false;
    } else if (std::isspace(static_cast<unsigned char>(sql[i])) == 0) {
      proper = true;
    }
    return 1;
  });
  // Quoted text counts as content too: a statement that is only a string is still one.
  std::string_view rest = sql.substr(std::min(start, sql.size()));
  const auto first = rest.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (proper || rest[first] == '\'' || rest[first] == '"'))
    statements.emplace_back(rest);
  for (auto& statement : statements) {
    const auto a = statement.find_first_not_of(" \t\r\n");
    const auto b = statement.find_last_not_of(" \t\r\n");
    statement = a == std::string::npos ? std::string() : statement.substr(a, b - a + 1);
  }
  std::erase_if(statements, [](const std::string& s) { return s.empty(); });
  return statements;
}

}  // namespace anydb::conformance::isolation
