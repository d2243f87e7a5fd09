# Sourced by the benchmark scripts that count what the PostgreSQL server started by
# scripts/with-postgres.sh spends: its postmaster's CPU and that of the server processes it has
# reaped (every session's), from /proc.

# Clock ticks (getconf CLK_TCK a second) of CPU the postmaster and its reaped children used;
# nothing when there is no server to read.
pg_server_ticks() {
  local pid_file="${ANYDB_TEST_PG_SOCKET_DIR:-}/data/postmaster.pid"
  [ -r "$pid_file" ] || return 0
  # utime + stime + cutime + cstime (fields 14-17 of /proc/PID/stat).
  awk '{print $14 + $15 + $16 + $17}' "/proc/$(head -1 "$pid_file")/stat"
}

# A session's server process ends, and is counted, a moment after its client: a pause before
# each reading keeps the sessions of one run out of the next one's count.
pg_server_settle() {
  sleep 1
}
