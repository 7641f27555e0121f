#pragma once
// The plain city graph every importer produces and the runtime turns into actors.

#include <cstdint>
#include <string>
#include <vector>

namespace citytwin {

using node_index = std::uint32_t;
using segment_id = std::uint32_t;

inline constexpr segment_id no_segment = UINT32_MAX;

struct road_node {
  std::int64_t external_id = 0;  // id in the source file (TNTP node number, OSM node id)
  double x = 0;                  // longitude or projected x, as the source gives it
  double y = 0;
  bool is_zone = false;          // trips start and end here
  bool through_allowed = true;   // TNTP zones below FIRST THRU NODE may not be passed through
  bool signalized = false;       // OSM highway=traffic_signals at (or on a way next to) this node
};

struct road_segment_spec {
  segment_id id = 0;                 // stable id: the index in city_graph::segments
  node_index from = 0;
  node_index to = 0;
  double length_m = 0;
  double freeflow_speed_mps = 0;
  double freeflow_time_s = 0;        // length / speed unless the source states it
  double capacity_veh_per_h = 0;     // flow capacity at the downstream end, all lanes
  double lanes = 1;
  bool unlimited = false;            // zone connectors: no storage or flow limit
  std::int64_t source_id = 0;        // TNTP link row number (1-based) or OSM way id
  std::string name;
  // Static-assignment attributes (BPR cost t = fft * (1 + b * (v/c)^power)); TNTP gives them.
  double bpr_b = 0.15;
  double bpr_power = 4;
  double toll = 0;
  int link_type = 0;
  // Part of a roundabout's ring: traffic entering from other segments yields to it (OSM
  // junction=roundabout, or guessed from the shape of a TNTP network: engine/city/roundabouts.hpp).
  bool on_roundabout = false;

  // Vehicles that fit: length x lanes / 7.5 m, at least one.
  [[nodiscard]] double storage_capacity_veh() const;
};

struct od_demand {
  node_index origin = 0;
  node_index destination = 0;
  double vehicles_per_hour = 0;
};

struct city_graph {
  std::string name;
  std::vector<road_node> nodes;
  std::vector<road_segment_spec> segments;
  std::vector<od_demand> demand;

  // Adjacency in CSR form, built by finalize(): out_segments of node n are
  // out_ids[out_begin[n] .. out_begin[n+1]), in segment id order; likewise for in.
  std::vector<std::uint32_t> out_begin, out_ids, in_begin, in_ids;

  // Builds adjacency and checks invariants; throws std::invalid_argument naming the bad element.
  void finalize();

  [[nodiscard]] std::size_t out_degree(node_index n) const { return out_begin[n + 1] - out_begin[n]; }
};

inline constexpr double vehicle_space_m = 7.5;

// A segment named by the user: its id ("17") or its end nodes' source ids ("3-11").
// Throws std::invalid_argument saying what was not found.
segment_id find_segment(const city_graph& graph, const std::string& reference);

}  // namespace citytwin
