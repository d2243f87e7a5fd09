#include <anydb/dialect.hpp>
#include <anydb/error.hpp>
#include <anydb/value.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace anydb {

namespace {

[[noreturn]] void throw_type_mismatch(Value::Type wanted, Value::Type actual) {
  throw_error(ErrorKind::data_error,
              fmt::format("value is {}, not {}", to_string(actual), to_string(wanted)));
}

}  // namespace

std::string_view to_string(Value::Type type) noexcept {
  switch (type) {
    case Value::Type::null: return "NULL";
    case Value::Type::integer: return "integer";
    case Value::Type::real: return "real";
    case Value::Type::text: return "text";
    case Value::Type::blob: return "blob";
  }
  return "unknown";
}

std::int64_t Value::as_int() const {
  if (const auto* v = std::get_if<std::int64_t>(&data_)) return *v;
  throw_type_mismatch(Type::integer, type());
}

double Value::as_double() const {
  if (const auto* v = std::get_if<double>(&data_)) return *v;
  if (const auto* v = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*v);
  throw_type_mismatch(Type::real, type());
}

const std::string& Value::as_text() const {
  if (const auto* v = std::get_if<std::string>(&data_)) return *v;
  throw_type_mismatch(Type::text, type());
}

const Blob& Value::as_blob() const {
  if (const auto* v = std::get_if<Blob>(&data_)) return *v;
  throw_type_mismatch(Type::blob, type());
}

std::string Value::to_display_string() const {
  switch (type()) {
    case Type::null: return "NULL";
    case Type::integer: return std::to_string(as_int());
    case Type::real: return fmt::format("{}", std::get<double>(data_));
    case Type::text: return as_text();
    case Type::blob: {
      std::string out = "x'";
      for (std::byte b : as_blob()) out += fmt::format("{:02x}", std::to_integer<unsigned>(b));
      return out + "'";
    }
  }
  return {};
}

ColumnNames make_column_names(std::vector<std::string> names) {
  return std::make_shared<const std::vector<std::string>>(std::move(names));
}

Row::Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
    : columns_(std::move(columns)), values_(std::move(values)) {}

const std::vector<std::string>& Row::columns() const noexcept {
  static const std::vector<std::string> none;
  return columns_ ? *columns_ : none;
}

const Value& Row::at(std::string_view column) const {
  const auto& names = columns();
  const auto found = std::find(names.begin(), names.end(), column);
  if (found == names.end() || static_cast<std::size_t>(found - names.begin()) >= values_.size())
    throw_error(ErrorKind::invalid_argument,
                fmt::format("the row has no column \"{}\"", printable(column)));
  return values_[static_cast<std::size_t>(found - names.begin())];
}

}  // namespace anydb
