#pragma once

#include "bulk_state.hpp"

#include <string>

namespace anydb::cli::bulk {

// "ETA m:ss" (or h:mm:ss) for a run that has done `fraction_done` of its work in `seconds`;
// "ETA --:--" while nothing is done.
[[nodiscard]] std::string eta_text(double fraction_done, double seconds);

// The progress line: keys done (of how many, when known), rate, time left (when the input's size
// is known), errors.
[[nodiscard]] std::string progress_text(const Shared& shared, const InputFile& input,
                                        double seconds);
// How a run ended: every key read was handed to a worker; a first Ctrl-C stopped it cleanly;
// a second Ctrl-C or a SIGTERM ended it at once, abandoning the keys in hand.
enum class Ending { completed, interrupted, terminated };

// The closing summary, as text on stderr or as one JSON line on stdout (--format json).
void print_summary(const Shared& shared, double seconds, Ending ending,
                   const std::string& read_error);

}  // namespace anydb::cli::bulk
