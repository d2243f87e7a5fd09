#pragma once

// Waiting for the server without ever waiting forever. The connection runs in libpq's
// nonblocking mode; a command is sent with a PQsend* function, then these helpers flush it and
// read its results with poll() on PQsocket, so that a server that stops answering (a hung host,
// a dropped network, a stopped process) ends the wait after a bounded silence instead of
// blocking the caller for good. No busy loop: the thread sleeps in poll() until the socket is
// ready or the silence limit is reached.

#include "handle.hpp"

#include <libpq-fe.h>

#include <chrono>

namespace anydb::postgresql {

// How long the server may stay silent: zero waits forever. The clock restarts whenever the
// socket becomes ready, so a long result that keeps arriving is never cut off.
using SilenceLimit = std::chrono::seconds;

// What a command sent with PQsend* produced, as PQexec would return it: the last result, or
// the first error, or a COPY result (the caller must end the COPY). Null with `timed_out` false
// when libpq produced no result (a broken connection: PQerrorMessage says why). With
// `timed_out` true the server stayed silent for `limit`; the connection is then in an unknown
// state and must be closed.
struct Reply {
  ResultHandle result;
  bool timed_out = false;
};
[[nodiscard]] Reply await_reply(PGconn* conn, SilenceLimit limit);

// Sends what libpq has buffered. False when the server stopped reading for `limit`.
[[nodiscard]] bool flush_output(PGconn* conn, SilenceLimit limit);
// Waits until a result can be read without blocking (PQisBusy false). False on a timeout.
[[nodiscard]] bool wait_until_ready(PGconn* conn, SilenceLimit limit);

// Asks the server, over a connection of its own, to cancel what `conn` runs (PQcancel). Best
// effort and bounded: the request runs on a thread of its own, and the caller waits for it at
// most `wait`; a request still connecting then goes on alone (to a host that is not there, a
// TCP connect can take minutes) and the plugin is kept loaded until the process ends, so that
// the thread's code stays mapped. Never throws.
void cancel_in_background(PGconn* conn, std::chrono::milliseconds wait) noexcept;

}  // namespace anydb::postgresql
