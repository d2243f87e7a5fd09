#pragma once

// Between anydb::Value and libpq's wire forms. Parameters go as text (type left for the server to
// infer, so that the text "7" binds to an integer column) except blobs, which go as binary bytea;
// results arrive as text and are read by column type.

#include <anydb/value.hpp>

#include <libpq-fe.h>

#include <array>
#include <cstddef>
#include <memory>
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
  Parameters(const Parameters&) = delete;  // the arrays may point into the object itself
  Parameters& operator=(const Parameters&) = delete;

  [[nodiscard]] int count() const noexcept { return static_cast<int>(count_); }
  [[nodiscard]] const char* const* values() const noexcept { return values_; }
  [[nodiscard]] const int* lengths() const noexcept { return lengths_; }
  [[nodiscard]] const int* formats() const noexcept { return formats_; }
  [[nodiscard]] bool is_blob(std::size_t index) const noexcept { return formats_[index] == 1; }

 private:
  // Up to `inline_count` parameters (every get-or-create of one key) are bound without a heap
  // allocation: four vectors cost more than the rest of the conversion.
  static constexpr std::size_t inline_count = 8;
  using Number = std::array<char, 32>;  // an integer or a double as text, NUL-terminated

  struct Inline {
    std::array<const char*, inline_count> values;
    std::array<int, inline_count> lengths;
    std::array<int, inline_count> formats;
    std::array<Number, inline_count> numbers;
  };
  struct Heap {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<Number> numbers;
  };

  std::size_t count_;
  Inline inline_;
  // Made only beyond inline_count parameters: four empty vectors built and destroyed on every
  // execution cost a tenth of a hit's conversion.
  std::unique_ptr<Heap> heap_;
  const char** values_ = nullptr;
  int* lengths_ = nullptr;
  int* formats_ = nullptr;  // 0 text, 1 binary
  Number* numbers_ = nullptr;
};

// A result value in text form, read as its column type: integers (int2/int4/int8/oid) and
// booleans (0/1) as integer, float4/float8 as real, bytea as blob, everything else (numeric
// included, which a double would round) as text. Throws anydb::DataError when the text does not
// read as its type. Appends the value to `out`.
void append_column_value(std::vector<Value>& out, Oid type, const char* text, int length);

}  // namespace anydb::postgresql
