#pragma once

#include "bulk_state.hpp"

#include <string>

namespace anydb::cli::bulk {

// The progress line: keys done (of how many, when known), rate, errors.
[[nodiscard]] std::string progress_text(const Shared& shared, const InputFile& input,
                                        double seconds);
// The closing summary, as text on stderr or as one JSON line on stdout (--format json).
void print_summary(const Shared& shared, double seconds, bool interrupted,
                   const std::string& read_error);

}  // namespace anydb::cli::bulk
