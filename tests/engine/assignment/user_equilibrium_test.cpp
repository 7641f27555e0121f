#include "engine/assignment/user_equilibrium.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/import/city_loader.hpp"

namespace citytwin {

namespace {

const std::string tntp = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/";

assignment_options options_for(const loaded_city& city, double gap, unsigned threads = 2,
                               assignment_method method = assignment_method::gradient_projection) {
  assignment_options o;
  o.method = method;
  o.relative_gap = gap;
  o.threads = threads;
  o.time_unit_seconds = city.units.seconds_per_time_unit;
  o.metres_per_length_unit = city.units.metres_per_length_unit;
  o.toll_weight = city.weights.toll_per_unit;
  o.distance_weight = city.weights.distance_per_unit;
  return o;
}

// Best-known flows from a TNTP _flow.tntp file, by segment id.
std::vector<double> best_known_flows(const city_graph& g, const std::string& path) {
  std::vector<double> flows(g.segments.size(), -1);
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    long long from = 0, to = 0;
    double volume = 0;
    if (std::sscanf(line.c_str(), "%lld %lld %lf", &from, &to, &volume) != 3) continue;
    flows[find_segment(g, std::to_string(from) + "-" + std::to_string(to))] = volume;
  }
  return flows;
}

}  // namespace

// The README's objective 42.31335287107440 is the Beckmann objective of the best-known flows
// scaled by 1e-5; the first assertion checks that convention on the published flows themselves.
TEST(user_equilibrium, sioux_falls_matches_the_best_known_solution) {
  auto city = load_city(tntp + "SiouxFalls");
  auto options = options_for(city, 1e-6);
  auto costs = link_costs(city.graph, options);
  auto best = best_known_flows(city.graph, tntp + "SiouxFalls/SiouxFalls_flow.tntp");
  double best_objective = 0;
  for (std::size_t e = 0; e < costs.size(); ++e) best_objective += costs[e].integral(best[e]);
  const double published = 42.31335287107440 * 1e5;
  ASSERT_NEAR(best_objective, published, 1e-9 * published);

  auto r = solve_user_equilibrium(city.graph, costs, options);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.objective, published, 1e-6 * published);
  for (std::size_t e = 0; e < best.size(); ++e)
    EXPECT_NEAR(r.flows[e], best[e], 0.001 * best[e]) << "link " << e;
}

TEST(user_equilibrium, chicago_sketch_matches_the_best_known_solution) {
  auto city = load_city(tntp + "Chicago-Sketch");
  auto options = options_for(city, 1e-8);
  auto r = solve_user_equilibrium(city.graph, link_costs(city.graph, options), options);
  const double published = 17313018.7387477;
  EXPECT_NEAR(r.objective, published, 1e-5 * published);
  EXPECT_TRUE(r.converged);
  auto best = best_known_flows(city.graph, tntp + "Chicago-Sketch/ChicagoSketch_flow.tntp");
  for (std::size_t e = 0; e < best.size(); ++e)
    EXPECT_NEAR(r.flows[e], best[e], std::max(1.0, 0.005 * best[e])) << "link " << e;
}

TEST(user_equilibrium, frank_wolfe_reaches_the_sioux_falls_objective_too) {
  auto city = load_city(tntp + "SiouxFalls");
  auto options = options_for(city, 1e-6, 2, assignment_method::biconjugate_frank_wolfe);
  auto r = solve_user_equilibrium(city.graph, link_costs(city.graph, options), options);
  const double published = 42.31335287107440 * 1e5;
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.objective, published, 1e-6 * published);
}

TEST(user_equilibrium, braess_paradox_adding_the_middle_link_raises_travel_time) {
  auto city = load_city(tntp + "Braess-Example");
  auto options = options_for(city, 1e-9);
  auto with_link = solve_user_equilibrium(city.graph, link_costs(city.graph, options), options);
  std::vector<bool> closed(city.graph.segments.size(), false);
  closed[find_segment(city.graph, "3-4")] = true;
  auto without_link = solve_user_equilibrium(city.graph, link_costs(city.graph, options, closed), options, {}, &with_link);
  // Six travellers: 92 each with the middle link, 83 each without it.
  EXPECT_NEAR(with_link.total_system_travel_time, 6 * 92, 1e-3);
  EXPECT_NEAR(without_link.total_system_travel_time, 6 * 83, 1e-3);
  EXPECT_GT(with_link.total_system_travel_time, without_link.total_system_travel_time);
}

TEST(user_equilibrium, gradient_projection_warm_start_converges_faster_after_a_closure) {
  auto city = load_city(tntp + "SiouxFalls");
  auto options = options_for(city, 1e-8);
  auto base = solve_user_equilibrium(city.graph, link_costs(city.graph, options), options);
  std::vector<bool> closed(city.graph.segments.size(), false);
  auto link = find_segment(city.graph, "10-16");
  closed[link] = true;
  auto changed_costs = link_costs(city.graph, options, closed);
  auto cold = solve_user_equilibrium(city.graph, changed_costs, options);
  auto warm = solve_user_equilibrium(city.graph, changed_costs, options, {}, &base);
  EXPECT_TRUE(warm.converged);
  EXPECT_EQ(warm.flows[link], 0);
  EXPECT_LT(warm.iterations, cold.iterations);
  EXPECT_NEAR(warm.objective, cold.objective, 1e-7 * cold.objective);
}

TEST(user_equilibrium, same_flows_for_one_and_two_threads) {
  auto city = load_city(tntp + "SiouxFalls");
  for (auto method : {assignment_method::biconjugate_frank_wolfe, assignment_method::gradient_projection}) {
    auto one = options_for(city, 1e-7, 1, method);
    auto two = options_for(city, 1e-7, 2, method);
    auto a = solve_user_equilibrium(city.graph, link_costs(city.graph, one), one);
    auto b = solve_user_equilibrium(city.graph, link_costs(city.graph, two), two);
    ASSERT_EQ(a.iterations, b.iterations);
    EXPECT_EQ(a.relative_gap, b.relative_gap);
    for (std::size_t e = 0; e < a.flows.size(); ++e) EXPECT_EQ(a.flows[e], b.flows[e]) << "link " << e;
  }
}

TEST(user_equilibrium, capacity_cut_warm_starts_and_shifts_flow_away) {
  auto city = load_city(tntp + "SiouxFalls");
  auto options = options_for(city, 1e-5, 2, assignment_method::biconjugate_frank_wolfe);
  auto base = solve_user_equilibrium(city.graph, link_costs(city.graph, options), options);
  auto link = find_segment(city.graph, "10-15");
  std::vector<double> factor(city.graph.segments.size(), 1.0);
  factor[link] = 0.25;
  auto cut = solve_user_equilibrium(city.graph, link_costs(city.graph, options, {}, factor), options, {}, &base);
  EXPECT_LT(cut.flows[link], base.flows[link]);
  EXPECT_GT(cut.total_system_travel_time, base.total_system_travel_time);
  EXPECT_TRUE(cut.converged);
}

}  // namespace citytwin
