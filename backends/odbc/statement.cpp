#include "statement.hpp"

#include "connection.hpp"
#include "error.hpp"

#include <anydb/dialect.hpp>
#include <anydb/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace anydb::odbc {
namespace {

constexpr std::size_t initial_buffer = 8192;
// Text up to this many bytes is bound as SQL_VARCHAR, longer as SQL_LONGVARCHAR (drivers
// reject a VARCHAR longer than their limit: MariaDB 65535, psqlODBC 255 by default for
// MaxVarcharSize-sized prepared types).
constexpr std::size_t max_varchar = 4000;

// Closes the cursor and unbinds the parameters when execute() ends, however it ends: the
// buffers bound belong to that call only.
class CloseOnExit {
 public:
  explicit CloseOnExit(SQLHSTMT statement) noexcept : statement_(statement) {}
  ~CloseOnExit() {
    SQLFreeStmt(statement_, SQL_CLOSE);
    SQLFreeStmt(statement_, SQL_RESET_PARAMS);
  }
  CloseOnExit(const CloseOnExit&) = delete;
  CloseOnExit& operator=(const CloseOnExit&) = delete;

 private:
  SQLHSTMT statement_;
};

// The storage a bound parameter points at; it must live until SQLExecute returns.
struct Bound {
  SQLBIGINT integer = 0;
  double real = 0.0;
  SQLLEN indicator = 0;
};

// A valid address for zero-length data: a null pointer would mean NULL to some drivers.
char empty_data[1] = {0};

[[nodiscard]] SQLPOINTER data_pointer(const void* data) noexcept { return const_cast<void*>(data); }

// What one SQLGetData call delivered into `target`: how many bytes, and whether more follow.
struct Piece {
  std::size_t got;
  bool truncated;
};
[[nodiscard]] Piece piece_read(SQLRETURN rc, SQLLEN indicator, std::size_t room, bool binary,
                               const char* target) noexcept {
  const bool truncated = rc == SQL_SUCCESS_WITH_INFO &&
                         (indicator == SQL_NO_TOTAL || static_cast<std::size_t>(indicator) > room);
  if (truncated) return {room, true};
  if (indicator != SQL_NO_TOTAL)
    return {std::min(static_cast<std::size_t>(indicator), room), false};
  return {binary ? room : std::strlen(target), false};
}

// Binds `value` as parameter `number`; `slot` holds what the driver reads at SQLExecute.
[[nodiscard]] SQLRETURN bind_parameter(SQLHSTMT statement, SQLUSMALLINT number, const Value& value,
                                       Bound& slot) {
  switch (value.type()) {
    case Value::Type::null:
      // A NULL still needs a valid type; VARCHAR converts to every column type (psqlODBC
      // sends it untyped).
      slot.indicator = SQL_NULL_DATA;
      return SQLBindParameter(statement, number, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 1, 0,
                              empty_data, 0, &slot.indicator);
    case Value::Type::integer:
      slot.integer = static_cast<SQLBIGINT>(value.as_int());
      return SQLBindParameter(statement, number, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0,
                              &slot.integer, 0, &slot.indicator);
    case Value::Type::real:
      slot.real = value.as_double();
      return SQLBindParameter(statement, number, SQL_PARAM_INPUT, SQL_C_DOUBLE, SQL_DOUBLE, 0, 0,
                              &slot.real, 0, &slot.indicator);
    case Value::Type::text: {
      // UTF-8 bytes with an explicit length: NUL bytes and all. The three drivers pass
      // SQL_C_CHAR through unconverted on a UTF-8 connection (tested with non-ASCII text).
      const std::string& text = value.as_text();
      slot.indicator = static_cast<SQLLEN>(text.size());
      return SQLBindParameter(statement, number, SQL_PARAM_INPUT, SQL_C_CHAR,
                              text.size() > max_varchar ? SQL_LONGVARCHAR : SQL_VARCHAR,
                              std::max<SQLULEN>(text.size(), 1), 0,
                              text.empty() ? empty_data : data_pointer(text.data()), slot.indicator,
                              &slot.indicator);
    }
    case Value::Type::blob: {
      // An empty blob is zero bytes at a valid address, never NULL.
      const Blob& blob = value.as_blob();
      slot.indicator = static_cast<SQLLEN>(blob.size());
      return SQLBindParameter(statement, number, SQL_PARAM_INPUT, SQL_C_BINARY, SQL_LONGVARBINARY,
                              std::max<SQLULEN>(blob.size(), 1), 0,
                              blob.empty() ? empty_data : data_pointer(blob.data()), slot.indicator,
                              &slot.indicator);
    }
  }
  return SQL_ERROR;
}

}  // namespace

OdbcStatement::OdbcStatement(OdbcConnection& connection, std::string_view sql)
    : connection_(connection), sql_(sql) {
  if (sql_.empty())
    throw_backend_error(ErrorKind::invalid_argument, "an empty string holds no SQL statement");
  if (sql_.find('\0') != std::string::npos)
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("SQL text contains a NUL byte: '{}'", printable(sql_)));
  if (!fits_sqlinteger(sql_.size()))
    throw_backend_error(ErrorKind::invalid_argument, "SQL text is too long for ODBC");
  statement_ = prepare_handle();
  SQLSMALLINT count = 0;
  if (SQL_SUCCEEDED(SQLNumParams(statement_.get(), &count))) parameter_count_ = count;
  buffer_.resize(initial_buffer);
}

StatementHandle OdbcStatement::prepare_handle() {
  SQLHANDLE raw = SQL_NULL_HANDLE;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, connection_.dbc(), &raw)))
    connection_.fail(SQL_HANDLE_DBC, connection_.dbc());
  StatementHandle statement(raw);
  const SQLRETURN rc = SQLPrepare(raw, sql_chars(sql_), static_cast<SQLINTEGER>(sql_.size()));
  if (!SQL_SUCCEEDED(rc)) connection_.fail(SQL_HANDLE_STMT, raw, sql_);
  return statement;
}

void OdbcStatement::prepare_again_if_schema_changed() {
  // sqliteodbc 0.9998 keeps the column list it read at SQLPrepare: after another connection
  // altered the table, SQLite re-prepares underneath, but the driver goes on reporting (and
  // fetching) the old columns. One PRAGMA per execution, on this driver, tells when to prepare
  // again.
  const std::int64_t version = connection_.sqlite_schema_version();
  if (version == schema_version_) return;
  if (schema_version_ >= 0) {
    // The PRAGMA reads the cookie without reloading this connection's copy of the schema, and a
    // prepare would expand `*` from the stale copy: a statement on a schema table reloads it.
    connection_.reload_sqlite_schema();
    // A new handle: sqliteodbc keeps the old column count on a handle prepared again.
    statement_.reset();
    statement_ = prepare_handle();
    columns_.reset();  // described again, names and kinds
  }
  schema_version_ = version;
}

Result OdbcStatement::do_execute(std::span<const Value> params) {
  try {
    return execute_once(params);
  } catch (const Error& error) {
    // Connector/ODBC leaves the connection out of sync after a statement's metadata changed
    // (CR_NEW_STMT_METADATA): freeing the handle flushes it, and the new one sees the new table.
    if (error.kind() == ErrorKind::schema_changed) {
      statement_.reset();  // first: the flush must come before the next command
      statement_ = prepare_handle();
    }
    throw;
  }
}

Result OdbcStatement::execute_once(std::span<const Value> params) {
  if (connection_.profile().prepares_again_after_schema_changes())
    prepare_again_if_schema_changed();
  SQLHSTMT const statement = statement_.get();
  SQLFreeStmt(statement, SQL_CLOSE);
  SQLFreeStmt(statement, SQL_RESET_PARAMS);
  const CloseOnExit close_on_exit(statement);

  if (parameter_count_ && params.size() != static_cast<std::size_t>(*parameter_count_))
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("the statement '{}' takes {} parameter(s), but {} were given",
                                    printable(sql_), *parameter_count_, params.size()));
  if (params.size() > 32767)
    throw_backend_error(ErrorKind::invalid_argument, "ODBC binds at most 32767 parameters");

  std::vector<Bound> bound(params.size());  // never resized: the driver keeps the addresses
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!SQL_SUCCEEDED(
            bind_parameter(statement, static_cast<SQLUSMALLINT>(i + 1), params[i], bound[i])))
      connection_.fail(SQL_HANDLE_STMT, statement, sql_);
  }

  SQLRETURN rc = SQLExecute(statement);
  // SQL_NO_DATA: an UPDATE or DELETE that matched no row. SQL_SUCCESS_WITH_INFO: a notice
  // (psqlODBC's Unicode driver reports some DDL that way).
  if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) connection_.fail(SQL_HANDLE_STMT, statement, sql_);

  Result result;
  SQLSMALLINT count = 0;
  if (rc != SQL_NO_DATA && !SQL_SUCCEEDED(SQLNumResultCols(statement, &count)))
    connection_.fail(SQL_HANDLE_STMT, statement, sql_);
  if (count <= 0) {
    SQLLEN rows = 0;
    if (rc != SQL_NO_DATA && SQL_SUCCEEDED(SQLRowCount(statement, &rows)) && rows > 0)
      result.rows_affected = static_cast<std::int64_t>(rows);
    return result;
  }

  describe(count);
  result.columns = columns_;
  for (;;) {
    rc = SQLFetch(statement);
    if (rc == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(rc)) connection_.fail(SQL_HANDLE_STMT, statement, sql_);
    std::vector<Value> values;
    values.reserve(kinds_.size());
    for (std::size_t index = 0; index < kinds_.size(); ++index)
      values.push_back(fetch(static_cast<SQLUSMALLINT>(index + 1), kinds_[index]));
    result.rows.emplace_back(columns_, std::move(values));
  }
  return result;
}

// Column names and kinds, once per statement (again only if the column count changed). The
// kind follows the SQL type the driver reports: integers, floating point, binary; everything
// else (DECIMAL, dates, ...) as text, so that nothing is rounded.
void OdbcStatement::describe(SQLSMALLINT count) {
  if (columns_ && columns_->size() == static_cast<std::size_t>(count)) return;
  SQLHSTMT const statement = statement_.get();
  std::vector<std::string> names;
  std::vector<Kind> kinds;
  for (SQLSMALLINT column = 1; column <= count; ++column) {
    std::string name(256, '\0');
    SQLSMALLINT length = 0, type = 0, digits = 0, nullable = 0;
    SQLULEN size = 0;
    SQLRETURN rc = SQLDescribeCol(
        statement, static_cast<SQLUSMALLINT>(column), reinterpret_cast<SQLCHAR*>(name.data()),
        static_cast<SQLSMALLINT>(name.size()), &length, &type, &size, &digits, &nullable);
    if (SQL_SUCCEEDED(rc) && length >= static_cast<SQLSMALLINT>(name.size())) {
      name.assign(static_cast<std::size_t>(length) + 1, '\0');
      rc = SQLDescribeCol(
          statement, static_cast<SQLUSMALLINT>(column), reinterpret_cast<SQLCHAR*>(name.data()),
          static_cast<SQLSMALLINT>(name.size()), &length, &type, &size, &digits, &nullable);
    }
    if (!SQL_SUCCEEDED(rc)) connection_.fail(SQL_HANDLE_STMT, statement, sql_);
    name.resize(
        std::min(static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), name.size() - 1));
    names.push_back(std::move(name));

    Kind kind = Kind::text;
    switch (type) {
      case SQL_TINYINT:
      case SQL_SMALLINT:
      case SQL_INTEGER:
      case SQL_BIT: kind = Kind::integer; break;
      case SQL_BIGINT: {
        // BIGINT UNSIGNED (MariaDB) does not fit an int64: text keeps every value exact.
        SQLLEN is_unsigned = SQL_FALSE;
        SQLColAttribute(statement, static_cast<SQLUSMALLINT>(column), SQL_DESC_UNSIGNED, nullptr, 0,
                        nullptr, &is_unsigned);
        kind = is_unsigned == SQL_TRUE ? Kind::text : Kind::integer;
        break;
      }
      case SQL_REAL:
      case SQL_FLOAT:
      case SQL_DOUBLE: kind = Kind::real; break;
      case SQL_BINARY:
      case SQL_VARBINARY:
      case SQL_LONGVARBINARY: kind = Kind::blob; break;
      default: kind = Kind::text; break;
    }
    kinds.push_back(kind);
  }
  columns_ = make_column_names(std::move(names));
  kinds_ = std::move(kinds);
}

Value OdbcStatement::fetch(SQLUSMALLINT column, Kind kind) {
  SQLHSTMT const statement = statement_.get();
  SQLLEN indicator = 0;
  switch (kind) {
    case Kind::integer: {
      SQLBIGINT value = 0;
      const SQLRETURN rc = SQLGetData(statement, column, SQL_C_SBIGINT, &value, 0, &indicator);
      if (!SQL_SUCCEEDED(rc)) connection_.fail(SQL_HANDLE_STMT, statement, sql_);
      if (indicator == SQL_NULL_DATA) return Value();
      return Value(static_cast<std::int64_t>(value));
    }
    case Kind::real: {
      double value = 0.0;
      const SQLRETURN rc = SQLGetData(statement, column, SQL_C_DOUBLE, &value, 0, &indicator);
      if (!SQL_SUCCEEDED(rc)) connection_.fail(SQL_HANDLE_STMT, statement, sql_);
      if (indicator == SQL_NULL_DATA) return Value();
      return Value(value);
    }
    case Kind::text: {
      std::string text;
      if (!fetch_bytes(column, false, text)) return Value();
      return Value(std::move(text));
    }
    case Kind::blob: {
      Blob blob;
      if (!fetch_bytes(column, true, blob)) return Value();
      return Value(std::move(blob));
    }
  }
  return Value();
}

// Reads a text or binary column in pieces: a piece that did not fit comes back as
// SQL_SUCCESS_WITH_INFO (01004) with the total length when the driver knows it; the rest is
// then read in one more call straight into `out`. Returns false for NULL.
template <class Bytes>
bool OdbcStatement::fetch_bytes(SQLUSMALLINT column, bool binary, Bytes& out) {
  SQLHSTMT const statement = statement_.get();
  const SQLSMALLINT c_type = binary ? SQL_C_BINARY : SQL_C_CHAR;
  const std::size_t terminator = binary ? 0 : 1;  // SQL_C_CHAR pieces end in a NUL
  std::size_t known_rest = 0;                     // bytes still to come, when known
  for (bool first = true;; first = false) {
    const std::size_t old_size = out.size();
    const bool direct = known_rest > 0;
    char* target = buffer_.data();
    std::size_t capacity = buffer_.size();
    if (direct) {
      out.resize(old_size + known_rest + terminator);
      target = reinterpret_cast<char*>(out.data()) + old_size;
      capacity = known_rest + terminator;
    }
    SQLLEN indicator = 0;
    const SQLRETURN rc =
        SQLGetData(statement, column, c_type, target, static_cast<SQLLEN>(capacity), &indicator);
    if (rc == SQL_NO_DATA || !SQL_SUCCEEDED(rc) || indicator == SQL_NULL_DATA) out.resize(old_size);
    if (rc == SQL_NO_DATA) return true;  // everything was read by the earlier pieces
    if (!SQL_SUCCEEDED(rc)) connection_.fail(SQL_HANDLE_STMT, statement, sql_);
    if (indicator == SQL_NULL_DATA) return !first;
    const auto [got, truncated] = piece_read(rc, indicator, capacity - terminator, binary, target);
    if (direct) {
      out.resize(old_size + got);
    } else {
      const auto* bytes = reinterpret_cast<const typename Bytes::value_type*>(target);
      out.insert(out.end(), bytes, bytes + got);
    }
    if (!truncated) return true;
    known_rest = indicator == SQL_NO_TOTAL ? 0 : static_cast<std::size_t>(indicator) - got;
  }
}

template bool OdbcStatement::fetch_bytes<std::string>(SQLUSMALLINT, bool, std::string&);
template bool OdbcStatement::fetch_bytes<Blob>(SQLUSMALLINT, bool, Blob&);

}  // namespace anydb::odbc
