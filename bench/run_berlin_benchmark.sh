#!/usr/bin/env bash
# The Berlin-Center benchmark: the full trip table for one simulated hour plus clearing, in CityTwin
# and in SUMO's mesoscopic model on the same network and the very same trips, timed in one run.
# Usage: bench/run_berlin_benchmark.sh   (after deploy/setup.sh --bench; results go to bench/out/)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CITYTWIN_BIN:-build/clients/citytwin}
city=data/tntp/Berlin-Center
out=bench/out
mkdir -p "$out/sumo"
[[ -x "$bin" ]] || { echo "error: $bin not found; build first (deploy/setup.sh --bench)"; exit 1; }
command -v sumo >/dev/null || { echo "error: SUMO is not installed; run deploy/setup.sh --bench"; exit 1; }

echo "== CityTwin"
/usr/bin/time -f "MAXRSS_KB %M" -o "$out/citytwin.time" "$bin" simulate --quiet --city "$city" --duration 1h --clear \
  --seed 1 --threads "$(nproc)" --write-trips "$out/berlin_trips.csv" --report "$out/citytwin_berlin.json"

echo "== SUMO meso (same network, same trips)"
python3 bench/sumo/tntp_to_sumo.py --city "$city" --trips "$out/berlin_trips.csv" --out "$out/sumo" >/dev/null
python3 bench/sumo/run_sumo_meso.py --dir "$out/sumo" --out "$out/sumo_berlin.json" >/dev/null

python3 - "$out" <<'PY'
import json, platform, subprocess, sys, datetime
out = sys.argv[1]
ct = json.load(open(f"{out}/citytwin_berlin.json"))
rss_kb = max(int(l.split()[1]) for l in open(f"{out}/citytwin.time") if l.startswith("MAXRSS_KB"))
su = json.load(open(f"{out}/sumo_berlin.json"))
k, r = ct["kpi"], ct["run"]
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if l.startswith("Model name")), platform.processor())
rows = [
    ("wall time (s)", r["wall_time_s"], su["wall_time_s"]),
    ("simulated seconds", k["simulated_seconds"], su["simulated_seconds"]),
    ("simulated s per wall s", r["simulated_seconds_per_wall_second"], su["simulated_seconds_per_wall_second"]),
    ("segment traversals", k["segment_traversals"], su["segment_traversals"]),
    ("traversals per wall s", r["segment_traversals_per_wall_second"], su["segment_traversals_per_wall_second"]),
    ("peak memory (MB)", rss_kb / 1024, su["peak_rss_mb"]),
    ("trips completed", k["arrived"], su["trips_completed"]),
    ("trips loaded", k["trips_planned"], su["trips_loaded"]),
    ("mean trip time (s)", k["mean_trip_time_s"], su["mean_trip_time_s"]),
    ("stuck moves / teleports", k["stuck_moves"], su["teleports"]),
]
def cell(v):
    return "n/a" if v is None else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}")
print(f"\n### Berlin-Center, 1 h of demand plus clearing ({datetime.date.today()}, {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores)\n")
print("| figure | CityTwin | SUMO meso |\n|---|---:|---:|")
for name, a, b in rows:
    print(f"| {name} | {cell(a)} | {cell(b)} |")
speedup = su["wall_time_s"] / r["wall_time_s"]
diff = (k["mean_trip_time_s"] - su["mean_trip_time_s"]) / su["mean_trip_time_s"]
print(f"\nspeed-up (SUMO meso wall time / CityTwin wall time, both routing every trip at departure): {speedup:.1f}x")
print(f"mean trip time difference (CityTwin vs SUMO): {diff:+.1%}")
PY
