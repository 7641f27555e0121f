#pragma once
// Shortest-path trees over the roads from several sources at once, for feeder routes and LV reach.
// Cables ignore one-way rules, and each road node goes to its nearest source along the roads.

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/city/city_graph.hpp"

namespace citytwin {

inline constexpr std::uint32_t no_source = UINT32_MAX;
inline constexpr node_index no_road_parent = UINT32_MAX;

// The road graph without directions: node n's neighbours are neighbour[begin[n] .. begin[n+1]), in segment
// order.
struct undirected_roads {
  std::vector<std::uint32_t> begin;
  std::vector<node_index> neighbour;
  std::vector<double> length_m;

  explicit undirected_roads(const city_graph& graph);
  [[nodiscard]] std::size_t size() const { return begin.empty() ? 0 : begin.size() - 1; }
};

struct road_forest {
  std::vector<double> distance_m;       // from the node's source; infinity when unreached
  std::vector<node_index> parent;       // toward the source; no_road_parent at sources and unreached nodes
  std::vector<double> parent_length_m;  // length of the road to the parent
  std::vector<std::uint32_t> source;    // index into the sources; no_source when unreached
  // Reached nodes in the order Dijkstra settled them: parents first, even where zero-length roads (TNTP
  // zone connectors) make distances tie.
  std::vector<node_index> settled;
};

// Multi-source Dijkstra. Ties go to the lower node index, so the forest depends only on the graph and the
// sources. Nodes farther than max_distance_m from every source stay unreached.
road_forest grow_road_forest(const undirected_roads& roads, const std::vector<node_index>& sources,
                             double max_distance_m = std::numeric_limits<double>::infinity());

}  // namespace citytwin
