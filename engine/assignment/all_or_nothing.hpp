#pragma once
// Network loading shared by the equilibrium algorithms: demand by origin, shortest-path trees
// with real-valued costs, all-or-nothing assignment (parallel, deterministic for any thread count).

#include <cstdint>
#include <functional>
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

// Measures iteration k at flows x (relative gap and average excess cost against all-or-nothing at
// the current costs), records it in `result` and tells the observer. Returns the all-or-nothing
// flows, and sets result.converged when the gap target is met.
all_or_nothing record_iteration(int k, const city_graph& g, const std::vector<link_cost>& costs,
                                const std::vector<double>& x, const std::vector<origin_demand>& origins,
                                const assignment_options& options,
                                const std::function<void(const assignment_iteration&)>& on_iteration,
                                assignment_result& result);

// Final flows, costs, objective and total system travel time.
void finish_result(const std::vector<link_cost>& costs, std::vector<double> x, assignment_result& result);

}  // namespace citytwin
