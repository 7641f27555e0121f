#!/usr/bin/env python3
"""Run SUMO's mesoscopic model on a converted city and print its figures as JSON.

One timed run doing the same work as CityTwin: sumo --mesosim loads the trips and routes each
vehicle when it departs on the current travel times (the rerouting device on every vehicle,
no periodic rerouting, edge weights sampled every 10 s and averaged over --adaptation-steps
samples), then drives it at its speed factor (spread --speed-dev) times the edge speed. Vehicles jammed for
300 s are teleported (SUMO's default); teleports are reported. Peak memory is from /usr/bin/time.
The mean trip time counts from each trip's planned departure, including the wait for insertion.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET


def timed(command, log):
    """Runs `command` under /usr/bin/time; returns (wall seconds, peak RSS in MB)."""
    started = time.monotonic()
    with open(log, "w") as out:
        result = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB %M"] + command, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    text = open(log).read()
    if result.returncode != 0:
        sys.exit(f"error: {command[0]} failed (exit {result.returncode}); see {log}")
    rss_kb = max(int(line.split()[1]) for line in text.splitlines() if line.startswith("MAXRSS_KB"))
    return wall, rss_kb / 1024


def edge_entries(path):
    """Vehicles that entered each edge, summed: SUMO's count of vehicle-segment traversals."""
    return sum(float(e.get("entered", 0)) for e in ET.parse(path).getroot().iter("edge"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True, help="directory with net.net.xml and trips.xml (tntp_to_sumo.py)")
    parser.add_argument("--end", type=int, default=18000, help="last simulated second (1 h plus clearing)")
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--speed-dev", type=float, default=0.1,
                        help="spread of the vehicles' speed factors (SUMO's default 0.1; 0: all drive the limit, as in CityTwin)")
    parser.add_argument("--adaptation-steps", type=int, default=180,
                        help="edge travel times for routing are averaged over this many 10 s samples (SUMO's default "
                             "180, 30 minutes; 30: 5 minutes, as old as CityTwin's, refreshed every 5 minutes)")
    args = parser.parse_args()
    d = args.dir
    env_note = os.environ.setdefault("SUMO_HOME", "/usr/share/sumo")
    with open(f"{d}/edgedata.add.xml", "w") as f:
        f.write(f'<additional><edgeData id="all" file="edgedata.xml" period="{args.end + 1}"/></additional>\n')
    sim_wall, sim_rss = timed(["sumo", "--mesosim", "-n", f"{d}/net.net.xml", "-r", f"{d}/trips.xml",
                               "-a", f"{d}/taz.add.xml,{d}/meso_types.add.xml,{d}/edgedata.add.xml", "--end", str(args.end), "--no-step-log", "--no-warnings",
                               "--device.rerouting.probability", "1", "--device.rerouting.period", "0",
                               "--device.rerouting.adaptation-interval", "10",
                               "--device.rerouting.adaptation-steps", str(args.adaptation_steps),
                               "--default.speeddev", str(args.speed_dev), "--ignore-route-errors",
                               "--statistic-output", f"{d}/statistics.xml", "--duration-log.statistics"],
                              f"{d}/sumo.log")
    stats = ET.parse(f"{d}/statistics.xml").getroot()
    vehicles = stats.find("vehicles")
    trips = stats.find("vehicleTripStatistics")
    teleports = stats.find("teleports")
    end = float(stats.find("performance").get("end", args.end)) if stats.find("performance") is not None else args.end
    arrived = int(vehicles.get("loaded")) - int(vehicles.get("running")) - int(vehicles.get("waiting"))
    traversals = edge_entries(f"{d}/edgedata.xml")
    result = {
        "simulator": "SUMO 1.15 meso",
        "speed_dev": args.speed_dev,
        "adaptation_steps": args.adaptation_steps,
        "wall_time_s": sim_wall,
        "simulated_seconds": end,
        "simulated_seconds_per_wall_second": end / sim_wall,
        "segment_traversals": traversals,
        "segment_traversals_per_wall_second": traversals / sim_wall,
        "peak_rss_mb": sim_rss,
        "trips_loaded": int(vehicles.get("loaded")),
        "trips_completed": arrived,
        # From the planned departure, as CityTwin counts: SUMO's duration starts at insertion, and a
        # vehicle waits for room on its first edge before that (departDelay).
        "mean_trip_time_s": float(trips.get("duration")) + float(trips.get("departDelay")),
        "mean_duration_after_insertion_s": float(trips.get("duration")),
        "mean_depart_delay_s": float(trips.get("departDelay")),
        "mean_time_loss_s": float(trips.get("timeLoss")),
        "mean_route_length_m": float(trips.get("routeLength")),
        "teleports": int(teleports.get("total")),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        open(args.out, "w").write(text + "\n")


if __name__ == "__main__":
    main()
