#include "wait.hpp"

#include <dlfcn.h>
#include <poll.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace anydb::postgresql {
namespace {

// Waits for `events` on the connection's socket. False when nothing happened for `limit`. A
// socket that is gone or a poll() that fails counts as ready: the next libpq call reports it.
[[nodiscard]] bool wait_socket(PGconn* conn, short events, SilenceLimit limit, short& revents) {
  revents = 0;
  const int socket = PQsocket(conn);
  if (socket < 0) return true;
  using Clock = std::chrono::steady_clock;
  const bool forever = limit.count() == 0;
  // One clock read per wait, none after it: the first poll() waits the whole limit, and only a
  // poll() that a signal interrupted needs what is left of it.
  const Clock::time_point deadline = forever ? Clock::time_point() : Clock::now() + limit;
  for (bool first = true;; first = false) {
    int timeout_ms = -1;
    if (!forever) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                            first ? Clock::duration(limit) : deadline - Clock::now())
                            .count();
      if (left <= 0) return false;
      timeout_ms = static_cast<int>(left);
    }
    pollfd watched{socket, events, 0};
    const int ready = ::poll(&watched, 1, timeout_ms);
    if (ready > 0) {
      revents = watched.revents;
      return true;
    }
    if (ready == 0) return false;
    if (errno != EINTR) return true;
  }
}

[[nodiscard]] bool is_copy(ExecStatusType status) noexcept {
  return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

[[nodiscard]] bool is_error(const PGresult* result) noexcept {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE;
}

// Keeps the plugin (and libpq with it) mapped until the process ends: a detached thread may
// still be running its code when the last connection and the loader let go of it.
void pin_this_plugin() noexcept {
  static std::once_flag pinned;
  std::call_once(pinned, [] {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&pin_this_plugin), &info) == 0 ||
        info.dli_fname == nullptr)
      return;
    // RTLD_NOLOAD: only marks the library that is loaded already; the handle is kept on
    // purpose, never closed.
    (void)::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  });
}

struct CancelRequest {
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
};

}  // namespace

bool flush_output(PGconn* conn, SilenceLimit limit) {
  for (;;) {
    const int pending = PQflush(conn);
    if (pending <= 0) return true;  // all sent, or failed: PQgetResult reports a failure
    short revents = 0;
    if (!wait_socket(conn, POLLIN | POLLOUT, limit, revents)) return false;
    // The server may be sending while it stops reading (notices, an early error): read, or
    // both sides wait for each other.
    if ((revents & POLLIN) != 0 && PQconsumeInput(conn) == 0) return true;
  }
}

bool wait_until_ready(PGconn* conn, SilenceLimit limit) {
  while (PQisBusy(conn) != 0) {
    short revents = 0;
    if (!wait_socket(conn, POLLIN, limit, revents)) return false;
    if (PQconsumeInput(conn) == 0) return true;  // broken: PQgetResult says so
  }
  return true;
}

Reply await_reply(PGconn* conn, SilenceLimit limit) {
  Reply reply;
  if (!flush_output(conn, limit)) {
    reply.timed_out = true;
    return reply;
  }
  for (;;) {
    if (!wait_until_ready(conn, limit)) {
      reply.result.reset();
      reply.timed_out = true;
      return reply;
    }
    ResultHandle next(PQgetResult(conn));
    if (!next) return reply;
    if (is_copy(PQresultStatus(next.get()))) {
      reply.result = std::move(next);
      return reply;
    }
    // PQexec's rule: the last result, but an error wins (a script stops at its first error).
    if (!reply.result || !is_error(reply.result.get())) reply.result = std::move(next);
    if (PQstatus(conn) == CONNECTION_BAD) return reply;
  }
}

void cancel_in_background(PGconn* conn, std::chrono::milliseconds wait) noexcept {
  if (conn == nullptr) return;
  try {
    // The PGcancel is a copy of what it needs (address, key): it outlives `conn`.
    std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel(PQgetCancel(conn), &PQfreeCancel);
    if (!cancel) return;
    auto request = std::make_shared<CancelRequest>();
    pin_this_plugin();
    std::thread([request, cancel = std::move(cancel)] {
      char why[256];
      (void)PQcancel(cancel.get(), why, static_cast<int>(sizeof why));
      const std::lock_guard lock(request->mutex);
      request->done = true;
      request->done_signal.notify_all();
    }).detach();
    std::unique_lock lock(request->mutex);
    (void)request->done_signal.wait_for(lock, wait, [&] { return request->done; });
  } catch (...) {
    // No thread, no memory: the query goes on until the server notices the closed socket.
  }
}

}  // namespace anydb::postgresql
