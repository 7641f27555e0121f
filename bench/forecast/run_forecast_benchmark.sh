#!/usr/bin/env bash
# What the rolling forecast costs on a city (issue 9): `citytwin serve` live at the given time scale,
# first with --forecast off, then on, each for --run-for seconds of wall time. Every 5 s the live
# twin's lag and pace are read from /metrics; at the end the forecast's runs, skips and wall time per
# run. One markdown table row per run: what forecasting costs, and whether the live twin kept pace.
#
# Usage: bench/forecast/run_forecast_benchmark.sh [options]
#   --build-dir DIR       build tree with clients/citytwin (default build)
#   --city DIR            city to serve (default data/tntp/Berlin-Center)
#   --run-for S           wall seconds per run (default 420)
#   --every D             --forecast-every (default 2m: several forecasts in a short run)
#   --horizon D           --forecast-horizon (default 30m)
#   --time-scale X        simulated seconds per wall second (default 1)
#   --out DIR             logs and data directories (default bench/out/forecast)
set -euo pipefail
cd "$(dirname "$0")/../.."

build_dir=build
city=data/tntp/Berlin-Center
run_for=420
every=2m
horizon=30m
time_scale=1
out=bench/out/forecast
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --city) city=$2; shift 2 ;;
    --run-for) run_for=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --horizon) horizon=$2; shift 2 ;;
    --time-scale) time_scale=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)"; exit 2 ;;
  esac
done
citytwin=$build_dir/clients/citytwin
[[ -x $citytwin ]] || { echo "error: $citytwin not found; build first (cmake --build $build_dir --target citytwin)"; exit 2; }
mkdir -p "$out"
hz=$(getconf CLK_TCK)

metric() { awk -v name="$1" '$1 == name {print $2}' "$2"; }

# One run; prints its table row.
run() {
  local forecast=$1 dir=$out/forecast-$1
  rm -rf "$dir" && mkdir -p "$dir"
  "$citytwin" serve --city "$city" --grpc 127.0.0.1:0 --port-file "$dir/port" --data-dir "$dir/data" \
    --metrics 127.0.0.1:0 --metrics-port-file "$dir/metrics-port" --time-scale "$time_scale" \
    --forecast "$forecast" --forecast-every "$every" --forecast-horizon "$horizon" --run-for "${run_for}s" \
    >"$dir/serve.log" 2>&1 &
  local pid=$! start=$SECONDS
  for _ in $(seq 600); do [[ -s $dir/metrics-port ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  [[ -s $dir/metrics-port ]] || { echo "error: serve did not start; see $dir/serve.log" >&2; cat "$dir/serve.log" >&2; exit 1; }
  local url="http://127.0.0.1:$(cat "$dir/metrics-port")/metrics" max_lag=0 min_pace=1e9 ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    if curl -fs "$url" >"$dir/metrics.txt.new" 2>/dev/null; then
      mv "$dir/metrics.txt.new" "$dir/metrics.txt"
      max_lag=$(awk -v a="$max_lag" -v b="$(metric citytwin_live_lag_seconds "$dir/metrics.txt")" 'BEGIN {print (b > a ? b : a)}')
      min_pace=$(awk -v a="$min_pace" -v b="$(metric citytwin_live_simulated_seconds_per_wall_second "$dir/metrics.txt")" \
        'BEGIN {print (b != "" && b > 0 && b < a ? b : a)}')  # 0 until the first window is done
      ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "$ticks")
      grep VmHWM "/proc/$pid/status" 2>/dev/null | awk '{print $2}' >"$dir/hwm" || true
    fi
    sleep 5
  done
  wait "$pid" || { echo "error: serve failed; see $dir/serve.log" >&2; exit 1; }
  local wall=$((SECONDS - start)) m=$dir/metrics.txt
  local runs skipped seconds
  runs=$(metric 'citytwin_forecast_runs_total{outcome="succeeded"}' "$m")
  skipped=$(metric citytwin_forecast_skipped_total "$m")
  seconds=$(metric citytwin_forecast_run_duration_seconds_sum "$m")
  awk -v f="$forecast" -v runs="${runs:-0}" -v skipped="${skipped:-0}" -v s="${seconds:-0}" -v h="$horizon" \
      -v lag="$max_lag" -v pace="$min_pace" -v ticks="$ticks" -v hz="$hz" -v wall="$wall" -v hwm="$(cat "$dir/hwm")" \
      -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    per = (runs > 0) ? sprintf("%.1f", s / runs) : "-"
    printf "| %s | %d | %d | %s | %s | %.2f | %.3f | %.0f %% | %.0f | %s |\n", f, runs, skipped,
      per, h, lag, pace, 100 * ticks / hz / wall, hwm / 1024, load }'
}

echo "Machine: $(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "City: $city; serve at time scale $time_scale for ${run_for} s per run; forecast every $every, $horizon ahead"
echo
echo "| forecast | forecasts run | skipped | wall s per forecast | horizon | live lag max (s) | live pace min (sim s / wall s) | server CPU | server peak RSS (MB) | load at end |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
run off
run on
