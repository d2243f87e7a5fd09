#include "convert.hpp"

#include "error.hpp"
#include "handle.hpp"

#include <anydb/dialect.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>

namespace anydb::postgresql {
namespace {

constexpr Oid bool_oid = 16;
constexpr Oid int8_oid = 20;
constexpr Oid int2_oid = 21;
constexpr Oid int4_oid = 23;
constexpr Oid oid_oid = 26;
constexpr Oid float4_oid = 700;
constexpr Oid float8_oid = 701;

// libpq reads a NULL pointer as SQL NULL, so an empty blob must point somewhere.
constexpr char empty[] = "";

// Writes `value` as NUL-terminated text into `out`.
void render_integer(std::int64_t value, std::array<char, 32>& out) {
  const auto result = std::to_chars(out.data(), out.data() + out.size() - 1, value);
  *result.ptr = '\0';
}

void render_real(double value, std::array<char, 32>& out) {
  std::string_view text;
  if (std::isnan(value)) {
    text = "NaN";
  } else if (std::isinf(value)) {
    text = value > 0 ? "Infinity" : "-Infinity";
  } else {
    // The shortest text that reads back as the same double (at most 24 characters).
    const auto result = std::to_chars(out.data(), out.data() + out.size() - 1, value);
    *result.ptr = '\0';
    return;
  }
  text.copy(out.data(), text.size());
  out[text.size()] = '\0';
}

[[noreturn]] void unreadable(Oid type, std::string_view text) {
  throw_backend_error(
      ErrorKind::data_error,
      fmt::format("cannot read '{}' as a value of type OID {}", printable(text, 40), type));
}

[[nodiscard]] std::int64_t read_integer(Oid type, std::string_view text) {
  // Up to 18 digits cannot overflow: a plain loop, which costs a third of std::from_chars on
  // the short keys and ids of a hit. Longer texts (and anything odd) go to std::from_chars.
  const char* digit = text.data();
  const char* const end = digit + text.size();
  const bool negative = digit != end && *digit == '-';
  if (negative) ++digit;
  if (digit != end && end - digit <= 18) {
    std::int64_t value = 0;
    for (; digit != end; ++digit) {
      const auto figure = static_cast<unsigned>(*digit - '0');
      if (figure > 9) unreadable(type, text);
      value = value * 10 + static_cast<std::int64_t>(figure);
    }
    return negative ? -value : value;
  }
  std::int64_t value = 0;
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end) unreadable(type, text);
  return value;
}

template <class Float>
[[nodiscard]] Value read_real(Oid type, std::string_view text) {
  if (text == "NaN") return Value(std::numeric_limits<double>::quiet_NaN());
  if (text == "Infinity") return Value(std::numeric_limits<double>::infinity());
  if (text == "-Infinity") return Value(-std::numeric_limits<double>::infinity());
  // A float4 is read as float, so that the double holds exactly the value stored.
  Float value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) unreadable(type, text);
  return Value(static_cast<double>(value));
}

[[nodiscard]] Value read_bytea(const char* text) {
  std::size_t length = 0;
  const LibpqBuffer<unsigned char> bytes(
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &length));
  if (!bytes)
    throw_backend_error(ErrorKind::resource_exhausted,
                        "out of memory while decoding a bytea value");
  const auto* first = reinterpret_cast<const std::byte*>(bytes.get());
  return Value(Blob(first, first + length));
}

}  // namespace

Parameters::Parameters(std::span<const Value> params) : count_(params.size()) {
  if (count_ <= inline_count) {
    values_ = inline_.values.data();
    lengths_ = inline_.lengths.data();
    formats_ = inline_.formats.data();
    numbers_ = inline_.numbers.data();
  } else {
    heap_ = std::make_unique<Heap>();
    heap_->values.resize(count_);
    heap_->lengths.resize(count_);
    heap_->formats.resize(count_);
    heap_->numbers.resize(count_);
    values_ = heap_->values.data();
    lengths_ = heap_->lengths.data();
    formats_ = heap_->formats.data();
    numbers_ = heap_->numbers.data();
  }
  for (std::size_t i = 0; i < count_; ++i) {
    const Value& param = params[i];
    values_[i] = nullptr;
    lengths_[i] = 0;
    formats_[i] = 0;
    switch (param.type()) {
      case Value::Type::null: break;
      case Value::Type::integer:
        render_integer(param.as_int(), numbers_[i]);
        values_[i] = numbers_[i].data();
        break;
      case Value::Type::real:
        render_real(param.as_double(), numbers_[i]);
        values_[i] = numbers_[i].data();
        break;
      case Value::Type::text: {
        const std::string& text = param.as_text();
        if (text.find('\0') != std::string::npos)
          throw_backend_error(
              ErrorKind::data_error,
              fmt::format("parameter ${} is text with a NUL byte ('{}'), which PostgreSQL cannot "
                          "store in text; bind it as a blob (bytea) instead",
                          i + 1, printable(text, 40)));
        values_[i] = text.c_str();  // text format: libpq reads up to the NUL
        break;
      }
      case Value::Type::blob: {
        const Blob& blob = param.as_blob();
        if (blob.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
          throw_backend_error(ErrorKind::data_error,
                              fmt::format("parameter ${} is a blob of {} bytes, more than libpq "
                                          "can send",
                                          i + 1, blob.size()));
        values_[i] = blob.empty() ? empty : reinterpret_cast<const char*>(blob.data());
        lengths_[i] = static_cast<int>(blob.size());
        formats_[i] = 1;
        break;
      }
    }
  }
}

void append_column_value(std::vector<Value>& out, Oid type, const char* text, int length) {
  const std::string_view view(text, static_cast<std::size_t>(length));
  // Each Value is built in place in the row: one returned and moved in costs a variant move and
  // a destruction more.
  switch (type) {
    case int2_oid:
    case int4_oid:
    case int8_oid:
    case oid_oid: out.emplace_back(read_integer(type, view)); return;
    case float4_oid: out.push_back(read_real<float>(type, view)); return;
    case float8_oid: out.push_back(read_real<double>(type, view)); return;
    case bool_oid:
      if (view == "t") {
        out.emplace_back(1);
        return;
      }
      if (view == "f") {
        out.emplace_back(0);
        return;
      }
      unreadable(type, view);
    case bytea_oid: out.push_back(read_bytea(text)); return;
    default: out.emplace_back(view); return;
  }
}

}  // namespace anydb::postgresql
