// A city grid over hours: building actors, protection trips, scheduled switching, unserved
// energy, and dark signals slowing traffic.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/demand/trip_generator.hpp"
#include "engine/power/grid_simulation.hpp"
#include "engine/power/signal_coupling.hpp"
#include "engine/runtime/simulation.hpp"

namespace citytwin {

namespace {

const std::string sioux_falls = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";

struct sioux_falls_grid {
  loaded_city city = load_city(sioux_falls);
  city_grid grid = build_city_grid(city, "", 1);
};

const sioux_falls_grid& shared_grid() {
  static const sioux_falls_grid g;
  return g;
}

// The buses below (and including) `bus` in the network's trees.
std::set<std::int64_t> subtree_of(const radial_network& net, std::int64_t bus) {
  std::set<std::int64_t> out;
  std::vector<std::uint32_t> stack;
  for (std::uint32_t i = 0; i < net.nodes.size(); ++i)
    if (net.nodes[i].bus_number == bus) stack.push_back(i);
  while (!stack.empty()) {
    const auto n = stack.back();
    stack.pop_back();
    out.insert(net.nodes[n].bus_number);
    for (auto c : net.nodes[n].children) stack.push_back(c);
  }
  return out;
}

// A transformer bus (one that feeds buildings) with some load behind it.
std::int64_t a_loaded_building_bus(const city_grid& grid) {
  std::map<std::int64_t, double> load;
  for (const building_spec& b : grid.buildings) load[b.feeder_bus] += b.peak_kw;
  return std::max_element(load.begin(), load.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
}

}  // namespace

TEST(grid_simulation, a_scheduled_outage_darkens_exactly_the_buildings_below_the_breaker) {
  const auto& g = shared_grid();
  const std::int64_t bus = a_loaded_building_bus(g.grid);
  grid_simulation_options options;
  options.start_time_of_day = 8 * ms_per_hour;
  options.duration = 4 * ms_per_hour;
  options.step = 30 * 60 * ms_per_second;
  options.actions = {{ms_per_hour, bus, false}, {2 * ms_per_hour, bus, true}};
  const grid_simulation_result r = run_grid_simulation(g.grid, options);
  const radial_network net = build_radial_network(network_without_building_loads(g.grid));
  const std::set<std::int64_t> below = subtree_of(net, bus);
  ASSERT_EQ(r.buildings.size(), g.grid.buildings.size());
  std::size_t dark = 0;
  for (std::size_t i = 0; i < r.buildings.size(); ++i) {
    const bool under = below.count(g.grid.buildings[i].feeder_bus) > 0;
    EXPECT_DOUBLE_EQ(r.buildings[i].hours_without_power, under ? 1.0 : 0.0) << "building " << i;
    EXPECT_EQ(r.buildings[i].unserved_kwh > 0, under);
    dark += under;
  }
  EXPECT_GT(dark, 0u);
  ASSERT_EQ(r.outages.size(), below.size());
  for (const bus_outage& o : r.outages) {
    EXPECT_EQ(o.from, ms_per_hour);
    EXPECT_EQ(o.to, 2 * ms_per_hour);
    EXPECT_TRUE(below.count(o.bus));
  }
  EXPECT_DOUBLE_EQ(r.building_hours_without_power, static_cast<double>(dark));
  for (const grid_step& s : r.steps) EXPECT_TRUE(s.converged);
}

TEST(grid_simulation, an_overloaded_transformer_trips_after_its_tolerance_and_only_its_buildings_go_dark) {
  const auto& g = shared_grid();
  grid_simulation_options options;
  options.start_time_of_day = 17 * ms_per_hour;  // towards the evening peak
  options.duration = 3 * ms_per_hour;
  options.step = 15 * 60 * ms_per_second;
  options.overload_tolerance = 30 * 60 * ms_per_second;
  options.load_scale = 2.0;  // the design keeps peak under 80 % of ratings: this is well over
  const grid_simulation_result r = run_grid_simulation(g.grid, options);
  std::set<std::int64_t> tripped;
  for (const grid_event& e : r.events) {
    ASSERT_EQ(e.kind, grid_event_kind::tripped);
    EXPECT_GT(e.loading, 1.0);
    // Overloaded from the first step at the earliest, so no trip before the tolerance has passed.
    EXPECT_GE(e.at, options.overload_tolerance);
    tripped.insert(e.bus);
  }
  ASSERT_FALSE(tripped.empty()) << "no element overloaded at 2 x peak; first step " << r.steps[0].load_kw
                                << " kW, max loading " << r.steps[0].max_loading;
  const radial_network net = build_radial_network(network_without_building_loads(g.grid));
  std::set<std::int64_t> dark_buses;
  for (std::int64_t bus : tripped) {
    auto below = subtree_of(net, bus);
    dark_buses.insert(below.begin(), below.end());
  }
  for (std::size_t i = 0; i < r.buildings.size(); ++i)
    EXPECT_EQ(r.buildings[i].hours_without_power > 0, dark_buses.count(g.grid.buildings[i].feeder_bus) > 0)
        << "building " << i;
  EXPECT_GT(r.unserved_kwh, 0);
}

TEST(grid_simulation, the_same_grid_and_options_give_the_same_run) {
  const auto& g = shared_grid();
  grid_simulation_options options;
  options.duration = 2 * ms_per_hour;
  options.step = 30 * 60 * ms_per_second;
  options.load_scale = 1.6;
  options.overload_tolerance = 30 * 60 * ms_per_second;
  options.threads = 1;
  const auto a = run_grid_simulation(g.grid, options);
  options.threads = 3;
  const auto b = run_grid_simulation(g.grid, options);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (std::size_t i = 0; i < a.steps.size(); ++i) {
    EXPECT_EQ(a.steps[i].load_kw, b.steps[i].load_kw);
    EXPECT_EQ(a.steps[i].losses_kw, b.steps[i].losses_kw);
  }
  EXPECT_EQ(a.events.size(), b.events.size());
  EXPECT_EQ(a.unserved_kwh, b.unserved_kwh);
}

TEST(signal_coupling, dark_signals_lower_throughput_through_their_intersection) {
  const auto& g = shared_grid();
  const city_graph& graph = g.city.graph;
  const auto signalized = signalized_nodes(graph);
  // The busiest signalized node with power, by incoming capacity.
  node_index busiest = 0;
  double best = -1;
  for (node_index n = 0; n < graph.nodes.size(); ++n) {
    if (!signalized[n] || g.grid.road_node_bus[n] < 0) continue;
    double capacity = 0;
    for (auto k = graph.in_begin[n]; k < graph.in_begin[n + 1]; ++k) capacity += graph.segments[graph.in_ids[k]].capacity_veh_per_h;
    if (capacity > best) best = capacity, busiest = n;
  }
  ASSERT_GE(best, 0) << "no signalized node is powered";
  const std::vector<bus_outage> outage{{g.grid.road_node_bus[busiest], 10 * 60 * ms_per_second, 50 * 60 * ms_per_second}};
  const auto controls = dark_signal_controls(graph, g.grid, outage);
  ASSERT_FALSE(controls.empty());
  for (const segment_control& c : controls) EXPECT_EQ(graph.segments[c.segment].to, busiest);

  simulation_options options;
  options.duration = ms_per_hour;
  options.demand_scale = 0.5;
  const trip_plan plan = generate_trips(graph, demand_options{options.seed, options.demand_scale, options.duration});
  const auto through = [&](const simulation_result& r) {
    std::int64_t n = 0;
    for (auto k = graph.in_begin[busiest]; k < graph.in_begin[busiest + 1]; ++k) n += r.segments[graph.in_ids[k]].outflow;
    return n;
  };
  const simulation_result lit = run_simulation(graph, plan, options);
  options.controls = controls;
  const simulation_result dark = run_simulation(graph, plan, options);
  EXPECT_LT(through(dark), through(lit));
  EXPECT_LT(dark.arrived, lit.arrived);
}

TEST(signal_coupling, osm_signals_come_from_traffic_signal_tags) {
  const loaded_city city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/osm/monaco.osm.pbf");
  const auto signalized = signalized_nodes(city.graph);
  const auto count = std::count(signalized.begin(), signalized.end(), true);
  EXPECT_GT(count, 10);
  EXPECT_LT(static_cast<std::size_t>(count), city.graph.nodes.size() / 2);
}

}  // namespace citytwin
