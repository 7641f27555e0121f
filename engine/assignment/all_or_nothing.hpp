#pragma once
// Network loading shared by the equilibrium algorithms: demand by origin, shortest-path trees
// with real-valued costs, all-or-nothing assignment (parallel, deterministic for any thread count).

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/assignment/user_equilibrium.hpp"
#include "engine/city/city_graph.hpp"

namespace citytwin {

inline constexpr double unreachable = std::numeric_limits<double>::infinity();

struct origin_demand {
  node_index origin;
  std::vector<std::pair<node_index, double>> destinations;  // vehicles per hour
};

// Trips between different zones, grouped by origin in origin order.
std::vector<origin_demand> group_by_origin(const city_graph& g);

struct tree_scratch {
  std::vector<double> distance;
  std::vector<segment_id> parent;
  std::vector<node_index> settled;  // in settling order
  std::vector<double> node_load;
};

// Dijkstra from `origin`; zones that forbid it are not passed through; `unreachable` costs are closed.
void shortest_tree(const city_graph& g, const std::vector<double>& times, node_index origin, tree_scratch& s);

struct all_or_nothing {
  std::vector<double> flows;
  double sptt = 0;  // shortest-path travel time: demand x shortest cost, summed
  std::uint64_t unroutable = 0;
};

all_or_nothing assign_all_or_nothing(const city_graph& g, const std::vector<double>& times,
                                     const std::vector<origin_demand>& origins, unsigned threads);

std::vector<double> travel_times_at(const std::vector<link_cost>& costs, const std::vector<double>& flows);
double objective_at(const std::vector<link_cost>& costs, const std::vector<double>& flows);

}  // namespace citytwin
