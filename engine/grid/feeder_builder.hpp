#pragma once
// Medium-voltage feeders along the roads, from substations to the buildings' transformers, as a power_case.
//
// Layout: each building's load sits on the low-voltage (0.4 kV) bus of a transformer at its nearest road
// node. Each road node goes to its nearest substation along the roads; the shortest-path tree from the
// substation, pruned to the nodes that lead to load, is the cable route. Walking the tree from the leaves, a
// branch whose subtree would exceed the feeder's planning limit is cut off and becomes a feeder of its own,
// with its own cable from the substation along the same route. Road nodes without a transformer or a fork
// carry no bus. Where the linearised voltage drop would take a bus below design_min_voltage_pu, a substation
// is added at that tree's weakest transformer and the layout is redone. Every value is in
// feeder_equipment.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/grid/building_stock.hpp"
#include "engine/grid/substation_sites.hpp"
#include "engine/power/power_case.hpp"

namespace citytwin {

struct feeder_design {
  power_case network;                        // per-unit on grid_base_mva; one reference bus per substation
  std::vector<std::int64_t> building_bus;    // per building (same order): the LV bus that feeds it
  std::vector<std::int64_t> road_node_bus;   // per road node: the LV bus within reach along the roads, or -1
  std::vector<substation_site> substations;  // the sites used, with any added for voltage at the end
  std::vector<std::int64_t> substation_bus;  // per site: its reference bus
  std::size_t feeders = 0;                   // cables leaving substations
  std::size_t transformers = 0;
  double estimated_min_voltage_pu = 0;  // by the linearised design rule, at the stated peak loads
  std::vector<std::string> notes;       // what was added or could not be met, for the user
};

// Loads are the buildings' peak_kw at their power factors (the design case). `sites` must not be empty.
// Throws std::invalid_argument naming the city and the problem (no sites, a building on a missing node).
feeder_design build_feeders(const city_graph& graph, const std::vector<building_spec>& buildings,
                            std::vector<substation_site> sites);

}  // namespace citytwin
