#!/usr/bin/env bash
# idle-heap.sh JAR LABEL: live heap (after full GC) and RSS with 0 and 10,000 idle raw connections.
JAR=$1; LABEL=$2; PORT=18091
java $JVM_OPTS -jar "$JAR" --port $PORT --host 127.0.0.1 > ${TMPDIR:-/tmp}/idle-$LABEL.log 2>&1 &
SP=$!
sleep 4
live() { jcmd $SP GC.class_histogram | tail -1 | awk '{print $3}'; }
rss() { grep VmRSS /proc/$SP/status | awk '{print $2}'; }
# G1 gives memory back after a collection in the background: read RSS a few seconds after it.
L0=$(live); sleep 5; R0=$(rss)
timeout 120 java -jar "$(dirname "$0")/target/hub-bench.jar" load --url ws://127.0.0.1:$PORT/ws/idle --subs 10000 --pubs 0 --duration 35 --warmup 1 > ${TMPDIR:-/tmp}/idle-bench-$LABEL.log 2>&1 &
BP=$!
for i in $(seq 1 60); do
  n=$(ls /proc/$SP/fd | wc -l); [ "$n" -ge 10000 ] && break; sleep 1; done
sleep 3
L1=$(live); sleep 5; R1=$(rss)
echo "$LABEL live heap per connection: $(( (L1-L0)/10000 )) B; RSS per connection: $(( (R1-R0)*1024/10000 )) B (fds $(ls /proc/$SP/fd | wc -l))"
wait $BP
kill $SP; wait $SP 2>/dev/null
