#pragma once
// Static user equilibrium (Wardrop) with BPR link costs, solved path-based by gradient projection
// (the default) or by bi-conjugate Frank-Wolfe (Mitradjieva & Lindberg 2013). Costs are in the
// network's own time units, so objective values compare directly with published TNTP solutions.

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/city/city_graph.hpp"

namespace citytwin {

// One link's cost: t(v) = fft * (1 + b * (v / capacity)^power) + fixed.
struct link_cost {
  double freeflow = 0;  // network time units
  double b = 0.15;
  double power = 4;
  double capacity = 1;
  double fixed = 0;     // generalized cost: toll and distance terms
  bool closed = false;

  [[nodiscard]] double time(double flow) const;
  [[nodiscard]] double derivative(double flow) const;
  [[nodiscard]] double integral(double flow) const;  // of time() from 0 to flow
};

enum class assignment_method { gradient_projection, biconjugate_frank_wolfe };

struct assignment_options {
  assignment_method method = assignment_method::gradient_projection;
  double relative_gap = 1e-6;  // stop when (TSTT - SPTT) / TSTT falls below this
  int max_iterations = 10'000;
  unsigned threads = 1;
  double time_unit_seconds = 60;  // seconds per network time unit
  double toll_weight = 0;         // time units per toll unit
  double distance_weight = 0;     // time units per length unit
  double metres_per_length_unit = 1609.344;
};

struct assignment_iteration {
  int iteration = 0;
  double objective = 0;       // Beckmann objective
  double relative_gap = 0;
  double average_excess_cost = 0;
};

// The used paths of one OD pair and the flow on each (path-based methods only).
struct od_paths {
  node_index origin = 0;
  node_index destination = 0;
  std::vector<std::pair<std::vector<segment_id>, double>> paths;
};

struct assignment_result {
  std::vector<double> flows;  // by segment id, vehicles per hour
  std::vector<double> costs;  // by segment id, network time units
  double objective = 0;
  double total_system_travel_time = 0;
  double relative_gap = 0;
  double average_excess_cost = 0;
  int iterations = 0;
  bool converged = false;
  std::uint64_t unroutable_trips = 0;
  std::vector<od_paths> paths;  // gradient projection only, in (origin, destination) order
};

// Link costs of a city graph in its own units; `closed` and `capacity_factor` by segment id.
std::vector<link_cost> link_costs(const city_graph& graph, const assignment_options& options,
                                  const std::vector<bool>& closed = {}, const std::vector<double>& capacity_factor = {});

// A re-solve after a change starts from `previous` (the unchanged network's solution): gradient
// projection keeps its paths that avoid closed links; Frank-Wolfe takes its flows when still feasible
// (no flow on a closed link), otherwise it starts from all-or-nothing.
assignment_result solve_user_equilibrium(const city_graph& graph, const std::vector<link_cost>& costs,
                                         const assignment_options& options,
                                         const std::function<void(const assignment_iteration&)>& on_iteration = {},
                                         const assignment_result* previous = nullptr);

}  // namespace citytwin
