#!/usr/bin/env bash
# The cluster benchmark: one city on 1, 2 and 3 `citytwin node` processes on this machine (loopback
# ports), the same scenario each time. Prints a Markdown table: wall time, messages crossing
# processes per simulated second, the partition's edge cut, the ratio to the 1-process run, and
# whether every run reported the same KPIs (they must: a cluster gives a single process's answers).
# Usage: bench/cluster/run_cluster_benchmark.sh [city] [duration] [demand_scale] [trips_per_hour]
#   defaults: data/tntp/Berlin-Center 1h 1.0 0 (the full trip table for one hour, plus clearing)
#   size case: data/tntp/Sydney 10m 1.0 30000 (75,379 links; no trip table, so synthetic trips per hour)
# Env: CITYTWIN_BIN (default build/clients/citytwin), PROCESSES (default "1 2 3"), THREADS per node (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${CITYTWIN_BIN:-build/clients/citytwin}
city=$(realpath "${1:-data/tntp/Berlin-Center}")
duration=${2:-1h}
demand_scale=${3:-1.0}
trips_per_hour=${4:-0}
processes=${PROCESSES:-1 2 3}
threads=${THREADS:-1}
name=$(basename "$city")
out=bench/out/cluster/$name
mkdir -p "$out"
[[ -x "$bin" ]] || { echo "error: $bin not found; build first (cmake --build build --target citytwin)"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for p in $processes; do
  config=$out/cluster_$p.json
  nodes=""
  for ((i = 0; i < p; i++)); do nodes+="${nodes:+, }{\"id\": $i, \"host\": \"127.0.0.1\", \"port\": $(free_port)}"; done
  cat > "$config" <<JSON
{"city": "$city", "connect_timeout_s": 300, "heartbeat_timeout_s": 60, "nodes": [$nodes],
 "scenario": {"seed": 1, "duration": "$duration", "demand_scale": $demand_scale, "trips_per_hour": $trips_per_hour,
              "clear": true, "threads": $threads}}
JSON
  "$bin" partition --city "$city" --parts "$p" --json > "$out/partition_$p.json"
  echo "== $name on $p process(es), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  start=$(date +%s.%N)
  pids=()
  for ((i = p - 1; i >= 1; i--)); do
    "$bin" node --quiet --cluster "$config" --id "$i" > "$out/node${i}_$p.log" 2>&1 &
    pids+=($!)
  done
  /usr/bin/time -f "MAXRSS_KB %M" -o "$out/node0_$p.time" \
    "$bin" node --quiet --cluster "$config" --id 0 --report "$out/report_$p.json" > "$out/node0_$p.log" 2>&1
  for pid in "${pids[@]}"; do wait "$pid"; done
  end=$(date +%s.%N)
  echo "$start $end $(cut -d' ' -f1 /proc/loadavg)" > "$out/wall_$p.txt"
done

python3 - "$out" "$name" "$duration" "$demand_scale" "$trips_per_hour" "$threads" $processes <<'PY'
import json, sys, datetime, subprocess
out, name, duration, scale, tph, threads, *procs = sys.argv[1:]
rows, base = [], None
for p in procs:
    r = json.load(open(f"{out}/report_{p}.json"))
    part = json.load(open(f"{out}/partition_{p}.json"))
    start, end, load = open(f"{out}/wall_{p}.txt").read().split()
    rss = max(int(l.split()[1]) for l in open(f"{out}/node0_{p}.time") if l.startswith("MAXRSS_KB"))
    k, run = r["kpi"], r["run"]
    row = dict(p=int(p), wall=float(end) - float(start), run_wall=run["wall_time_s"], sim=k["simulated_seconds"],
               msgs=run.get("cross_node_messages", 0), batches=run.get("cross_node_batches", 0), windows=run["windows"],
               cut=part["edge_cut"], joins=part["cut_joins"], digest=r["kpi_digest"], arrived=k["arrived"],
               rss=rss / 1024, load=float(load))
    rows.append(row)
    base = base or row
same = all(r["digest"] == base["digest"] for r in rows)
print(f"\n### {name}: {duration} of demand (scale {scale}, synthetic trips/h {tph}) plus clearing, 1..{procs[-1]} processes "
      f"({datetime.date.today()}, {threads} scheduler thread(s) per node)\n")
print("| processes | wall time (s) | run wall (s) | ratio to 1 process | simulated s | windows | messages across processes | "
      "per simulated s | batches | edge cut (capacity) | cut joins | node 0 peak MB | load avg after |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['p']} | {r['wall']:.1f} | {r['run_wall']:.1f} | {r['wall'] / base['wall']:.2f} | {r['sim']:,.0f} | {r['windows']:,} | "
          f"{r['msgs']:,} | {r['msgs'] / r['sim']:,.1f} | {r['batches']:,} | {r['cut']:,} | {r['joins']:,} | {r['rss']:.0f} | {r['load']:.2f} |")
print(f"\nKPI digest identical across process counts: {'yes' if same else 'NO'} ({base['digest']}); trips arrived {base['arrived']:,}.")
PY
