#pragma once
// Where a city's primary substations are: from OSM power=substation where mapped, else placed by load.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/grid/building_stock.hpp"

namespace citytwin {

enum class substation_origin : std::uint8_t { mapped, placed, added_for_voltage };

std::string_view to_string(substation_origin origin);

struct substation_site {
  node_index road_node = 0;  // where its feeders leave along the roads
  double x = 0, y = 0;       // the mapped centroid or the placed point, in graph coordinates
  substation_origin origin = substation_origin::placed;
  std::string osm_object;  // "way 4711", "node 12", "relation 3"; empty unless mapped
  std::string name;        // OSM name, or a made-up label such as "placed 2"
};

struct osm_substation_stats {
  std::size_t mapped = 0;               // power=substation nodes, closed ways and multipolygons
  std::size_t railway_traction = 0;     // substation=traction: feeds trains, not buildings; left out
  std::size_t beyond_roads = 0;         // more than 1 km from any road node of the graph; left out
  std::size_t sharing_a_road_node = 0;  // merged with an earlier one at the same road node
};

// Mapped substations, snapped to the nearest road node, in OSM order (ways, relations, then nodes).
// Throws import_error when the file cannot be read.
std::vector<substation_site> read_osm_substations(const std::string& path, const city_graph& graph,
                                                  osm_substation_stats* stats = nullptr);

// Substations for a city with none mapped: one per substation_planning_mva of connected peak (at least one),
// at the centres of load-weighted k-means over the buildings' road nodes (k-means++ start drawn with the
// seed, fixed iteration count), snapped to road nodes.
std::vector<substation_site> place_substations(const city_graph& graph,
                                               const std::vector<building_spec>& buildings,
                                               std::uint64_t seed);

}  // namespace citytwin
