#include "engine/assignment/user_equilibrium.hpp"

#include "engine/assignment/all_or_nothing.hpp"
#include "engine/assignment/gradient_projection.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <queue>
#include <thread>

namespace citytwin {

namespace {

constexpr int line_search_steps = 64;

// Step along x + tau * d in [0, 1] that minimizes the Beckmann objective (its derivative is monotone).
double line_search(const std::vector<link_cost>& costs, const std::vector<double>& x, const std::vector<double>& d) {
  auto slope = [&](double tau) {
    double g = 0;
    for (std::size_t e = 0; e < costs.size(); ++e)
      if (d[e] != 0 && !costs[e].closed) g += costs[e].time(x[e] + tau * d[e]) * d[e];
    return g;
  };
  if (slope(0) >= 0) return 0;
  if (slope(1) <= 0) return 1;
  double lo = 0, hi = 1;
  for (int i = 0; i < line_search_steps; ++i) {
    double mid = 0.5 * (lo + hi);
    (slope(mid) < 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Bi-conjugate target: the AON point y combined with the two previous targets so the new
// direction is conjugate to the last two with respect to the Hessian (diag of cost derivatives).
std::vector<double> biconjugate_target(const std::vector<link_cost>& costs, const std::vector<double>& x,
                                       const std::vector<double>& y, const std::vector<double>& s1,
                                       const std::vector<double>& s2, double tau1) {
  const std::size_t m = x.size();
  double n_mu = 0, d_mu = 0, n_nu = 0, d_nu = 0;
  for (std::size_t e = 0; e < m; ++e) {
    if (costs[e].closed) continue;
    double h = costs[e].derivative(x[e]);
    double previous_direction = tau1 * s1[e] - x[e] + (1 - tau1) * s2[e];
    n_mu += h * previous_direction * (y[e] - x[e]);
    d_mu += h * previous_direction * (s2[e] - s1[e]);
    n_nu += h * (s1[e] - x[e]) * (y[e] - x[e]);
    d_nu += h * (s1[e] - x[e]) * (s1[e] - x[e]);
  }
  if (d_mu == 0 || d_nu == 0) return y;
  double mu = std::max(0.0, -n_mu / d_mu);
  double nu = std::max(0.0, mu * tau1 / (1 - tau1) - n_nu / d_nu);
  double beta0 = 1 / (1 + mu + nu), beta1 = nu * beta0, beta2 = mu * beta0;
  std::vector<double> s(m);
  for (std::size_t e = 0; e < m; ++e) s[e] = beta0 * y[e] + beta1 * s1[e] + beta2 * s2[e];
  return s;
}

}  // namespace

double link_cost::time(double flow) const {
  return freeflow * (1 + b * std::pow(std::max(0.0, flow) / capacity, power)) + fixed;
}

double link_cost::derivative(double flow) const {
  if (power == 0 || b == 0) return 0;
  return freeflow * b * power * std::pow(std::max(0.0, flow) / capacity, power - 1) / capacity;
}

double link_cost::integral(double flow) const {
  flow = std::max(0.0, flow);
  return freeflow * flow * (1 + b / (power + 1) * std::pow(flow / capacity, power)) + fixed * flow;
}

std::vector<link_cost> link_costs(const city_graph& graph, const assignment_options& o, const std::vector<bool>& closed,
                                  const std::vector<double>& capacity_factor) {
  std::vector<link_cost> costs;
  costs.reserve(graph.segments.size());
  for (const auto& s : graph.segments) {
    link_cost c;
    c.freeflow = s.freeflow_time_s / o.time_unit_seconds;
    c.b = s.bpr_b;
    c.power = s.bpr_power;
    c.capacity = s.capacity_veh_per_h * (capacity_factor.empty() ? 1.0 : capacity_factor[s.id]);
    c.fixed = o.toll_weight * s.toll + o.distance_weight * s.length_m / o.metres_per_length_unit;
    c.closed = (!closed.empty() && closed[s.id]) || !(c.capacity > 0);
    costs.push_back(c);
  }
  return costs;
}

assignment_result solve_user_equilibrium(const city_graph& graph, const std::vector<link_cost>& costs,
                                         const assignment_options& options,
                                         const std::function<void(const assignment_iteration&)>& on_iteration,
                                         const assignment_result* previous) {
  if (options.method == assignment_method::gradient_projection)
    return solve_by_gradient_projection(graph, costs, options, on_iteration, previous);
  static const std::vector<double> none;
  const auto& warm_start = previous != nullptr ? previous->flows : none;
  assignment_result result;
  auto origins = group_by_origin(graph);
  const std::size_t m = graph.segments.size();
  std::vector<double> x;
  // A warm start must be feasible: flows on a link closed since then would vanish, so start cold.
  bool feasible = warm_start.size() == m;
  for (std::size_t e = 0; feasible && e < m; ++e) feasible = !(costs[e].closed && warm_start[e] > 0);
  if (feasible) x = warm_start;
  if (x.empty() || std::all_of(x.begin(), x.end(), [](double v) { return v == 0; }))
    x = assign_all_or_nothing(graph, travel_times_at(costs, std::vector<double>(m, 0)), origins, options.threads).flows;
  std::vector<double> s1, s2;  // the two previous targets
  double tau1 = 1, tau2 = 1;
  for (int k = 1;; ++k) {
    auto aon = record_iteration(k, graph, costs, x, origins, options, on_iteration, result);
    if (result.converged || k >= options.max_iterations) break;
    // Plain Frank-Wolfe for the first steps or after a full step; bi-conjugate afterwards.
    std::vector<double> target = (k < 3 || tau1 >= 1 || tau2 >= 1 || s2.empty())
                                     ? aon.flows
                                     : biconjugate_target(costs, x, aon.flows, s1, s2, tau1);
    std::vector<double> direction(m);
    for (std::size_t e = 0; e < m; ++e) direction[e] = target[e] - x[e];
    double tau = line_search(costs, x, direction);
    for (std::size_t e = 0; e < m; ++e) x[e] += tau * direction[e];
    s2 = std::move(s1);
    s1 = std::move(target);
    tau2 = tau1;
    tau1 = tau;
  }
  finish_result(costs, std::move(x), result);
  return result;
}

}  // namespace citytwin
