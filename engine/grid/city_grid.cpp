// Puts the building stock, the substation sites and the feeder layout together into one city grid.
#include "engine/grid/city_grid.hpp"

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "engine/grid/feeder_builder.hpp"
#include "engine/grid/osm_grid_scan.hpp"

namespace citytwin {

namespace {

std::string summarize(const osm_building_stats& s) {
  return fmt::format(
      "{} building footprints: {} kept, {} unserved structures (roofs, garages, power equipment), {} "
      "degenerate; "
      "levels tagged {}, from height {}, type default {}, unreadable {}; {} typed by surrounding landuse, {} "
      "placed "
      "at a mapped entrance, {} over 1 km from a road node",
      s.footprints, s.kept, s.unserved_structures, s.degenerate_footprints, s.levels_tagged,
      s.levels_from_height, s.levels_defaulted, s.unreadable_levels, s.typed_by_landuse, s.entrances_used,
      s.far_from_roads);
}

}  // namespace

city_grid build_city_grid(const loaded_city& city, const std::string& osm_path_or_empty, std::uint64_t seed,
                          const synthetic_stock_factors& factors) {
  const city_graph& graph = city.graph;
  if (graph.nodes.empty())
    throw std::invalid_argument(graph.name + ": the city has no road nodes to build a grid on");
  city_grid grid;
  std::vector<substation_site> sites;
  if (!osm_path_or_empty.empty()) {
    const osm_scan_result scan = scan_osm_areas(
        osm_path_or_empty, combined_scan_request(building_scan_request(), substation_scan_request()));
    osm_building_stats stats;
    grid.buildings = buildings_from_scan(scan, osm_path_or_empty, graph, &stats);
    grid.notes.push_back(summarize(stats));
    for (const std::string& e : stats.examples) grid.notes.push_back("  " + e);
    osm_substation_stats substations;
    sites = substations_from_scan(scan, osm_path_or_empty, graph, &substations);
    grid.notes.push_back(
        fmt::format("{} power=substation objects mapped: {} used, {} railway traction left out, {} beyond "
                    "the roads, {} sharing "
                    "a road node with another",
                    substations.mapped, sites.size(), substations.railway_traction, substations.beyond_roads,
                    substations.sharing_a_road_node));
  } else {
    if (graph.demand.empty())
      throw std::invalid_argument(
          graph.name + ": no OSM extract given and no trip table to size a synthetic building stock from");
    grid.buildings = synthetic_buildings(city, seed, factors);
    grid.notes.push_back(fmt::format("{} synthetic buildings from the trip ends of {} trip-table entries",
                                     grid.buildings.size(), graph.demand.size()));
  }
  if (sites.empty()) {
    sites = place_substations(graph, grid.buildings, seed);
    grid.notes.push_back(
        fmt::format("no substation mapped: {} placed at the centres of load (seed {})", sites.size(), seed));
  }
  feeder_design design = build_feeders(graph, grid.buildings, std::move(sites));
  for (std::size_t i = 0; i < grid.buildings.size(); ++i)
    grid.buildings[i].feeder_bus = design.building_bus[i];
  grid.network = std::move(design.network);
  grid.road_node_bus = std::move(design.road_node_bus);
  grid.substations = std::move(design.substations);
  grid.substation_bus = std::move(design.substation_bus);
  grid.notes.insert(grid.notes.end(), design.notes.begin(), design.notes.end());
  return grid;
}

power_case grid_case_at(const city_grid& grid, sim_time_of_day time_of_day) {
  power_case pc = grid.network;
  std::map<std::int64_t, std::size_t> index;
  for (std::size_t i = 0; i < pc.buses.size(); ++i) {
    index[pc.buses[i].number] = i;
    pc.buses[i].load_mw = pc.buses[i].load_mvar = 0;
  }
  for (const building_spec& b : grid.buildings) {
    auto it = index.find(b.feeder_bus);
    if (it == index.end())
      throw std::invalid_argument(
          fmt::format("{}: building {} (OSM {}) is fed from bus {}, which the network lacks", pc.name, b.id,
                      b.osm_id, b.feeder_bus));
    const double kw = load_kw_at(b, time_of_day);
    // power_case holds per-unit values in its MW fields.
    pc.buses[it->second].load_mw += kw / 1000 / pc.base_mva;
    pc.buses[it->second].load_mvar += reactive_kvar(kw, b.power_factor) / 1000 / pc.base_mva;
  }
  return pc;
}

}  // namespace citytwin
