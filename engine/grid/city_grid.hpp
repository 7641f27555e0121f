#pragma once
// A city's electricity grid: its buildings, the radial network feeding them, and the bus at each road node.
// Built from the city's roads and either its OSM extract or its trip table.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/grid/building_stock.hpp"
#include "engine/grid/load_profile.hpp"
#include "engine/grid/substation_sites.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/power/power_case.hpp"

namespace citytwin {

struct city_grid {
  power_case network;                        // loads at the buildings' peaks: the design case
  std::vector<building_spec> buildings;      // feeder_bus filled in
  std::vector<std::int64_t> road_node_bus;   // per road node: the LV bus powering it (traffic signals) or -1
  std::vector<substation_site> substations;  // mapped, placed, or added for voltage
  std::vector<std::int64_t> substation_bus;  // per substation: its reference bus
  std::vector<std::string> notes;            // how the stock and the grid were made, for the report
};

// With an OSM extract: its building footprints and power=substation objects (substations are placed from the
// building loads when none is mapped). Without one: a synthetic building stock from the city's trip table.
// Same inputs and seed, same grid, bit for bit. Throws import_error for an unreadable file and
// std::invalid_argument when there is nothing to build from.
city_grid build_city_grid(const loaded_city& city, const std::string& osm_path_or_empty, std::uint64_t seed,
                          const synthetic_stock_factors& factors = {});

// The network with every building's load at a time of day (load_profile.hpp) instead of its peak.
power_case grid_case_at(const city_grid& grid, sim_time_of_day time_of_day);

}  // namespace citytwin
