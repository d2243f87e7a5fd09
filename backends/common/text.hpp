#pragma once

// Small text helpers every backend needs, written once.

#include <string>
#include <string_view>

namespace anydb::support {

// ASCII lower case; other bytes (UTF-8 included) unchanged.
[[nodiscard]] std::string ascii_lower(std::string_view text);
// ASCII case-insensitive equality.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
// `text` without leading and trailing white space (space, tab, CR, LF, FF, VT).
[[nodiscard]] std::string_view trim(std::string_view text) noexcept;
// A database's message as one line, for error messages that a CLI prints after "error: ": every
// run of white space that holds a line break or a tab becomes one space, the ends are trimmed,
// and a trailing ';' (psqlODBC ends some messages with one) is dropped.
[[nodiscard]] std::string one_line(std::string_view text);
// The first line of `text`, trimmed (libpq's connection errors add hints on further lines).
[[nodiscard]] std::string first_line(std::string_view text);

// What an unquoted identifier may look like in a database's message: letters, digits, '_', any
// non-ASCII byte, and '$' where the database allows it (PostgreSQL, MariaDB; not SQLite); not
// starting with a digit.
enum class Dollar { allowed, refused };
[[nodiscard]] bool is_plain_identifier(std::string_view text, Dollar dollar) noexcept;

}  // namespace anydb::support
