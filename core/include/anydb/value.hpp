#pragma once

#include <anydb/export.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace anydb {

using Blob = std::vector<std::byte>;

// A single SQL value. Values are only ever bound as parameters, never spliced into SQL text.
class ANYDB_API Value {
 public:
  enum class Type { null, integer, real, text, blob };

  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(std::int64_t v) noexcept : data_(v) {}
  Value(int v) noexcept : data_(std::int64_t{v}) {}
  Value(double v) noexcept : data_(v) {}
  Value(std::string v) noexcept : data_(std::move(v)) {}
  Value(std::string_view v) : data_(std::string(v)) {}
  Value(const char* v) : data_(std::string(v)) {}
  Value(Blob v) noexcept : data_(std::move(v)) {}

  [[nodiscard]] Type type() const noexcept { return static_cast<Type>(data_.index()); }
  [[nodiscard]] bool is_null() const noexcept { return type() == Type::null; }

  // Typed access; each throws anydb::DataError when the value holds another type.
  [[nodiscard]] std::int64_t as_int() const;
  [[nodiscard]] double as_double() const;  // also converts an integer
  [[nodiscard]] const std::string& as_text() const;
  [[nodiscard]] const Blob& as_blob() const;

  // A human-readable rendering for diagnostics and the CLI (NULL, numbers, text as is,
  // blobs as x'hex'). Not SQL: never feed it back into a statement.
  [[nodiscard]] std::string to_display_string() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  std::variant<std::monostate, std::int64_t, double, std::string, Blob> data_;
};

[[nodiscard]] ANYDB_API std::string_view to_string(Value::Type type) noexcept;

// One result row. Column names are shared by every row of a result.
class ANYDB_API Row {
 public:
  Row() = default;
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values);

  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  [[nodiscard]] const Value& operator[](std::size_t index) const { return values_.at(index); }
  // Throws anydb::InvalidArgument naming the column when there is none of that name.
  [[nodiscard]] const Value& at(std::string_view column) const;
  [[nodiscard]] const std::vector<std::string>& columns() const noexcept;
  [[nodiscard]] const std::vector<Value>& values() const noexcept { return values_; }
  // Moves the values out, leaving the row empty (no columns, no values): for code that hands
  // their storage to recycle() before the row is filled again.
  [[nodiscard]] std::vector<Value> take_values() noexcept {
    columns_.reset();
    return std::move(values_);
  }

 private:
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> values_;
};

using ColumnNames = std::shared_ptr<const std::vector<std::string>>;

// Makes the shared column-name list of a result. Backends must use this rather than
// std::make_shared: the list's control block then lives in libanydb, so a Result may outlive
// the plugin that produced it.
[[nodiscard]] ANYDB_API ColumnNames make_column_names(std::vector<std::string> names);

// Storage recycling for the hit path: one spare vector of each kind per thread, so that a loop of
// single-row statements allocates neither its Result's row vector nor its Row's value vector.
// Backends build results from recycled_*() (an empty vector, with the capacity of the last one
// recycled on this thread, if any); the core recycles what it no longer needs (the row vector of
// a result whose row it moved out, the values of a caller-owned GetOrCreateResult it fills
// again). recycle() destroys the elements and keeps the storage only when it is small (at most
// recycle_capacity elements), so that one large result does not stay allocated per thread.
// Thread-safe: nothing is shared between threads.
inline constexpr std::size_t recycle_capacity = 64;
[[nodiscard]] ANYDB_API std::vector<Value> recycled_values() noexcept;
[[nodiscard]] ANYDB_API std::vector<Row> recycled_rows() noexcept;
ANYDB_API void recycle(std::vector<Value>&& values) noexcept;
ANYDB_API void recycle(std::vector<Row>&& rows) noexcept;

// The fully materialised outcome of one statement.
struct Result {
  ColumnNames columns;
  std::vector<Row> rows;
  std::int64_t rows_affected = 0;  // for INSERT/UPDATE/DELETE; 0 otherwise
};

}  // namespace anydb
