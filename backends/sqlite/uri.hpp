#pragma once

#include <anydb/uri.hpp>

#include <optional>
#include <string>

namespace anydb::sqlite {

// How to open and set up one connection, as read from a URI.
struct OpenOptions {
  std::string filename;  // handed to sqlite3_open_v2 as is
  std::string display;   // the URI redacted, for messages
  bool in_memory = false;
  bool read_only = false;
  int open_flags = 0;  // SQLITE_OPEN_READONLY or READWRITE [| CREATE]
  int busy_timeout_ms = 5000;
  std::optional<std::string> journal_mode;  // the PRAGMA value; none: leave the file's mode
  bool foreign_keys = true;
};

// Accepts
//   bare          /abs/path.db   relative.db   :memory:        (no parameters)
//   opaque        sqlite:relative.db   sqlite:/abs/path.db   sqlite::memory:   (path undecoded)
//   hierarchical  SQLAlchemy's: sqlite:///relative.db   sqlite:////abs/path.db   sqlite://
//                 (in memory)   sqlite:///:memory:                          (path decoded)
//   file:         SQLite's own URI (file:data.db?mode=ro, file:///abs.db?cache=shared, ...),
//                 handed to SQLite whole with SQLITE_OPEN_URI; its parameters vfs, mode
//                 (also memory), cache, psow, nolock and immutable are SQLite's
// with the parameters busy_timeout (ms, 0..3600000, default 5000), mode (ro | rw | rwc,
// default rwc), journal_mode (wal | delete | truncate | persist | memory | off, default wal,
// ignored for :memory:), foreign_keys (on | off, default on) and isolation (serializable only).
// Throws anydb::ConfigurationError, quoting the URI only redacted.
[[nodiscard]] OpenOptions parse_open_options(const Uri& uri);

}  // namespace anydb::sqlite
