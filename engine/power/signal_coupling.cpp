#include "engine/power/signal_coupling.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace citytwin {

std::vector<bool> signalized_nodes(const city_graph& graph) {
  std::vector<bool> signalized(graph.nodes.size(), false);
  bool mapped = false;
  for (node_index n = 0; n < graph.nodes.size(); ++n) {
    signalized[n] = graph.nodes[n].signalized;
    mapped = mapped || signalized[n];
  }
  if (mapped) return signalized;
  for (node_index n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].is_zone && !graph.nodes[n].through_allowed) continue;
    std::set<node_index> approaches;
    for (auto k = graph.in_begin[n]; k < graph.in_begin[n + 1]; ++k) {
      const road_segment_spec& s = graph.segments[graph.in_ids[k]];
      if (!s.unlimited) approaches.insert(s.from);
    }
    signalized[n] = approaches.size() >= 3;
  }
  return signalized;
}

std::vector<segment_control> dark_signal_controls(const city_graph& graph, const city_grid& grid,
                                                  const std::vector<bus_outage>& outages,
                                                  const signal_coupling_options& options) {
  const std::vector<bool> signalized = signalized_nodes(graph);
  std::map<std::int64_t, std::vector<node_index>> signals_on_bus;
  for (node_index n = 0; n < graph.nodes.size() && n < grid.road_node_bus.size(); ++n)
    if (signalized[n] && grid.road_node_bus[n] >= 0) signals_on_bus[grid.road_node_bus[n]].push_back(n);
  std::vector<segment_control> controls;
  for (const bus_outage& outage : outages) {
    const auto found = signals_on_bus.find(outage.bus);
    if (found == signals_on_bus.end()) continue;
    for (node_index n : found->second)
      for (auto k = graph.in_begin[n]; k < graph.in_begin[n + 1]; ++k) {
        const segment_id s = graph.in_ids[k];
        if (graph.segments[s].unlimited) continue;
        controls.push_back({outage.from, s, control_kind::capacity_factor, options.dark_capacity_factor});
        controls.push_back({outage.to, s, control_kind::capacity_factor, 1.0});
      }
  }
  std::stable_sort(controls.begin(), controls.end(),
                   [](const segment_control& a, const segment_control& b) { return a.at < b.at; });
  return controls;
}

}  // namespace citytwin
