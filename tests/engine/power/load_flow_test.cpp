// Load flow by backward/forward sweep between utility node actors, checked against published
// results and an independent Newton-Raphson solution (data/power/SOURCES.md).

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "engine/power/load_flow.hpp"
#include "engine/power/matpower_importer.hpp"

namespace citytwin {

namespace {

const std::string power_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/power/";

load_flow_result solve_case(const std::string& file, std::uint32_t threads = 2) {
  const radial_network net = build_radial_network(load_matpower_case(power_dir + file));
  load_flow_options options;
  options.threads = threads;
  return solve_load_flow(net, options);
}

void expect_within_percent(double actual, double expected, double percent, const char* what) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * percent / 100) << what;
}

}  // namespace

TEST(load_flow, ieee_33_bus_matches_baran_and_wu) {
  const load_flow_result r = solve_case("case33bw.m");
  ASSERT_TRUE(r.converged);
  expect_within_percent(r.losses_kw, 202.67, 0.5, "active losses");
  expect_within_percent(r.losses_kvar, 135.14, 0.5, "reactive losses");
  EXPECT_NEAR(r.min_voltage_pu, 0.9131, 1e-4);
  EXPECT_EQ(r.min_voltage_bus, 18);
  EXPECT_GE(r.iterations, 3u);
  EXPECT_LE(r.iterations, 15u);
}

TEST(load_flow, bus_69_matches_baran_and_wu) {
  const load_flow_result r = solve_case("case69.m");
  ASSERT_TRUE(r.converged);
  expect_within_percent(r.losses_kw, 224.99, 0.5, "active losses");
  expect_within_percent(r.losses_kvar, 102.16, 0.5, "reactive losses");
  EXPECT_NEAR(r.min_voltage_pu, 0.9092, 1e-4);
  EXPECT_EQ(r.min_voltage_bus, 65);
}

TEST(load_flow, transformer_taps_shunts_kva_loads_and_two_sources_match_newton_raphson) {
  struct reference {
    const char* file;
    double losses_kw, losses_kvar, min_voltage;
    std::int64_t min_bus;
  };
  for (const reference& ref : {reference{"case18.m", 260.188, 1311.227, 1.02677, 8},
                               reference{"case141.m", 632.696, 467.650, 0.92786, 87},
                               reference{"case70da.m", 341.427, 307.584, 0.88389, 67}}) {
    SCOPED_TRACE(ref.file);
    const load_flow_result r = solve_case(ref.file);
    ASSERT_TRUE(r.converged);
    expect_within_percent(r.losses_kw, ref.losses_kw, 0.01, "active losses");
    expect_within_percent(r.losses_kvar, ref.losses_kvar, 0.01, "reactive losses");
    EXPECT_NEAR(r.min_voltage_pu, ref.min_voltage, 1e-5);
    EXPECT_EQ(r.min_voltage_bus, ref.min_bus);
  }
}

TEST(load_flow, off_nominal_taps_on_either_end_match_newton_raphson) {
  // case18's 138/12.5 kV transformer set to ratio 0.975, once with its tap on the source side and
  // once (branch reversed) on the feeder side.
  std::ifstream in(power_dir + "case18.m");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string original = "\t50\t1\t0.00312\t0.06753\t0\t0\t0\t0\t1\t0";
  struct variant {
    std::string row;
    double losses_kw, min_voltage;
    std::int64_t min_bus;
  };
  for (const variant& v : {variant{"\t50\t1\t0.00312\t0.06753\t0\t0\t0\t0\t0.975\t0", 252.957, 1.05, 51},
                           variant{"\t1\t50\t0.00312\t0.06753\t0\t0\t0\t0\t0.975\t0", 267.451, 0.99405, 8}}) {
    std::string changed = text.str();
    const auto at = changed.find(original);
    ASSERT_NE(at, std::string::npos);
    changed.replace(at, original.size(), v.row);
    const load_flow_result r = solve_load_flow(build_radial_network(parse_matpower_case(changed, "tap.m")), {});
    ASSERT_TRUE(r.converged);
    expect_within_percent(r.losses_kw, v.losses_kw, 0.01, v.row.c_str());
    EXPECT_NEAR(r.min_voltage_pu, v.min_voltage, 1e-5);
    EXPECT_EQ(r.min_voltage_bus, v.min_bus);
  }
}

TEST(load_flow, the_source_supplies_the_loads_plus_the_losses) {
  for (const char* file : {"case33bw.m", "case69.m", "case141.m"}) {
    SCOPED_TRACE(file);
    const load_flow_result r = solve_case(file);
    EXPECT_NEAR(r.slack_kw, r.load_kw + r.losses_kw, 1e-6 * r.slack_kw);
    EXPECT_NEAR(r.slack_kvar, r.load_kvar + r.losses_kvar, 1e-6 * r.slack_kw);
  }
}

TEST(load_flow, results_are_bit_identical_for_any_thread_count) {
  const load_flow_result one = solve_case("case69.m", 1);
  const load_flow_result four = solve_case("case69.m", 4);
  EXPECT_EQ(one.losses_kw, four.losses_kw);
  EXPECT_EQ(one.losses_kvar, four.losses_kvar);
  EXPECT_EQ(one.iterations, four.iterations);
  ASSERT_EQ(one.buses.size(), four.buses.size());
  for (std::size_t i = 0; i < one.buses.size(); ++i) EXPECT_EQ(one.buses[i].voltage_pu, four.buses[i].voltage_pu);
}

TEST(load_flow, an_open_breaker_de_energizes_exactly_the_buses_below_it) {
  const radial_network net = build_radial_network(load_matpower_case(power_dir + "case33bw.m"));
  // Below the branch 5-6 of case33bw: buses 6..18 and 26..33.
  std::set<std::int64_t> expected;
  for (std::int64_t b = 6; b <= 18; ++b) expected.insert(b);
  for (std::int64_t b = 26; b <= 33; ++b) expected.insert(b);
  std::uint32_t bus6 = 0;
  for (std::uint32_t i = 0; i < net.nodes.size(); ++i)
    if (net.nodes[i].bus_number == 6) bus6 = i;
  caf::actor_system_config config = make_grid_config(2);
  caf::actor_system system{config};
  grid_actors grid(system, net);
  const load_flow_result before = grid.solve({});
  grid.set_breaker(bus6, false);
  const load_flow_result after = grid.solve({});
  ASSERT_TRUE(after.converged);
  std::set<std::int64_t> dark;
  double dark_load_kw = 0;
  for (const bus_state& b : after.buses)
    if (!b.energized) dark.insert(b.bus);
  for (const auto& n : net.nodes)
    if (expected.count(n.bus_number)) dark_load_kw += n.load.real() * net.base_mva * 1000;
  EXPECT_EQ(dark, expected);
  EXPECT_EQ(after.de_energized_buses, expected.size());
  EXPECT_NEAR(after.load_kw, before.load_kw - dark_load_kw, 1e-6);
  EXPECT_LT(after.losses_kw, before.losses_kw);
  EXPECT_GT(after.min_voltage_pu, before.min_voltage_pu);
  EXPECT_NEAR(after.slack_kw, after.load_kw + after.losses_kw, 1e-6 * after.slack_kw);
  // Closing it again restores the original solution.
  grid.set_breaker(bus6, true);
  const load_flow_result restored = grid.solve({});
  EXPECT_NEAR(restored.losses_kw, before.losses_kw, 1e-6);
  EXPECT_EQ(restored.de_energized_buses, 0u);
}

TEST(load_flow, a_changed_load_moves_the_solution) {
  const radial_network net = build_radial_network(load_matpower_case(power_dir + "case33bw.m"));
  caf::actor_system_config config = make_grid_config(2);
  caf::actor_system system{config};
  grid_actors grid(system, net);
  const load_flow_result before = grid.solve({});
  const std::uint32_t last = static_cast<std::uint32_t>(net.nodes.size() - 1);
  grid.set_load(last, net.nodes[last].load * 2.0);
  const load_flow_result after = grid.solve({});
  EXPECT_NEAR(after.load_kw, before.load_kw + net.nodes[last].load.real() * net.base_mva * 1000, 1e-6);
  EXPECT_GT(after.losses_kw, before.losses_kw);
}

TEST(load_flow, an_iteration_limit_is_reported_as_not_converged) {
  const radial_network net = build_radial_network(load_matpower_case(power_dir + "case33bw.m"));
  load_flow_options options;
  options.max_iterations = 2;
  const load_flow_result r = solve_load_flow(net, options);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 2u);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.back().find("did not converge"), std::string::npos);
}

TEST(load_flow, an_impossible_load_is_reported_as_diverged_not_as_a_number) {
  power_case pc = load_matpower_case(power_dir + "case33bw.m");
  for (power_bus& b : pc.buses) b.load_mw *= 50;
  const load_flow_result r = solve_load_flow(build_radial_network(pc), {});
  EXPECT_FALSE(r.converged);
}

}  // namespace citytwin
