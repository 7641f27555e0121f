#!/usr/bin/env bash
# Sustained ingest over loopback with durable acks: for each batch size, a fresh `citytwin serve`
# (synced RocksDB writes, i.e. without --no-sync) on a fresh data directory, loaded by ingest_load
# for a fixed time; one markdown table row per batch size with readings/s, ack latency, the
# server's peak RSS (VmHWM) and CPU. --long adds the memory run: batches of 1,000 for 10 minutes,
# the server's VmRSS sampled every 10 s. Each row also gives the server's CPU time per acknowledged
# reading (whole run, warm-up included), the figure least moved by other load on a shared machine.
#
# Usage: bench/ingest/run_ingest_benchmark.sh [options]
#   --build-dir DIR     build tree to use (default build-bench; configured and built unless --no-build)
#   --no-build          use the binaries already in --build-dir
#   --city DIR          city to serve (default data/tntp/Berlin-Friedrichshain)
#   --batch-sizes "..." batch sizes to run (default "1 100 1000")
#   --duration S        measured seconds per batch size (default 30; plus a 3 s warm-up)
#   --streams N         concurrent Ingest streams (default 4)
#   --window W          outstanding batches per stream (default 2)
#   --rate R            offer R readings/s, paced (default 0: as fast as the window allows); see ingest_load
#   --latency           the latency mode for issue 3's target (p99 ack under 20 ms at 200,000 readings/s):
#                       batches of 1,000 offered at a paced 200,000 readings/s (open load, latency from
#                       each batch's due time) on 4 streams x window 4; --rate, --streams, --window,
#                       --batch-sizes given as well override these
#   --repeats N         runs per batch size (default 1), one after another, each a fresh server; with
#                       --compare-analytics, off/on pairs per batch size
#   --long              also run the memory run
#   --long-duration S   length of the memory run (default 600)
#   --perf S            perf-record the server for S seconds in the middle of each run (needs perf)
#   --quiet-wait S      before each run, wait up to S s for other processes to leave the CPUs idle
#   --keep-data         keep each run's RocksDB directory (GBs; deleted after the run by default)
#   --out DIR           where data directories, logs, JSON and the table go (default bench/out/ingest)
#   --analytics on|off  the server's live analytics (anomalies, sensor health; default on, as serve)
#   --compare-analytics run each batch size with analytics off, then on, --repeats times, and print the
#                       slowdown of readings/s with analytics on (issue 9's target: under 10 %)
#   --no-sync           serve with --no-sync (no fsync per ack: CPU-bound, the harder case for analytics)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

build_dir=build-bench
do_build=1
city=data/tntp/Berlin-Friedrichshain
batch_sizes="1 100 1000"
duration=30
warmup=3
streams=4
window=2
long=0
long_duration=600
perf_seconds=0
quiet_wait=0
keep_data=0
rate=
latency=0
out=bench/out/ingest
analytics=on
compare=0
repeats=1
server_flags=()
given_batch_sizes= given_streams= given_window=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --city) city=$2; shift 2 ;;
    --batch-sizes) batch_sizes=$2; given_batch_sizes=1; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --streams) streams=$2; given_streams=1; shift 2 ;;
    --window) window=$2; given_window=1; shift 2 ;;
    --latency) latency=1; shift ;;
    --long) long=1; shift ;;
    --long-duration) long_duration=$2; shift 2 ;;
    --perf) perf_seconds=$2; shift 2 ;;
    --quiet-wait) quiet_wait=$2; shift 2 ;;
    --keep-data) keep_data=1; shift ;;
    --rate) rate=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --analytics) analytics=$2; shift 2 ;;
    --compare-analytics) compare=1; shift ;;
    --repeats) repeats=$2; shift 2 ;;
    --no-sync) server_flags+=(--no-sync); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)"; exit 2 ;;
  esac
done

if [[ $latency == 1 ]]; then
  [[ -n $rate ]] || rate=200000
  [[ -n $given_batch_sizes ]] || batch_sizes=1000
  [[ -n $given_streams ]] || streams=4
  [[ -n $given_window ]] || window=4
fi
rate=${rate:-0}

if [[ $do_build == 1 ]]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target citytwin ingest_load
fi
citytwin=$build_dir/clients/citytwin
load=$build_dir/bench/ingest/ingest_load
for b in "$citytwin" "$load"; do [[ -x $b ]] || { echo "error: $b not found; build first"; exit 1; }; done
mkdir -p "$out"
out=$(cd "$out" && pwd)

server_pid=""
sampler_pid=""
cleanup() {
  [[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null || true
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of the whole process
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }  # all CPUs, not idle

# wait_quiet: wait (at most $quiet_wait s) until the rest of the machine uses under 0.2 cores over 5 s,
# so that other work (compilers, tests) does not share the two cores with the benchmark.
wait_quiet() {
  [[ $quiet_wait -gt 0 ]] || return 0
  local deadline=$((SECONDS + quiet_wait)) b0 b1 hz
  hz=$(getconf CLK_TCK)
  while ((SECONDS < deadline)); do
    b0=$(busy_ticks); sleep 5; b1=$(busy_ticks)
    if (((b1 - b0) * 100 < 20 * 5 * hz)); then return 0; fi
  done
  echo "note: the machine did not become quiet within ${quiet_wait} s; running anyway (see the 'other CPU' column)"
}

# start_server NAME MODE: a fresh data directory and server with analytics MODE; sets server_pid and port.
start_server() {
  local name=$1 mode=$2
  local data=$out/data-$name
  rm -rf "$data" "$out/port-$name"
  "$citytwin" serve --city "$city" --grpc 127.0.0.1:0 --port-file "$out/port-$name" --data-dir "$data" \
    --analytics "$mode" ${server_flags[@]+"${server_flags[@]}"} >"$out/server-$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    [[ -s $out/port-$name ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/server-$name.log"; echo "error: the server died"; exit 1; }
    sleep 0.1
  done
  [[ -s $out/port-$name ]] || { echo "error: the server did not start within 60 s"; exit 1; }
  port=$(cat "$out/port-$name")
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

# sample_rss FILE: the server's VmRSS every 10 s, "seconds rss_kb", until killed.
sample_rss() {
  local file=$1 start=$SECONDS
  echo "# seconds vmrss_kb" >"$file"
  while kill -0 "$server_pid" 2>/dev/null; do
    echo "$((SECONDS - start)) $(status_kb "$server_pid" VmRSS)" >>"$file"
    sleep 10
  done
}

# run_one NAME BATCH DURATION REPORT_EVERY [MODE]: leaves $out/NAME.json, .meta, load-NAME.log, rss-NAME.txt and
# trace-NAME.tsv (every measured batch's due time and ack latency)
run_one() {
  local name=$1 batch=$2 secs=$3 every=$4 mode=${5:-$analytics}
  wait_quiet
  start_server "$name" "$mode"
  sample_rss "$out/rss-$name.txt" &
  sampler_pid=$!
  local hz ticks0 ticks1 busy0 busy1 t0 t1 perf_pid=""
  hz=$(getconf CLK_TCK)
  ticks0=$(cpu_ticks "$server_pid")
  busy0=$(busy_ticks)
  t0=$(date +%s.%N)
  if [[ $perf_seconds -gt 0 ]]; then
    ( sleep "$(( warmup + secs / 3 ))"
      perf record -F 499 -g -p "$server_pid" -o "$out/perf-$name.data" -- sleep "$perf_seconds" \
        >"$out/perf-$name.log" 2>&1 ) &
    perf_pid=$!
  fi
  /usr/bin/time -f "%e %U %S %M" -o "$out/client-$name.time" \
    "$load" --server "127.0.0.1:$port" --streams "$streams" --window "$window" --batch-size "$batch" \
    --duration "$secs" --warmup "$warmup" --label "$name" --json "$out/$name.json" --trace "$out/trace-$name.tsv" --report-every "$every" --rate "$rate" | tee "$out/load-$name.log" ||
    echo "warning: ingest_load reported a failure (rejections or a broken stream); see $out/load-$name.log"
  t1=$(date +%s.%N)
  ticks1=$(cpu_ticks "$server_pid")
  busy1=$(busy_ticks)
  [[ -n $perf_pid ]] && wait "$perf_pid"
  local hwm
  hwm=$(status_kb "$server_pid" VmHWM)
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  stop_server
  [[ $keep_data == 1 ]] || rm -rf "$out/data-$name"
  # server CPU and all CPU used on the machine, in % of one core over the whole load (warm-up included)
  local load1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  echo "$hwm $(awk -v a="$ticks0" -v b="$ticks1" -v c="$busy0" -v d="$busy1" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
    'BEGIN {printf "%.0f %.0f", 100 * (b - a) / hz / (t1 - t0), 100 * (d - c) / hz / (t1 - t0)}') $load1 $(((ticks1 - ticks0) * 1000 / hz))" >"$out/$name.meta"
}

machine() {
  local cpu mem
  cpu=$(awk -F: '/^model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
  echo "$(date -u +%Y-%m-%d), $cpu, $(nproc) cores, $mem, $(uname -r), data on $(df -T "$out" | awk 'NR == 2 {print $2}')"
}

row() {  # row NAME BATCH
  local name=$1 batch=$2 hwm cpu all load1 cpu_ms
  read -r hwm cpu all load1 cpu_ms <"$out/$name.meta"
  python3 - "$out/$name.json" "$batch" "$hwm" "$cpu" "$all" "$out/client-$name.time" "$cpu_ms" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
batch, hwm_kb, cpu, all_cpu = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
us_per_reading = 1000 * int(sys.argv[7]) / max(1, j["readings_total"])  # server CPU ms -> µs per acked reading
wall, user, sys_s, _ = open(sys.argv[6]).read().split()[-4:]
client_cpu = 100 * (float(user) + float(sys_s)) / float(wall)
other = max(0, all_cpu - cpu - client_cpu)
l = j["ack_latency_ms"]
rates = j.get("interval_readings_per_s") or []
trend = f"{rates[0]:,.0f} → {rates[-1]:,.0f}" if rates else "n/a"
print(f"| {batch:,} | {j['streams']} x {j['window']} | {j['readings_per_s']:,.0f} | {j['batches_per_s']:,.0f} | "
      f"{l['p50']:.2f} | {l['p90']:.2f} | {l['p99']:.2f} | {l['max']:.1f} | {j['rejected']} | "
      f"{hwm_kb / 1024:.0f} | {cpu} % | {us_per_reading:.2f} | {client_cpu:.0f} % | {other:.0f} % | {trend} |")
PY
}

table=$out/table.md
{
  echo "Machine: $(machine)"
  echo "City: $city; server: citytwin serve ($([[ ${#server_flags[@]} -gt 0 ]] && echo "--no-sync" || echo "synced writes"), analytics $([[ $compare == 1 ]] && echo "off vs on" || echo "$analytics")), time scale 1; load: $streams streams x window $window$([[ $rate != 0 ]] && echo ", offered $rate readings/s"), ${duration} s measured after ${warmup} s warm-up"
  echo
} >"$table"
[[ -n ${batch_sizes// /} ]] && {
  echo "| batch | streams x window | readings/s | batches/s | p50 ack (ms) | p90 (ms) | p99 (ms) | max (ms) | rejected | server peak RSS (MB) | server CPU | server µs/reading | client CPU | other CPU | readings/s first → last interval |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} >>"$table"
if [[ $compare == 1 ]]; then
  pairs=()
  for batch in $batch_sizes; do
    for r in $(seq 1 "$repeats"); do
      for mode in off on; do
        echo "== batch size $batch, analytics $mode ($r of $repeats)"
        run_one "batch$batch-$mode-$r" "$batch" "$duration" 10 "$mode"
        row "batch$batch-$mode-$r" "$batch" | sed "s/^| /| $mode · /" >>"$table"
      done
      pairs+=("$batch $out/batch$batch-off-$r.json $out/batch$batch-on-$r.json $out/batch$batch-off-$r.meta $out/batch$batch-on-$r.meta")
    done
  done
  {
    echo
    echo "Analytics on against off (readings/s; slowdown = 1 - on / off; load = 1-minute load average at the end of each run):"
    echo
    echo "| batch | off readings/s | on readings/s | slowdown | off p50 ack (ms) | on p50 ack (ms) | load off / on |"
    echo "|---:|---:|---:|---:|---:|---:|---|"
    for p in "${pairs[@]}"; do
      # shellcheck disable=SC2086
      python3 - $p <<'PY'
import json, sys
batch, off, on, off_meta, on_meta = sys.argv[1:6]
a, b = json.load(open(off)), json.load(open(on))
la, lb = open(off_meta).read().split()[3], open(on_meta).read().split()[3]
slow = 1 - b["readings_per_s"] / a["readings_per_s"]
print(f"| {int(batch):,} | {a['readings_per_s']:,.0f} | {b['readings_per_s']:,.0f} | {100 * slow:+.1f} % | "
      f"{a['ack_latency_ms']['p50']:.2f} | {b['ack_latency_ms']['p50']:.2f} | {la} / {lb} |")
PY
    done
  } >>"$table"
else
  for batch in $batch_sizes; do
    for r in $(seq 1 "$repeats"); do
      name=batch$batch
      if [[ $repeats -gt 1 ]]; then name+="-$r"; fi
      echo "== batch size $batch ($r of $repeats)"
      run_one "$name" "$batch" "$duration" 10
      row "$name" "$batch" >>"$table"
    done
  done
fi

if [[ $long == 1 ]]; then
  echo "== memory run: batch size 1000 for $long_duration s"
  run_one long 1000 "$long_duration" 60
  {
    echo
    echo "Memory run (${long_duration} s, batch 1,000):"
    echo
    echo "| batch | streams x window | readings/s | batches/s | p50 ack (ms) | p90 (ms) | p99 (ms) | max (ms) | rejected | server peak RSS (MB) | server CPU | server µs/reading | client CPU | other CPU | readings/s first → last interval |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    row long 1000
    echo
    awk '!/^#/ {t[n] = $1; r[n] = $2; n++}
         END {
           printf "server VmRSS every 10 s (MB): ";
           for (i = 0; i < n; i++) printf "%s%.0f", (i ? " " : ""), r[i] / 1024;
           printf "\n";
           a = -1; b = -1;  # after the first minute vs. the last sample
           for (i = 0; i < n; i++) if (t[i] >= 60 && a < 0) a = i;
           if (a >= 0) printf "VmRSS at %d s: %.0f MB; at %d s: %.0f MB (%+.1f %%)\n", t[a], r[a] / 1024, t[n-1], r[n-1] / 1024, 100 * (r[n-1] - r[a]) / r[a];
         }' "$out/rss-long.txt"
  } >>"$table"
fi

echo
cat "$table"
