#!/usr/bin/env bash
# Starts three `citytwin node` processes on loopback ports N times (all at once, Sioux Falls, 3 h at
# demand 0.5) and counts the starts in which node 0 has not begun its windows within the wait: the
# check behind "one connection per node pair" in the README's cluster section.
# Usage: bench/cluster/repeat_starts.sh [starts, default 40] [wait seconds, default 60]
# Env: CITYTWIN_BIN (default build/clients/citytwin).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${CITYTWIN_BIN:-build/clients/citytwin}
starts=${1:-40}
wait_s=${2:-60}
[[ -x "$bin" ]] || { echo "error: $bin not found; build first (cmake --build build --target citytwin)"; exit 1; }
out=bench/out/cluster/repeat_starts
mkdir -p "$out"
city=$(realpath data/tntp/SiouxFalls)
hung=0
for ((n = 1; n <= starts; n++)); do
  base=$((20000 + RANDOM % 12000))  # below the kernel's ephemeral range (32768+), where a port can be taken
  cat > "$out/cluster.json" <<JSON
{"city": "$city", "connect_timeout_s": 60, "nodes": [
  {"id": 0, "host": "127.0.0.1", "port": $base}, {"id": 1, "host": "127.0.0.1", "port": $((base + 1))},
  {"id": 2, "host": "127.0.0.1", "port": $((base + 2))}],
 "scenario": {"seed": 7, "duration": "3h", "demand_scale": 0.5}}
JSON
  pids=()
  for i in 2 1 0; do
    "$bin" node --cluster "$out/cluster.json" --id "$i" > "$out/node$i.log" 2>&1 &
    pids+=($!)
  done
  started=no
  for ((t = 0; t < wait_s * 10; t++)); do
    if grep -q simulating "$out/node0.log"; then started=yes; break; fi
    sleep 0.1
  done
  if [[ $started == no ]]; then
    hung=$((hung + 1))
    for i in 0 1 2; do cp "$out/node$i.log" "$out/hung_${n}_node$i.log"; done
    echo "start $n: node 0 did not begin its windows within ${wait_s} s (log: $out/hung_${n}_node0.log)"
  fi
  kill -9 "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
done
echo "starts: $starts, hung: $hung"
