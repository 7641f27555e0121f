#pragma once
// Small hand-built cities for tests: each segment's attributes are stated outright.

#include <string>
#include <vector>

#include "engine/city/city_graph.hpp"

namespace citytwin::testing {

struct toy_segment {
  node_index from, to;
  double length_m;
  double speed_mps;
  double capacity_veh_h;
  double lanes = 1;
};

inline city_graph make_city(std::size_t node_count, const std::vector<toy_segment>& segments,
                            const std::vector<od_demand>& demand) {
  city_graph g;
  g.name = "toy";
  g.nodes.resize(node_count);
  for (std::size_t i = 0; i < node_count; ++i) {
    g.nodes[i].external_id = static_cast<std::int64_t>(i);
    g.nodes[i].x = static_cast<double>(i);
    g.nodes[i].is_zone = true;
  }
  for (const auto& t : segments) {
    road_segment_spec s;
    s.id = static_cast<segment_id>(g.segments.size());
    s.from = t.from;
    s.to = t.to;
    s.length_m = t.length_m;
    s.freeflow_speed_mps = t.speed_mps;
    s.freeflow_time_s = t.length_m / t.speed_mps;
    s.capacity_veh_per_h = t.capacity_veh_h;
    s.lanes = t.lanes;
    g.segments.push_back(s);
  }
  g.demand = demand;
  g.finalize();
  return g;
}

}  // namespace citytwin::testing
