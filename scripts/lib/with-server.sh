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
