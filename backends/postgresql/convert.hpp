#pragma once

// Between anydb::Value and libpq's wire forms. Parameters go as text (type left for the server to
// infer, so that the text "7" binds to an integer column) except blobs, which go as binary bytea;
// results arrive as text and are read by column type.

#include <anydb/value.hpp>

#include <libpq-fe.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace anydb::postgresql {

inline constexpr Oid bytea_oid = 17;  // pg_type.h is a server header; these OIDs never change

// Statement parameters in the arrays PQexecPrepared takes. Points into `params` (text and
// blobs are not copied): keep both alive until the call returns.
class Parameters {
 public:
  // Throws anydb::DataError for text with a NUL byte, which PostgreSQL cannot store.
  explicit Parameters(std::span<const Value> params);

  [[nodiscard]] int count() const noexcept { return static_cast<int>(values_.size()); }
  [[nodiscard]] const char* const* values() const noexcept { return values_.data(); }
  [[nodiscard]] const int* lengths() const noexcept { return lengths_.data(); }
  [[nodiscard]] const int* formats() const noexcept { return formats_.data(); }
  [[nodiscard]] bool is_blob(std::size_t index) const noexcept { return formats_[index] == 1; }

 private:
  std::vector<std::string> rendered_;  // numbers as text; sized once, never reallocated
  std::vector<const char*> values_;    // nullptr is SQL NULL
  std::vector<int> lengths_;
  std::vector<int> formats_;  // 0 text, 1 binary
};

// A result value in text form, read as its column type: integers (int2/int4/int8/oid) and
// booleans (0/1) as integer, float4/float8 as real, bytea as blob, everything else (numeric
// included, which a double would round) as text. Throws anydb::DataError when the text does not
// read as its type.
[[nodiscard]] Value column_value(Oid type, const char* text, int length);

}  // namespace anydb::postgresql
