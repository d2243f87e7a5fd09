# Shared by the scripts/with-*.sh wrappers, sourced after they set `me` (their name, for
# messages). Not a command of its own.

# die MESSAGE [LOG]: one line "me: MESSAGE" on stderr (plus the last lines of LOG when it has
# any), then exit 1: a server that cannot start is a failure, never a silent skip.
die() {
  printf '%s: %s\n' "$me" "$1" >&2
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    printf '%s: last lines of %s:\n' "$me" "$2" >&2
    tail -n 20 "$2" | sed 's/^/    /' >&2
  fi
  exit 1
}

# require_command "$@": a wrapper runs CMD [ARG...]; without one, print its usage and exit 2.
require_command() {
  if [ "$#" -eq 0 ]; then
    printf 'usage: %s CMD [ARG...]\n' "$me" >&2
    exit 2
  fi
}

# free_port: a TCP port of 127.0.0.1 that is free when asked (the kernel's pick through
# python3; without python3, the first port from a random start that refuses a connection).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for ((port = 40000 + RANDOM % 20000; port < 65000; port++)); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return
    fi
  done
  return 1
}

# watch_over DIR: no trap runs when a wrapper is killed with SIGKILL, which is what CTest does
# when a test runs out of time, and the servers it started (daemons of their own) would outlive
# it. A watchdog in a session of its own, away from the killed process group, waits for the
# wrapper to end, then kills every process whose command line names DIR (each server is started
# with its data or configuration under DIR) and removes DIR. After a normal end the EXIT trap
# has done both already and the watchdog finds nothing. DIR reaches the watchdog through its
# environment: in its own command line, pkill would find the watchdog itself.
watch_over() {
  command -v setsid >/dev/null 2>&1 && command -v pkill >/dev/null 2>&1 || return 0
  # shellcheck disable=SC2016  # the watchdog's own variables
  WATCHED_DIR=$1 setsid bash -c '
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    pkill -KILL -f -- "$WATCHED_DIR" || true
    rm -rf "$WATCHED_DIR"' watchdog "$$" </dev/null >/dev/null 2>&1 &
}
