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

# SUMO twice. "aligned": the same model inputs as CityTwin (every edge's TNTP capacity through its
# headways, every vehicle at the speed limit, routing on travel times at most 5 minutes old).
# "defaults": SUMO's own choices (capacity from lanes and speed, speed factors spread by 0.1, travel
# times averaged over 30 minutes).
echo "== SUMO meso, aligned (same network, same trips)"
python3 bench/sumo/tntp_to_sumo.py --city "$city" --trips "$out/berlin_trips.csv" --capacity tntp --out "$out/sumo_aligned" >/dev/null
python3 bench/sumo/run_sumo_meso.py --dir "$out/sumo_aligned" --speed-dev 0 --adaptation-steps 30 \
  --out "$out/sumo_berlin_aligned.json" >/dev/null
echo "== SUMO meso, defaults (same network, same trips)"
python3 bench/sumo/tntp_to_sumo.py --city "$city" --trips "$out/berlin_trips.csv" --capacity lanes --out "$out/sumo_defaults" >/dev/null
python3 bench/sumo/run_sumo_meso.py --dir "$out/sumo_defaults" --out "$out/sumo_berlin_defaults.json" >/dev/null

python3 - "$out" <<'PY'
import json, platform, subprocess, sys, datetime
out = sys.argv[1]
ct = json.load(open(f"{out}/citytwin_berlin.json"))
rss_kb = max(int(l.split()[1]) for l in open(f"{out}/citytwin.time") if l.startswith("MAXRSS_KB"))
su = json.load(open(f"{out}/sumo_berlin_aligned.json"))
sl = json.load(open(f"{out}/sumo_berlin_defaults.json"))
k, r = ct["kpi"], ct["run"]
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if l.startswith("Model name")), platform.processor())
def sumo(name):
    return [s[name] for s in (su, sl)]
rows = [
    ("wall time (s)", r["wall_time_s"], *sumo("wall_time_s")),
    ("simulated seconds", k["simulated_seconds"], *sumo("simulated_seconds")),
    ("simulated s per wall s", r["simulated_seconds_per_wall_second"], *sumo("simulated_seconds_per_wall_second")),
    ("segment traversals", k["segment_traversals"], *sumo("segment_traversals")),
    ("traversals per wall s", r["segment_traversals_per_wall_second"], *sumo("segment_traversals_per_wall_second")),
    ("peak memory (MB)", rss_kb / 1024, *sumo("peak_rss_mb")),
    ("trips completed", k["arrived"], *sumo("trips_completed")),
    ("trips loaded", k["trips_planned"], *sumo("trips_loaded")),
    ("mean trip time from planned departure (s)", k["mean_trip_time_s"], *sumo("mean_trip_time_s")),
    ("  of which waiting to enter (s)", None, *sumo("mean_depart_delay_s")),
    ("mean delay (s): CityTwin vs free flow; SUMO time loss + waiting to enter", k["mean_delay_s"],
     *[s["mean_time_loss_s"] + s["mean_depart_delay_s"] for s in (su, sl)]),
    ("stuck moves / teleports", k["stuck_moves"], *sumo("teleports")),
]
def cell(v):
    if v is None:
        return "n/a"
    return f"{v:,}" if isinstance(v, int) else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}")
print(f"\n### Berlin-Center, 1 h of demand plus clearing ({datetime.date.today()}, {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores)\n")
print("| figure | CityTwin | SUMO meso, aligned | SUMO meso, defaults |\n|---|---:|---:|---:|")
for name, a, b, c in rows:
    print(f"| {name} | {cell(a)} | {cell(b)} | {cell(c)} |")
for label, s in (("aligned inputs", su), ("its defaults", sl)):
    speedup = s["wall_time_s"] / r["wall_time_s"]
    diff = (k["mean_trip_time_s"] - s["mean_trip_time_s"]) / s["mean_trip_time_s"]
    print(f"\nagainst SUMO meso with {label}: speed-up (wall time ratio, both routing every trip at departure) "
          f"{speedup:.1f}x; mean trip time difference (CityTwin vs SUMO) {diff:+.1%}")
PY
