#pragma once

namespace anydb::cli {

// Ctrl-C handling for bulk mode. While an InterruptGuard lives, the first SIGINT or SIGTERM only
// sets a flag (the run then stops cleanly); the handler resets itself, so a second signal kills
// the process the usual way. The destructor restores the previous handlers.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// True once SIGINT or SIGTERM arrived while an InterruptGuard was installed. Async-signal-safe.
[[nodiscard]] bool interrupt_requested() noexcept;

}  // namespace anydb::cli
