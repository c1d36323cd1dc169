#!/usr/bin/env bash
# Runs one load preset against the hub, the Node `ws` reference server and the minimal Netty
# broadcast server, each twice, one after the other on this machine, and prints the figures side
# by side with the hub's ratios of deliveries/s and of server CPU microseconds per delivery.
# Extra load options may sweep: compare.sh fanout-max --subs 100,1000,10000 --size 64,1024,16384
#
#   mvn -q package -DskipTests          # builds hub-server.jar and hub-bench.jar
#   hub-bench/compare.sh fanout-max [extra hub-bench load options, e.g. --duration 20]
#
# Results (JSON per run) go to hub-bench/results/<date>-<preset>/.
#
# The reference servers buffer without limit; the hub runs with per-connection queues of
# 16384 messages / 16 MiB so that max-rate windows do not trip its slow-consumer policy.
# HUB_FLAGS overrides that (HUB_FLAGS="" runs the hub with its defaults: 1024 / 1 MiB).
# SERVERS picks which servers run, in order (default "hub node netty"; e.g. SERVERS="hub netty").
# BENCH_JAR runs another build's load generator (e.g. an older one, to compare generators).
# PORT_BASE moves the ports (default 18080: hub on it, netty on +10, node on +11), for a machine
# where something else listens there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:?usage: compare.sh PRESET [load options]}
shift
load_args=("$@")
hub_jar=$root/hub-server/target/hub-server.jar
bench_jar=$root/hub-bench/target/hub-bench.jar
generator_jar=${BENCH_JAR:-$bench_jar}
[[ -f $hub_jar && -f $bench_jar ]] || { echo "build first: mvn -q package -DskipTests" >&2; exit 2; }
out=$root/hub-bench/results/$(date +%Y%m%d-%H%M%S)-$preset
mkdir -p "$out"
[[ " ${SERVERS:-hub node netty} " != *" node "* ]] || (cd "$root/hub-bench/peers/node-ws" && npm ci --no-audit --no-fund --silent)

source "$root/hub-bench/lib.sh"
server_pid=
stop_server() {
  stop_pid "$server_pid"
  server_pid=
}
trap stop_server EXIT

run() { # name port url-path command...
  local name=$1 port=$2 path=$3; shift 3
  "$@" > "$out/$name-server.log" 2>&1 &
  server_pid=$!
  wait_for_port "$port"
  kill -0 "$server_pid" 2>/dev/null || { echo "$name did not start (see $out/$name-server.log)" >&2; exit 1; }
  for i in 1 2; do
    java -jar "$generator_jar" load --url "ws://127.0.0.1:$port$path" --preset "$preset" --label "$name" \
         --server-pid "$server_pid" --json "$out/$name-$i.json" ${load_args[@]+"${load_args[@]}"} \
         2>"$out/$name-$i.progress" | tail -n 1 | tee -a "$out/table.txt" \
         || echo "$name run $i: the generator reported no delivery (see $out/$name-$i.progress)" | tee -a "$out/table.txt"
  done
  stop_server
}

# Extra arguments go to the load generator only.
read -r -a hub_flags <<< "${HUB_FLAGS---queue-max-messages 16384 --queue-max-bytes 16777216}"
hub_port=${PORT_BASE:-18080}; netty_port=$((hub_port + 10)); node_port=$((hub_port + 11))
for server in ${SERVERS:-hub node netty}; do
  case $server in
    hub)   run hub   "$hub_port" /ws/bench java -jar "$hub_jar" --host 127.0.0.1 --port "$hub_port" ${hub_flags[@]+"${hub_flags[@]}"} ;;
    node)  run node  "$node_port" /       node "$root/hub-bench/peers/node-ws/server.js" "$node_port" ;;
    netty) run netty "$netty_port" /      java -cp "$bench_jar" io.reactivehub.bench.BenchCommand netty-server --port "$netty_port" ;;
    *)     echo "unknown server '$server' (hub, node, netty)" >&2; exit 2 ;;
  esac
done

echo
# Per scenario: each server's best deliveries/s and lowest CPU per delivery, and the hub's ratios.
servers=$(echo "${SERVERS:-hub node netty}" | tr ' ' ',')
java -cp "$bench_jar" io.reactivehub.bench.BenchCommand compare --servers "$servers" "$out" | tee "$out/compare.txt"
echo "results in $out"
