#pragma once

namespace anydb::cli {

// SIGINT and SIGTERM while a command works on keys. While an InterruptGuard lives:
//   - the first SIGINT (Ctrl-C) asks for a clean stop: no new keys are started, the keys in
//     hand finish, and the command prints what it did (interrupt_requested());
//   - a second SIGINT, or a SIGTERM, asks to end at once (abort_requested()): the command prints
//     a summary of what was done and exits without waiting for the keys in hand, whose
//     transactions the database rolls back when their connections close. A worker may be
//     blocked in a call that does not return (a hung server), so nothing waits for it;
//   - one more signal after that exits on the spot from the handler, in case the thread that
//     should have acted on the first two is itself stuck.
// The destructor restores the previous handlers.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// True once a stop or an abort was asked for. Async-signal-safe.
[[nodiscard]] bool interrupt_requested() noexcept;
// True once a second SIGINT or a SIGTERM arrived. Async-signal-safe.
[[nodiscard]] bool abort_requested() noexcept;
// The exit status that reports the signal that asked to stop: 128 + its number (130 for
// SIGINT, 143 for SIGTERM), as a shell reports a process that the signal killed.
[[nodiscard]] int interrupt_exit_status() noexcept;
// The signal's name for messages: "SIGINT" or "SIGTERM".
[[nodiscard]] const char* interrupt_signal_name() noexcept;

// Flushes stdout and stderr and ends the process at once with `status`, without running
// destructors or joining threads that may be blocked.
[[noreturn]] void exit_now(int status) noexcept;

}  // namespace anydb::cli
