#include "statement.hpp"

#include "connection.hpp"
#include "error.hpp"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <utility>

namespace anydb::mariadb {
namespace {

// The first read of a text or blob column takes this many bytes; a longer value is fetched
// again whole (mysql_stmt_fetch_column) at its real length, so that buffers follow the data.
constexpr std::size_t initial_column_buffer = 256;
constexpr unsigned int binary_charset = 63;  // the "binary" collation: BLOB, VARBINARY, BINARY

[[nodiscard]] MariaDbStatement::Kind kind_of(const MYSQL_FIELD& field) noexcept {
  using Kind = MariaDbStatement::Kind;
  switch (field.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_YEAR: return Kind::integer;
    case MYSQL_TYPE_LONGLONG:
      // BIGINT UNSIGNED reaches 2^64 - 1: values beyond int64 come back as text, exactly.
      return (field.flags & UNSIGNED_FLAG) != 0 ? Kind::unsigned_integer : Kind::integer;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE: return Kind::real;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VARCHAR: return field.charsetnr == binary_charset ? Kind::blob : Kind::text;
    case MYSQL_TYPE_BIT:
    case MYSQL_TYPE_GEOMETRY: return Kind::blob;
    default:
      // DECIMAL (a double would round it), dates and times, JSON, ENUM, SET: as the server
      // writes them.
      return Kind::text;
  }
}

// Where a parameter's bytes live while mysql_stmt_execute runs.
struct BoundParameters {
  std::vector<MYSQL_BIND> binds;
  std::vector<long long> integers;
  std::vector<double> reals;
  std::vector<unsigned long> lengths;
};

// Connector/C reads an empty buffer's pointer; an empty string or blob gets this one.
char empty_buffer[1] = {0};

void bind_bytes(MYSQL_BIND& bind, enum_field_types type, const void* data, std::size_t size,
                unsigned long& length) {
  bind.buffer_type = type;
  bind.buffer = size == 0 ? empty_buffer : const_cast<void*>(data);
  length = static_cast<unsigned long>(size);
  bind.buffer_length = length;
  bind.length = &length;
}

}  // namespace

MariaDbStatement::MariaDbStatement(MariaDbConnection& connection, std::string sql)
    : connection_(connection), sql_(std::move(sql)) {
  prepare();
}

void MariaDbStatement::prepare() {
  stmt_.reset();  // first: closing the old statement puts the connection back in sync
  stmt_.reset(mysql_stmt_init(connection_.native()));
  if (!stmt_)
    throw_backend_error(ErrorKind::resource_exhausted,
                        "Connector/C ran out of memory preparing a statement");
  if (mysql_stmt_prepare(stmt_.get(), sql_.data(), sql_.size()) != 0)
    connection_.fail_statement(stmt_.get(), sql_);
  parameter_count_ = mysql_stmt_param_count(stmt_.get());
  describe_columns();
}

MariaDbStatement::~MariaDbStatement() = default;

void MariaDbStatement::describe_columns() {
  const ResultHandle metadata(mysql_stmt_result_metadata(stmt_.get()));
  const unsigned int count = metadata ? mysql_num_fields(metadata.get()) : 0;
  std::vector<std::string> names;
  column_types_.clear();
  kinds_.clear();
  for (unsigned int i = 0; i < count; ++i) {
    const MYSQL_FIELD* field = mysql_fetch_field_direct(metadata.get(), i);
    names.emplace_back(field->name, field->name_length);
    column_types_.push_back(field->type);
    kinds_.push_back(kind_of(*field));
  }
  columns_ = make_column_names(std::move(names));
  slots_.assign(count, Slot{});
  result_binds_.assign(count, MYSQL_BIND{});
  for (std::size_t i = 0; i < count; ++i) {
    Slot& slot = slots_[i];
    MYSQL_BIND& bind = result_binds_[i];
    bind.is_null = &slot.is_null;
    bind.error = &slot.error;
    bind.length = &slot.length;
    switch (kinds_[i]) {
      case Kind::integer:
      case Kind::unsigned_integer:
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &slot.integer;
        bind.is_unsigned = kinds_[i] == Kind::unsigned_integer ? 1 : 0;
        break;
      case Kind::real:
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &slot.real;
        break;
      case Kind::text:
      case Kind::blob:
        slot.bytes.resize(initial_column_buffer);
        bind.buffer_type = kinds_[i] == Kind::blob ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
        bind.buffer = slot.bytes.data();
        bind.buffer_length = static_cast<unsigned long>(slot.bytes.size());
        break;
    }
  }
}

void MariaDbStatement::bind_parameters(std::span<const Value> params) {
  if (params.size() != parameter_count_)
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("the statement takes {} parameters, but {} were given: '{}'",
                                    parameter_count_, params.size(), printable(sql_, 120)));
  if (params.empty()) return;
  BoundParameters bound;
  bound.binds.assign(params.size(), MYSQL_BIND{});
  bound.integers.assign(params.size(), 0);
  bound.reals.assign(params.size(), 0);
  bound.lengths.assign(params.size(), 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    MYSQL_BIND& bind = bound.binds[i];
    const Value& value = params[i];
    switch (value.type()) {
      case Value::Type::null: bind.buffer_type = MYSQL_TYPE_NULL; break;
      case Value::Type::integer:
        bound.integers[i] = value.as_int();
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &bound.integers[i];
        break;
      case Value::Type::real:
        bound.reals[i] = value.as_double();
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &bound.reals[i];
        break;
      case Value::Type::text:
        // As a string the server converts it to the column's type: "42" finds the integer 42.
        bind_bytes(bind, MYSQL_TYPE_STRING, value.as_text().data(), value.as_text().size(),
                   bound.lengths[i]);
        break;
      case Value::Type::blob:
        bind_bytes(bind, MYSQL_TYPE_BLOB, value.as_blob().data(), value.as_blob().size(),
                   bound.lengths[i]);
        break;
    }
  }
  // Connector/C copies the values into its request when mysql_stmt_execute runs; the binds must
  // live until then, which they do: execute follows in do_execute before `bound` goes.
  if (mysql_stmt_bind_param(stmt_.get(), bound.binds.data()) != 0)
    connection_.fail_statement(stmt_.get(), sql_);
  if (mysql_stmt_execute(stmt_.get()) != 0) connection_.fail_statement(stmt_.get(), sql_);
}

Result MariaDbStatement::do_execute(std::span<const Value> params) {
  try {
    return execute_once(params);
  } catch (const Error& error) {
    // CR_NEW_STMT_METADATA: another session changed the table. The statement's pending result
    // leaves the connection out of sync until the statement is closed: prepare it afresh now
    // (the core prepares it again through its cache as well, and retries or reports).
    if (error.kind() == ErrorKind::schema_changed) prepare();
    throw;
  }
}

Result MariaDbStatement::execute_once(std::span<const Value> params) {
  connection_.ensure_usable();
  bind_parameters(params);
  if (params.empty() && mysql_stmt_execute(stmt_.get()) != 0)
    connection_.fail_statement(stmt_.get(), sql_);
  Result out;
  if (mysql_stmt_field_count(stmt_.get()) == 0) {
    out.columns = make_column_names({});
    const my_ulonglong affected = mysql_stmt_affected_rows(stmt_.get());
    out.rows_affected =
        affected == static_cast<my_ulonglong>(-1) ? 0 : static_cast<std::int64_t>(affected);
  } else {
    out = read_rows();
  }
  skip_further_results();
  return out;
}

// A CALL answers with its procedure's result sets and a final status: the first result set is
// the statement's result, the rest is read and dropped, so that the connection is in sync for
// the next command.
void MariaDbStatement::skip_further_results() {
  while (mysql_stmt_more_results(stmt_.get())) {
    if (mysql_stmt_next_result(stmt_.get()) != 0) connection_.fail_statement(stmt_.get(), sql_);
    if (mysql_stmt_field_count(stmt_.get()) != 0) {
      (void)mysql_stmt_store_result(stmt_.get());
      mysql_stmt_free_result(stmt_.get());
    }
  }
}

Result MariaDbStatement::read_rows() {
  // The statement is left without a pending result on every exit, errors included.
  struct FreeOnExit {
    MYSQL_STMT* stmt;
    ~FreeOnExit() { mysql_stmt_free_result(stmt); }
  } const free_on_exit{stmt_.get()};
  if (mysql_stmt_store_result(stmt_.get()) != 0) connection_.fail_statement(stmt_.get(), sql_);
  // A schema change re-prepares the statement on the server, which may change its columns.
  bool same = mysql_stmt_field_count(stmt_.get()) == column_types_.size();
  for (std::size_t i = 0; same && i < column_types_.size(); ++i)
    same = stmt_->fields[i].type == column_types_[i];
  if (!same) describe_columns();
  if (mysql_stmt_bind_result(stmt_.get(), result_binds_.data()) != 0)
    connection_.fail_statement(stmt_.get(), sql_);

  Result out;
  out.columns = columns_;
  out.rows.reserve(static_cast<std::size_t>(mysql_stmt_num_rows(stmt_.get())));
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt_.get());
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) connection_.fail_statement(stmt_.get(), sql_);
    std::vector<Value> values;
    values.reserve(slots_.size());
    for (std::size_t i = 0; i < slots_.size(); ++i) values.push_back(column_value(i));
    out.rows.emplace_back(columns_, std::move(values));
  }
  return out;
}

Value MariaDbStatement::column_value(std::size_t column) {
  const Slot& slot = slots_[column];
  if (slot.is_null != 0) return Value();
  switch (kinds_[column]) {
    case Kind::integer: return Value(slot.integer);
    case Kind::unsigned_integer: {
      const auto value = static_cast<std::uint64_t>(slot.integer);
      if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Value(slot.integer);
      return Value(std::to_string(value));
    }
    case Kind::real: return Value(slot.real);
    case Kind::text:
    case Kind::blob: break;
  }
  std::string bytes;
  if (slot.length <= slot.bytes.size()) {
    bytes.assign(slot.bytes.data(), slot.length);
  } else {
    // Truncated (MYSQL_DATA_TRUNCATED): fetch this column again, whole.
    bytes.resize(slot.length);
    MYSQL_BIND whole{};
    unsigned long length = 0;
    whole.buffer_type = result_binds_[column].buffer_type;
    whole.buffer = bytes.data();
    whole.buffer_length = slot.length;
    whole.length = &length;
    if (mysql_stmt_fetch_column(stmt_.get(), &whole, static_cast<unsigned int>(column), 0) != 0)
      connection_.fail_statement(stmt_.get(), sql_);
  }
  if (kinds_[column] == Kind::text) return Value(std::move(bytes));
  Blob blob(bytes.size());
  if (!bytes.empty()) std::memcpy(blob.data(), bytes.data(), bytes.size());
  return Value(std::move(blob));
}

}  // namespace anydb::mariadb
