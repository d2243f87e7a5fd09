#include "statement.hpp"

#include "connection.hpp"
#include "error.hpp"

#include <fmt/format.h>

#include <charconv>
#include <string_view>

namespace anydb::postgresql {
namespace {

// rows_affected counts what a data-changing command touched; SELECT's count is its row count,
// which the rows already show.
[[nodiscard]] std::int64_t rows_affected(const PGresult* result) {
  const char* const status = PQcmdStatus(const_cast<PGresult*>(result));
  // The first letter rules out SELECT, the tag of every hit, without measuring the text.
  if (status == nullptr || (*status != 'I' && *status != 'U' && *status != 'D' && *status != 'M'))
    return 0;
  const std::string_view tag = status;
  const bool changes = tag.starts_with("INSERT ") || tag.starts_with("UPDATE ") ||
                       tag.starts_with("DELETE ") || tag.starts_with("MERGE ");
  if (!changes) return 0;
  const std::string_view count = PQcmdTuples(const_cast<PGresult*>(result));
  std::int64_t value = 0;
  (void)std::from_chars(count.data(), count.data() + count.size(), value);
  return value;
}

}  // namespace

PgStatement::PgStatement(PgConnection& connection, std::string sql, std::string name,
                         const PGresult& described)
    : connection_(connection), sql_(std::move(sql)), name_(std::move(name)) {
  const int count = PQnparams(&described);
  parameter_types_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) parameter_types_.push_back(PQparamtype(&described, i));
  describe_columns(described);
}

PgStatement::PgStatement(PgConnection& connection, std::string sql)
    : connection_(connection), sql_(std::move(sql)), columns_(make_column_names({})) {}

PgStatement::~PgStatement() {
  if (name_.empty()) return;  // nothing on the server
  connection_.forget_statement(std::move(name_));
  for (auto& variant : variants_) connection_.forget_statement(std::move(variant.second));
}

void PgStatement::describe_columns(const PGresult& result) {
  const int count = PQnfields(&result);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(count));
  column_types_.clear();
  for (int i = 0; i < count; ++i) {
    names.emplace_back(PQfname(&result, i));
    column_types_.push_back(PQftype(&result, i));
  }
  columns_ = make_column_names(std::move(names));
}

const std::string& PgStatement::name_for(const Parameters& params) {
  // The common case, no blob where the server inferred another type, allocates nothing.
  bool needs_variant = false;
  for (std::size_t i = 0; i < parameter_types_.size() && !needs_variant; ++i)
    needs_variant = params.is_blob(i) && parameter_types_[i] != bytea_oid;
  if (!needs_variant) return name_;
  std::vector<Oid> types(parameter_types_.size(), 0);
  bool declared = false;
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (params.is_blob(i) && parameter_types_[i] != bytea_oid) {
      types[i] = bytea_oid;
      declared = true;
    }
  }
  if (!declared) return name_;
  for (const auto& [variant_types, name] : variants_)
    if (variant_types == types) return name;
  std::string name = connection_.prepare_named(sql_, types);
  variants_.emplace_back(std::move(types), std::move(name));
  return variants_.back().second;
}

Result PgStatement::do_execute(std::span<const Value> params) {
  connection_.ensure_usable();
  const Parameters bound(params);
  if (name_.empty()) return read_result(connection_.execute_unnamed(sql_, bound));
  if (params.size() != parameter_types_.size())
    throw_backend_error(ErrorKind::invalid_argument,
                        fmt::format("the statement takes {} parameters, but {} were given: '{}'",
                                    parameter_types_.size(), params.size(), printable(sql_, 120)));
  return read_result(connection_.execute_prepared(name_for(bound), bound));
}

Result PgStatement::read_result(const ResultHandle& result) {
  const PGresult* raw = result.get();
  const int fields = PQnfields(raw);
  // The server refuses to change a prepared statement's columns, so for a named statement this
  // holds unless it is an old server or a proxy that does; reading by the wrong types would
  // then go wrong. An unnamed one learns its columns from its first result.
  bool same = static_cast<std::size_t>(fields) == column_types_.size();
  for (int i = 0; same && i < fields; ++i)
    same = PQftype(raw, i) == column_types_[static_cast<std::size_t>(i)];
  if (!same) describe_columns(*raw);

  Result out;
  out.columns = columns_;
  const int rows = PQntuples(raw);
  out.rows = recycled_rows();  // storage the core gave back: no allocation on a hit
  out.rows.reserve(static_cast<std::size_t>(rows));
  for (int row = 0; row < rows; ++row) {
    std::vector<Value> values = recycled_values();
    values.reserve(static_cast<std::size_t>(fields));
    for (int field = 0; field < fields; ++field) {
      // libpq gives a NULL the length 0, so only an empty value needs asking whether it is one.
      const int length = PQgetlength(raw, row, field);
      if (length == 0 && PQgetisnull(raw, row, field) != 0) {
        values.emplace_back();
      } else {
        append_column_value(values, column_types_[static_cast<std::size_t>(field)],
                            PQgetvalue(raw, row, field), length);
      }
    }
    out.rows.emplace_back(columns_, std::move(values));
  }
  out.rows_affected = rows_affected(raw);
  return out;
}

}  // namespace anydb::postgresql
