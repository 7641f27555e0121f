#pragma once
// Path-based user equilibrium: gradient projection (Jayakrishnan et al. 1994). Each OD pair keeps
// its used paths and shifts flow to its current shortest path by a Newton step, one OD pair at a
// time, so gaps of 1e-10 and below are reachable where Frank-Wolfe stalls.

#include "engine/assignment/user_equilibrium.hpp"

namespace citytwin {

assignment_result solve_by_gradient_projection(const city_graph& graph, const std::vector<link_cost>& costs,
                                               const assignment_options& options,
                                               const std::function<void(const assignment_iteration&)>& on_iteration,
                                               const assignment_result* previous = nullptr);

}  // namespace citytwin
