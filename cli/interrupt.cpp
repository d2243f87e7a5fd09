#include "interrupt.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <signal.h>
#include <unistd.h>

namespace anydb::cli {

namespace {

// Lock-free, hence safe to use from a signal handler.
std::atomic<int> stop_signal{0};   // the signal that asked for a clean stop
std::atomic<int> abort_signal{0};  // the signal that asked to end at once
static_assert(std::atomic<int>::is_always_lock_free);

struct sigaction previous_int {};
struct sigaction previous_term {};

extern "C" void on_signal(int number) {
  if (abort_signal.load(std::memory_order_relaxed) != 0) ::_exit(128 + number);
  if (number == SIGTERM || stop_signal.load(std::memory_order_relaxed) != 0)
    abort_signal.store(number, std::memory_order_relaxed);
  else
    stop_signal.store(number, std::memory_order_relaxed);
}

int requesting_signal() noexcept {
  const int aborting = abort_signal.load(std::memory_order_relaxed);
  return aborting != 0 ? aborting : stop_signal.load(std::memory_order_relaxed);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  stop_signal.store(0);
  abort_signal.store(0);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocking call in the thread that takes the signal returns EINTR and looks
  // at the flags.
  action.sa_flags = 0;
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

bool interrupt_requested() noexcept { return requesting_signal() != 0; }

bool abort_requested() noexcept { return abort_signal.load(std::memory_order_relaxed) != 0; }

int interrupt_exit_status() noexcept {
  const int number = requesting_signal();
  return 128 + (number != 0 ? number : SIGINT);
}

const char* interrupt_signal_name() noexcept {
  return requesting_signal() == SIGTERM ? "SIGTERM" : "SIGINT";
}

void exit_now(int status) noexcept {
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(status);
}

}  // namespace anydb::cli
