#!/usr/bin/env bash
# Cross-node fan-out through Redis: starts a redis-server of its own (free port, nothing on disk),
# two hub nodes sharing channels through it, and runs one load preset three ways:
#   local  - one node, in-process broker (the single-node figure)
#   redis1 - one node with --redis (publishers and subscribers on the same node, via Redis)
#   cross  - subscribers on node B, publishers on node A (every message crosses Redis)
#
#   mvn -q package -DskipTests
#   hub-bench/cross-node.sh fanout-max [extra hub-bench load options, e.g. --duration 20]
#
# Needs redis-server on PATH. Results (JSON per run) go to hub-bench/results/<date>-cross-<preset>/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:?usage: cross-node.sh PRESET [load options]}
shift
load_args=("$@")
hub_jar=$root/hub-server/target/hub-server.jar
bench_jar=$root/hub-bench/target/hub-bench.jar
[[ -f $hub_jar && -f $bench_jar ]] || { echo "build first: mvn -q package -DskipTests" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "needs redis-server on PATH" >&2; exit 2; }
out=$root/hub-bench/results/$(date +%Y%m%d-%H%M%S)-cross-$preset
mkdir -p "$out"
read -r -a hub_flags <<< "${HUB_FLAGS---queue-max-messages 16384 --queue-max-bytes 16777216}"

source "$root/hub-bench/lib.sh"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
}
trap stop_all EXIT

redis_port=$(( 20000 + RANDOM % 20000 ))
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$out/redis.log" 2>&1 &
pids+=($!)
wait_for_port "$redis_port"

node() { # port [more serve flags]
  local port=$1; shift
  java -jar "$hub_jar" --host 127.0.0.1 --port "$port" ${hub_flags[@]+"${hub_flags[@]}"} "$@" > "$out/node-$port.log" 2>&1 &
  pids+=($!)
  wait_for_port "$port"
  last_pid=$!
}

load() { # name sub-port pub-port server-pid
  java -jar "$bench_jar" load --url "ws://127.0.0.1:$2/ws/bench" --publish-url "ws://127.0.0.1:$3/ws/bench" \
       --preset "$preset" --label "$1" --server-pid "$4" --json "$out/$1.json" ${load_args[@]+"${load_args[@]}"} \
       2>"$out/$1.progress" | tail -n 1 | tee -a "$out/table.txt"
}

node 18081; local_pid=$last_pid
load local 18081 18081 "$local_pid"
stop_pid "$local_pid"
node 18081 --redis "redis://127.0.0.1:$redis_port"
node 18082 --redis "redis://127.0.0.1:$redis_port"; b_pid=$last_pid
load redis1 18082 18082 "$b_pid"
load cross 18082 18081 "$b_pid"
echo "server CPU/RSS columns are node B's (the subscribers' node); results in $out"
