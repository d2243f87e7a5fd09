#pragma once

#include <anydb/dialect.hpp>
#include <anydb/export.hpp>

#include <string>
#include <string_view>

namespace anydb {

// The portable parameter syntax is `?`, as in JDBC and ODBC: Connection::prepare() (and so
// execute()) hands every backend its own syntax, rewriting only where the dialect needs it.
//
//   question_mark dialects   the text is sent as written.
//   dollar_numbered          each `?` becomes $1, $2, ... in order, and `??` becomes one `?`
//   (PostgreSQL)             (the jsonb and geometric operators ?, ?|, ?&, as in pgJDBC). Nothing
//                            inside a string literal ('...', E'...' with backslash escapes,
//                            U&'...', B'...', X'...'), a quoted identifier ("..."), a comment
//                            (-- to the end of the line, nested /* */) or a dollar-quoted string
//                            ($$...$$, $tag$...$tag$) is touched. A text that already uses $n
//                            parameters is native and is sent unchanged, `?` included (what
//                            code written for dialect().placeholder(i) sends keeps working).
//                            Plain '...' literals follow standard_conforming_strings = on,
//                            PostgreSQL's default since 9.1.
//
// Named parameters (:name) are not rewritten: PostgreSQL's array slices (a[lo:hi]) cannot be
// told from them without parsing SQL. Throws anydb::InvalidArgument for `?` followed by a digit
// (SQLite's ?NNN is not portable).
[[nodiscard]] ANYDB_API std::string to_native_placeholders(std::string_view sql,
                                                           Dialect::Placeholders target);

}  // namespace anydb
