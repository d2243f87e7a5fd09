#pragma once

// The body of an expect { } block (parser.cpp reads the block, this reads its entries):
//   step[#n] [blocks] [result{|result}] [=value] {after|before step[#n]}
// separated by ',', ';' or new lines, with "#" comments. See docs/conformance.md.

#include "spec.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace anydb::conformance::isolation {

// Throws SpecError naming `file` and the line (`first_line` is where the body starts).
[[nodiscard]] std::vector<ExpectEntry> parse_expect_entries(const std::string& body,
                                                            std::string_view file, int first_line);

}  // namespace anydb::conformance::isolation
