#include "statement.hpp"

#include "error.hpp"

#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace anydb::sqlite {
namespace {

// Resets the statement when execute() ends, however it ends: a statement left half-stepped keeps
// its read transaction, and with it a lock, open. Its bindings are dropped too when some held a
// copy of a text or blob, which would stay alive in the cache otherwise; numbers and NULLs are
// simply bound over by the next execution (every parameter is bound every time).
class ResetOnExit {
 public:
  ResetOnExit(sqlite3_stmt* statement, bool clear_bindings) noexcept
      : statement_(statement), clear_bindings_(clear_bindings) {}
  ~ResetOnExit() {
    sqlite3_reset(statement_);  // repeats the error of a failed step, which was reported
    if (clear_bindings_) sqlite3_clear_bindings(statement_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
  bool clear_bindings_;
};

[[nodiscard]] bool binds_copies(std::span<const Value> params) noexcept {
  return std::any_of(params.begin(), params.end(), [](const Value& value) {
    return value.type() == Value::Type::text || value.type() == Value::Type::blob;
  });
}

[[nodiscard]] std::int64_t total_changes(sqlite3* db) noexcept {
#if SQLITE_VERSION_NUMBER >= 3037000
  return sqlite3_total_changes64(db);
#else
  return sqlite3_total_changes(db);
#endif
}

[[nodiscard]] std::int64_t changes(sqlite3* db) noexcept {
#if SQLITE_VERSION_NUMBER >= 3037000
  return sqlite3_changes64(db);
#else
  return sqlite3_changes(db);
#endif
}

[[nodiscard]] std::string statement_text(sqlite3_stmt* statement) {
  const char* sql = sqlite3_sql(statement);
  return printable(sql != nullptr ? sql : "");
}

}  // namespace

SqliteStatement::SqliteStatement(StatementHandle statement)
    : statement_(std::move(statement)), db_(sqlite3_db_handle(statement_.get())) {
  refresh_columns();
}

Result SqliteStatement::do_execute(std::span<const Value> params) {
  sqlite3_stmt* const statement = statement_.get();
  // ResetOnExit left it reset, and without copies bound, after the previous execution.
  const ResetOnExit reset_on_exit(statement, binds_copies(params));

  bind(params);
  // A statement that cannot write (every SELECT) skips the two change counts.
  const bool read_only = sqlite3_stmt_readonly(statement) != 0;
  const std::int64_t total_before = read_only ? 0 : total_changes(db_);

  Result result;
  result.rows = recycled_rows();  // storage the core gave back: no allocation on a hit
  result.rows.reserve(last_row_count_);
  int rc = sqlite3_step(statement);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw_sqlite_error(db_, rc);
  refresh_columns();
  result.columns = columns_;
  const auto width = static_cast<int>(columns_->size());
  for (; rc == SQLITE_ROW; rc = sqlite3_step(statement)) {
    std::vector<Value> values = recycled_values();
    values.reserve(columns_->size());
    for (int index = 0; index < width; ++index) append_column(values, index);
    result.rows.emplace_back(columns_, std::move(values));
  }
  if (rc != SQLITE_DONE) throw_sqlite_error(db_, rc);
  last_row_count_ = std::min<std::size_t>(result.rows.size(), 4096);

  // sqlite3_changes() reports the last INSERT, UPDATE or DELETE, which may be an earlier
  // statement: count only when this one changed something.
  if (!read_only && total_changes(db_) != total_before) result.rows_affected = changes(db_);
  return result;
}

void SqliteStatement::bind(std::span<const Value> params) {
  sqlite3_stmt* const statement = statement_.get();
  const int expected = sqlite3_bind_parameter_count(statement);
  if (params.size() != static_cast<std::size_t>(expected))
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("the statement '{}' takes {} parameter(s), but {} were given",
                                    statement_text(statement), expected, params.size()));

  for (int index = 1; const Value& value : params) {
    int rc = SQLITE_OK;
    switch (value.type()) {
      case Value::Type::null: rc = sqlite3_bind_null(statement, index); break;
      case Value::Type::integer:
        rc = sqlite3_bind_int64(statement, index, static_cast<sqlite3_int64>(value.as_int()));
        break;
      case Value::Type::real: rc = sqlite3_bind_double(statement, index, value.as_double()); break;
      case Value::Type::text: {
        // The explicit length keeps NUL bytes and everything after them.
        const std::string& text = value.as_text();
        rc = sqlite3_bind_text64(statement, index, text.data(), text.size(), transient_destructor,
                                 SQLITE_UTF8);
        break;
      }
      case Value::Type::blob: {
        // An empty vector may have no data pointer, and a null pointer would bind NULL: a
        // zero-length zeroblob stays a blob.
        const Blob& blob = value.as_blob();
        rc = blob.empty() ? sqlite3_bind_zeroblob(statement, index, 0)
                          : sqlite3_bind_blob64(statement, index, blob.data(), blob.size(),
                                                transient_destructor);
        break;
      }
    }
    if (rc != SQLITE_OK) throw_sqlite_error(db_, rc);
    ++index;
  }
}

void SqliteStatement::append_column(std::vector<Value>& out, int index) const {
  // One sqlite3_column_value() and the sqlite3_value_* readers cost half of a
  // sqlite3_column_type() and a sqlite3_column_*() call, which each take the connection's mutex.
  // SQLite calls such an unprotected value safe to read only without other threads on the
  // connection, which is anydb's contract for every Connection. Each Value is built in place in
  // the row: a Value returned and moved in costs a variant move and a destruction more.
  sqlite3_value* const value = sqlite3_column_value(statement_.get(), index);
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      out.emplace_back(static_cast<std::int64_t>(sqlite3_value_int64(value)));
      return;
    case SQLITE_FLOAT: out.emplace_back(sqlite3_value_double(value)); return;
    case SQLITE_TEXT: {
      // The pointer first, then the length: that order keeps SQLite from converting twice.
      const unsigned char* text = sqlite3_value_text(value);
      const auto size = static_cast<std::size_t>(sqlite3_value_bytes(value));
      if (text == nullptr) {
        if (sqlite3_errcode(db_) == SQLITE_NOMEM) throw_sqlite_error(db_, SQLITE_NOMEM);
        out.emplace_back(std::string());
        return;
      }
      out.emplace_back(std::string_view(reinterpret_cast<const char*>(text), size));
      return;
    }
    case SQLITE_BLOB: {
      // Zero bytes come back as a null pointer; the value is still an (empty) blob.
      const void* data = sqlite3_value_blob(value);
      const auto size = static_cast<std::size_t>(sqlite3_value_bytes(value));
      if (size == 0) {
        out.emplace_back(Blob{});
        return;
      }
      if (data == nullptr) throw_sqlite_error(db_, SQLITE_NOMEM);
      const auto* bytes = static_cast<const std::byte*>(data);
      out.emplace_back(Blob(bytes, bytes + size));
      return;
    }
    default: out.emplace_back(); return;
  }
}

void SqliteStatement::refresh_columns() {
  sqlite3_stmt* const statement = statement_.get();
  // The columns can only change when SQLite re-prepared the statement after a schema change,
  // which this counter counts: comparing the names on every execution is not needed.
  const int reprepared = sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0);
  if (columns_ && reprepared == reprepare_count_) return;
  reprepare_count_ = reprepared;
  const int count = sqlite3_column_count(statement);
  if (columns_ && columns_->size() == static_cast<std::size_t>(count)) {
    bool same = true;
    for (int index = 0; same && index < count; ++index) {
      const char* name = sqlite3_column_name(statement, index);
      same = name != nullptr && (*columns_)[static_cast<std::size_t>(index)] == name;
    }
    if (same) return;
  }
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(count));
  for (int index = 0; index < count; ++index) {
    const char* name = sqlite3_column_name(statement, index);
    if (name == nullptr) throw_sqlite_error(db_, SQLITE_NOMEM);
    names.emplace_back(name);
  }
  columns_ = make_column_names(std::move(names));
}

}  // namespace anydb::sqlite
