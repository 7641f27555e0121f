#!/usr/bin/python3
"""Writes siouxfalls_feed.csv: ten minutes of synthetic loop-detector counts for Sioux Falls.

    /usr/bin/python3 make_sample_feed.py [--out siouxfalls_feed.csv] [--data ../../../data/tntp/SiouxFalls]

One direction of every street of data/tntp/SiouxFalls (the 38 links FROM-TO with FROM < TO)
reports once a minute, at feed times 0, 60, ..., 600 s. The counts follow the best known
equilibrium flows (SiouxFalls_flow.tntp), rising from 85 % to 115 % over the ten minutes with a
little noise; speeds follow the BPR curve of each link (60 mph free flow, as the city reads the
data) and occupancy the resulting density per lane. On 10-15 an incident cuts the speed by more
than half from minute 6 on. Deterministic (fixed seed), so the file only changes when this script
or the data does.
"""

import argparse
import os
import random

FREE_FLOW_KMH = 96.56  # 60 mph: TNTP lengths read as miles and free-flow times as minutes
LANE_CAPACITY = 1800  # veh/h per lane, as the TNTP importer assumes
VEHICLE_SPACE_KM = 0.0065  # effective vehicle length for occupancy (vehicle + detector loop)


def read_rows(path, first_numeric_columns):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.replace(";", " ").split()
            try:
                rows.append([float(x) for x in fields[:first_numeric_columns]])
            except ValueError:
                continue  # headers and metadata
            if len(rows[-1]) < first_numeric_columns:
                rows.pop()
    return rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "siouxfalls_feed.csv"))
    parser.add_argument("--data", default=os.path.join(here, "..", "..", "..", "data", "tntp", "SiouxFalls"))
    args = parser.parse_args()

    capacity = {(int(a), int(b)): cap for a, b, cap in read_rows(os.path.join(args.data, "SiouxFalls_net.tntp"), 3)}
    flow = {(int(a), int(b)): volume for a, b, volume in read_rows(os.path.join(args.data, "SiouxFalls_flow.tntp"), 3)}
    links = [link for link in sorted(capacity) if link[0] < link[1]]  # one direction of each street
    rng = random.Random(20240601)
    lines = ["# Synthetic loop-detector feed for data/tntp/SiouxFalls, written by make_sample_feed.py.",
             "# time_s: seconds from the start of the feed; count: vehicles in the minute before it.",
             ]
    rows = []
    for minute in range(11):
        time_s = minute * 60
        demand = 0.85 + 0.30 * minute / 10
        for link in links:
            lanes = max(1, round(capacity[link] / LANE_CAPACITY))
            veh_h = flow.get(link, capacity[link] * 0.5) * demand * rng.uniform(0.92, 1.08)
            veh_h = min(veh_h, 3600 * lanes)  # the server rejects more than 4000 veh/h per lane
            count = round(veh_h / 60)
            ratio = veh_h / capacity[link]
            speed = FREE_FLOW_KMH / (1 + 0.15 * ratio ** 4) * rng.uniform(0.95, 1.03)
            if link in ((10, 15), (15, 10)) and minute >= 6:
                speed *= 0.45  # an incident
            density_per_lane = veh_h / speed / lanes
            occupancy = min(0.9, density_per_lane * VEHICLE_SPACE_KM)
            rows.append(f"{link[0]}-{link[1]},{time_s},{count},{speed:.1f},{occupancy:.3f}")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("segment_id,time_s,count,speed_kmh,occupancy\n")
        f.write("\n".join(lines + rows) + "\n")
    print(f"{args.out}: {len(rows)} readings on {len(links)} segments")


if __name__ == "__main__":
    main()
