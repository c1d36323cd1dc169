# Shared by compare.sh and cross-node.sh (sourced, not run).

# Waits up to 10 s for something to listen on 127.0.0.1:$1; exits the script otherwise.
wait_for_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listening on port $1" >&2; exit 1
}

# Stops a process this script started (SIGTERM, then waits for it), if it still runs.
stop_pid() {
  if [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; then
    kill "$1"; wait "$1" 2>/dev/null || true
  fi
}
