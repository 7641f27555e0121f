#pragma once
// Traffic signals draw their power from the grid. While the bus feeding a signalized
// intersection is dark, the intersection works as an all-way stop: every segment entering it
// keeps only a fraction of its exit capacity. This turns grid outages into traffic controls.

#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/grid/city_grid.hpp"
#include "engine/power/grid_simulation.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct signal_coupling_options {
  // An all-way stop passes roughly one vehicle per approach every 4 to 6 s in turn (HCM 7th ed.,
  // ch. 21), about half of what a signalized lane discharges over its cycle: hence 0.5.
  double dark_capacity_factor = 0.5;
};

// OSM cities: the nodes mapped with highway=traffic_signals. Cities without signal data (TNTP):
// every intersection where three or more segments from different nodes arrive.
std::vector<bool> signalized_nodes(const city_graph& graph);

// Capacity controls for the traffic run: down when a signal's bus goes dark, back to 1 when it
// returns. Times are the grid run's, which the traffic run shares.
std::vector<segment_control> dark_signal_controls(const city_graph& graph, const city_grid& grid,
                                                  const std::vector<bus_outage>& outages,
                                                  const signal_coupling_options& options = {});

}  // namespace citytwin
