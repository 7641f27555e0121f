#!/usr/bin/env python3
"""Convert a CityTwin TNTP city (directory with city.json) and a trip list to SUMO input.

Writes <out>/net.net.xml (via netconvert from plain XML) and <out>/trips.xml, so SUMO runs on the
same network and the very same trips as `citytwin simulate --write-trips`.

Choices, so the two simulators see the same roads:
- every TNTP link becomes one SUMO edge with the TNTP length (attribute `length`), speed
  length / free-flow time (units from city.json), and lanes = max(1, round(capacity / 1800)),
  the rule CityTwin uses for storage;
- zones must not be passed through: each zone becomes two SUMO nodes, one that only sends
  (its outgoing connectors) and one that only receives (its incoming connectors);
- zero-length connectors become 1 m edges at 50 m/s with 4 lanes (effectively unlimited);
- each zone is a SUMO TAZ whose sources are all its outgoing connectors and whose sinks are all its
  incoming connectors, and trips go from TAZ to TAZ, so SUMO, like CityTwin, may use any connector;
- capacity (`--capacity`): with `tntp` (the default) every street edge gets a meso edge type whose
  headways (tauff, taufj, taujf) make one lane pass capacity / lanes vehicles per hour, free or
  jammed, as CityTwin's exit does; SUMO's headway per lane is tau + 7.5 m / speed for a default car
  (5 m plus 2.5 m gap), so tau = 3600 x lanes / capacity - 7.5 / speed, in steps of 0.01 s. A lane
  passes at most 3600 x speed / 7.5 m veh/h (tau 0), so a slow edge of high capacity (837 of
  Berlin-Center's) gets as many lanes as it needs for its capacity: CityTwin gives such a segment
  the storage to pass its capacity in the same way (MATSim-like). The jam-jam headway (taujj, SUMO's backward wave) keeps its default. With `lanes`, SUMO's default
  headways apply and capacity follows from lanes and speed alone (at 50 km/h 2,150 veh/h per lane
  free, 1,590 discharging a queue).
"""
import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys

CONNECTOR_CAPACITY = 99999
CAPACITY_PER_LANE = 1800
VEHICLE_SPACE_M = 7.5  # SUMO's default passenger car: length 5 m plus minGap 2.5 m


def headway_tau(capacity, lanes, speed):
    """SUMO meso tau (s, to 0.01) that lets one lane pass capacity / lanes veh/h at this speed."""
    return max(0.0, round(3600 * lanes / capacity - VEHICLE_SPACE_M / speed, 2))


def fail(path, line, reason):
    sys.exit(f"error: {path}, line {line}: {reason}")


def read_links(path):
    """TNTP link rows after <END OF METADATA>: (row, from, to, capacity, length, fft), duplicates dropped."""
    links, seen, started, row = [], set(), False, 0
    zones = first_thru = None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not started:
                if line.startswith("<NUMBER OF ZONES>"):
                    zones = int(line.split(">")[1])
                if line.startswith("<FIRST THRU NODE>"):
                    first_thru = int(line.split(">")[1])
                if "<END OF METADATA>" in line:
                    started = True
                continue
            fields = line.replace(";", " ").split()
            if not fields or fields[0].startswith("~"):
                continue
            if len(fields) < 5:
                fail(path, number, "a link row needs at least 5 values")
            try:
                a, b = int(fields[0]), int(fields[1])
                cap, length, fft = float(fields[2]), float(fields[3]), float(fields[4])
            except ValueError as e:
                fail(path, number, str(e))
            row += 1
            if (a, b) in seen:
                continue
            seen.add((a, b))
            links.append((row, a, b, cap, length, fft))
    if zones is None:
        fail(path, 1, "missing <NUMBER OF ZONES>")
    return links, zones, first_thru or 1


def read_coordinates(path):
    xy = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.replace(";", " ").split()
            if not fields or not fields[0].isdigit():
                continue
            try:
                xy[int(fields[0])] = (float(fields[1]), float(fields[2]))
            except (ValueError, IndexError):
                fail(path, number, "expected 'node x y'")
    return xy


def node_id(n, zones, role):
    """Zones split into a sending and a receiving node; street nodes keep their number."""
    return f"{n}{role}" if n <= zones else str(n)


def write_network(city_dir, out_dir, capacity_from):
    manifest = json.load(open(os.path.join(city_dir, "city.json")))
    units = manifest.get("units", {})
    seconds_per_unit = units.get("seconds_per_time_unit", 60)
    metres_per_unit = units.get("metres_per_length_unit", 1609.344)
    links, zones, _ = read_links(os.path.join(city_dir, manifest["network"]))
    xy = read_coordinates(os.path.join(city_dir, manifest["nodes"]))
    # Coordinates come in arbitrary units: scale them so straight-line distances match link lengths.
    ratios = [l * metres_per_unit / math.dist(xy[a], xy[b]) for _, a, b, c, l, _ in links
              if l > 0 and math.dist(xy[a], xy[b]) > 0]
    scale = statistics.median(ratios)
    nodes = os.path.join(out_dir, "net.nod.xml")
    edges = os.path.join(out_dir, "net.edg.xml")
    with open(nodes, "w") as f:
        f.write("<nodes>\n")
        for n, (x, y) in sorted(xy.items()):
            roles = ["_o", "_d"] if n <= zones else [""]
            for role in roles:
                offset = 1.0 if role == "_d" else 0.0  # keep the two halves of a zone apart
                f.write(f'  <node id="{n}{role}" x="{x * scale + offset:.2f}" y="{y * scale:.2f}"/>\n')
        f.write("</nodes>\n")
    sources, sinks, taus = {}, {}, set()
    with open(edges, "w") as f:
        f.write("<edges>\n")
        for row, a, b, cap, length, fft in links:
            eid = f"{a}_{b}"
            if a <= zones:
                sources.setdefault(a, []).append(eid)
            if b <= zones:
                sinks.setdefault(b, []).append(eid)
            src, dst = node_id(a, zones, "_o"), node_id(b, zones, "_d")
            length_m = length * metres_per_unit
            edge_type = ""
            if cap >= CONNECTOR_CAPACITY or length_m <= 0:
                lanes, speed, length_m = 4, 50.0, max(length_m, 1.0)
            else:
                lanes = max(1, round(cap / CAPACITY_PER_LANE))
                seconds = fft * seconds_per_unit
                speed = max(length_m / seconds if seconds > 0 else 50.0, 0.5)
                if capacity_from == "tntp":
                    if not cap > 0:
                        sys.exit(f"error: {os.path.join(city_dir, manifest['network'])}: link row {row} ({a}-{b}): "
                                 f"capacity must be > 0 for --capacity tntp")
                    # One lane passes at most 3600 x speed / 7.5 m veh/h (tau 0): a slow edge of high
                    # capacity gets the lanes it needs, as CityTwin gives such a segment the storage to
                    # pass its capacity (actors/road_segment.hpp, storage_slots).
                    lanes = max(lanes, math.ceil(cap * VEHICLE_SPACE_M / round(speed, 3) / 3600 - 1e-9))
                    tau = headway_tau(cap, lanes, round(speed, 3))
                    taus.add(tau)
                    edge_type = f' type="tau{tau:.2f}"'
            f.write(f'  <edge id="{eid}" from="{src}" to="{dst}"{edge_type} numLanes="{lanes}" '
                    f'speed="{speed:.3f}" length="{max(length_m, 1.0):.2f}"/>\n')
        f.write("</edges>\n")
    types = os.path.join(out_dir, "net.typ.xml")
    with open(types, "w") as f:  # netconvert needs every type named; the edges set lanes and speed
        f.write("<types>\n")
        for tau in sorted(taus):
            f.write(f'  <type id="tau{tau:.2f}" priority="1" numLanes="1" speed="13.89"/>\n')
        f.write("</types>\n")
    with open(os.path.join(out_dir, "meso_types.add.xml"), "w") as f:  # empty with --capacity lanes
        f.write("<additional>\n")
        for tau in sorted(taus):
            f.write(f'  <type id="tau{tau:.2f}"><meso tauff="{tau:.2f}" taufj="{tau:.2f}" taujf="{tau:.2f}"/></type>\n')
        f.write("</additional>\n")
    net = os.path.join(out_dir, "net.net.xml")
    subprocess.run(["netconvert", "--node-files", nodes, "--edge-files", edges, "--type-files", types, "-o", net,
                    "--junctions.join", "false", "--geometry.remove", "false", "--no-turnarounds", "false",
                    "--no-warnings", "true", "--no-internal-links", "true"], check=True)
    with open(os.path.join(out_dir, "taz.add.xml"), "w") as f:
        f.write("<additional>\n")
        for zone in sorted(set(sources) | set(sinks)):
            f.write(f'  <taz id="{zone}">\n')
            for e in sources.get(zone, []):
                f.write(f'    <tazSource id="{e}" weight="1"/>\n')
            for e in sinks.get(zone, []):
                f.write(f'    <tazSink id="{e}" weight="1"/>\n')
            f.write("  </taz>\n")
        f.write("</additional>\n")
    return sources, sinks


def write_trips(trips_csv, sources, sinks, out_dir):
    path = os.path.join(out_dir, "trips.xml")
    count = 0
    with open(trips_csv) as f, open(path, "w") as out:
        out.write("<routes>\n")
        for number, row in enumerate(csv.DictReader(f), 2):
            try:
                o, d, depart = int(row["origin"]), int(row["destination"]), float(row["depart_s"])
            except (KeyError, ValueError) as e:
                fail(trips_csv, number, f"expected id,origin,destination,depart_s ({e})")
            if o not in sources or d not in sinks:
                fail(trips_csv, number, f"zone {o} or {d} has no connector")
            out.write(f'  <trip id="{row["id"]}" depart="{depart:.3f}" fromTaz="{o}" toTaz="{d}"/>\n')
            count += 1
        out.write("</routes>\n")
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", required=True, help="CityTwin TNTP city directory (with city.json)")
    parser.add_argument("--trips", required=True, help="trip list written by citytwin simulate --write-trips")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--capacity", choices=["tntp", "lanes"], default="tntp",
                        help="tntp: headways per edge give the TNTP capacity; lanes: SUMO's default headways")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    sources, sinks = write_network(args.city, args.out, args.capacity)
    print(f"wrote {write_trips(args.trips, sources, sinks, args.out)} trips to {args.out}/trips.xml")


if __name__ == "__main__":
    main()
