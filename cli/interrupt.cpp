#include "interrupt.hpp"

#include <atomic>
#include <csignal>

#include <signal.h>

namespace anydb::cli {

namespace {

// Lock-free, hence safe to store from a signal handler.
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

struct sigaction previous_int {};
struct sigaction previous_term {};

extern "C" void on_interrupt(int) { interrupted.store(true, std::memory_order_relaxed); }

}  // namespace

InterruptGuard::InterruptGuard() {
  interrupted.store(false);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocking call in the thread that takes the signal returns EINTR and looks
  // at the flag. SA_RESETHAND: the second Ctrl-C gets the default action and ends the process.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

bool interrupt_requested() noexcept { return interrupted.load(std::memory_order_relaxed); }

}  // namespace anydb::cli
