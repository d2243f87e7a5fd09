#pragma once

// What a step body means: SQL (one or more statements, as in isolationtester) or one anydb
// directive, "@name arguments". Also the text substitutions that make a spec portable.

#include <anydb/anydb.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anydb::conformance::isolation {

struct Directive {
  enum class Kind {
    begin,
    commit,
    rollback,
    savepoint,
    release,
    rollback_to,
    get_or_create,
    sleep
  };
  Kind kind = Kind::begin;
  // @begin [read_only] [LEVEL]
  AccessMode mode = AccessMode::read_write;
  std::optional<IsolationLevel> level;
  // @savepoint / @release / @rollback_to NAME
  std::string name;
  // @get_or_create table=T key=COL:VALUE[,...] [defaults=COL:VALUE[,...]] [strategy=S]
  //                [attempts=N] [show=ITEM[,...]]
  GetOrCreateSpec get_or_create;
  std::vector<Value> key;
  std::vector<Value> defaults;
  // What the outcome's value shows: column names of the row, or created, attempts, conflicts,
  // retries (shown as "conflicts=1"). Default: the default columns, else the key columns.
  std::vector<std::string> show;
  // @sleep MS
  int milliseconds = 0;
};

// The directive in `body`, or nothing when the body is SQL (does not start with '@'). Throws
// anydb::conformance::isolation::SpecError (without a location) for a malformed directive.
[[nodiscard]] std::optional<Directive> parse_directive(std::string_view body);

// Replaces, outside quoted text and comments: {id} by the dialect's identity column, {blob} by
// its blob type, and any other {name} by "name_<suffix>" (a table name private to one run of
// one permutation).
[[nodiscard]] std::string substitute(std::string_view text, const Dialect& dialect,
                                     std::string_view suffix);

// True when the quote at `quote` opens a PostgreSQL escape string (E'...' or e'...', the E not
// ending a longer word), inside which a backslash escapes the next character.
[[nodiscard]] bool is_escape_string_start(std::string_view text, std::size_t quote);

// Splits SQL at the semicolons that end statements (not those in quotes, dollar quotes or
// comments); drops empty statements.
[[nodiscard]] std::vector<std::string> split_statements(std::string_view sql);

}  // namespace anydb::conformance::isolation
