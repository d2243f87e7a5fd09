#pragma once

#include <cstddef>
#include <string_view>

namespace anydb::detail {

// The length of the well-formed UTF-8 sequence starting at text[pos], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are rejected).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept;

[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace anydb::detail
