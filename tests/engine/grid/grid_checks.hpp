#pragma once
// What every generated grid must satisfy: radial, every building fed, and within limits at peak.

#include <gtest/gtest.h>

#include <map>

#include "engine/grid/city_grid.hpp"
#include "engine/grid/feeder_equipment.hpp"
#include "engine/power/load_flow.hpp"
#include "engine/power/radial_network.hpp"

namespace citytwin::testing {

inline void expect_identical(const power_case& a, const power_case& b) {
  ASSERT_EQ(a.buses.size(), b.buses.size());
  ASSERT_EQ(a.branches.size(), b.branches.size());
  ASSERT_EQ(a.generators.size(), b.generators.size());
  for (std::size_t i = 0; i < a.buses.size(); ++i) {
    EXPECT_EQ(a.buses[i].number, b.buses[i].number);
    EXPECT_EQ(a.buses[i].kind, b.buses[i].kind);
    EXPECT_EQ(a.buses[i].load_mw, b.buses[i].load_mw);
    EXPECT_EQ(a.buses[i].load_mvar, b.buses[i].load_mvar);
    EXPECT_EQ(a.buses[i].base_kv, b.buses[i].base_kv);
  }
  for (std::size_t i = 0; i < a.branches.size(); ++i) {
    EXPECT_EQ(a.branches[i].from_bus, b.branches[i].from_bus);
    EXPECT_EQ(a.branches[i].to_bus, b.branches[i].to_bus);
    EXPECT_EQ(a.branches[i].r_pu, b.branches[i].r_pu);
    EXPECT_EQ(a.branches[i].x_pu, b.branches[i].x_pu);
    EXPECT_EQ(a.branches[i].rating_mva, b.branches[i].rating_mva);
  }
}

inline void expect_identical(const std::vector<building_spec>& a, const std::vector<building_spec>& b,
                             bool compare_feeder_bus) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].osm_id, b[i].osm_id);
    EXPECT_EQ(a[i].type, b[i].type);
    EXPECT_EQ(a[i].floor_area_m2, b[i].floor_area_m2);
    EXPECT_EQ(a[i].nearest_road_node, b[i].nearest_road_node);
    EXPECT_EQ(a[i].peak_kw, b[i].peak_kw);
    if (compare_feeder_bus) {
      EXPECT_EQ(a[i].feeder_bus, b[i].feeder_bus);
    }
  }
}

// Structure, building supply and the peak load flow; returns the load flow for further checks.
inline load_flow_result expect_sound_grid(const city_grid& grid, const city_graph& graph) {
  std::map<std::int64_t, const power_bus*> bus;
  std::size_t sources = 0;
  for (const power_bus& b : grid.network.buses) {
    bus[b.number] = &b;
    sources += b.kind == bus_kind::slack;
  }
  EXPECT_EQ(bus.size(), grid.network.buses.size()) << "bus numbers repeat";
  EXPECT_EQ(sources, grid.substations.size());
  EXPECT_EQ(grid.substation_bus.size(), grid.substations.size());
  for (std::int64_t s : grid.substation_bus) EXPECT_EQ(bus.at(s)->kind, bus_kind::slack);
  for (const building_spec& b : grid.buildings) {
    auto it = bus.find(b.feeder_bus);
    if (it == bus.end()) {
      ADD_FAILURE() << "building " << b.id << " (OSM " << b.osm_id << ") is fed from missing bus "
                    << b.feeder_bus;
      break;
    }
    EXPECT_EQ(it->second->base_kv, low_voltage_kv);
  }
  EXPECT_EQ(grid.road_node_bus.size(), graph.nodes.size());
  for (std::int64_t b : grid.road_node_bus) {
    if (b != -1) {
      EXPECT_TRUE(bus.count(b)) << b;
    }
  }

  const radial_network net = build_radial_network(grid.network);  // throws on a loop
  EXPECT_TRUE(net.isolated_buses.empty());
  EXPECT_EQ(net.roots.size(), grid.substations.size());
  load_flow_options options;
  options.threads = 2;
  const load_flow_result flow = solve_load_flow(net, options);
  EXPECT_TRUE(flow.converged);
  EXPECT_GT(flow.min_voltage_pu, 0.9);
  EXPECT_EQ(flow.de_energized_buses, 0u);
  double peak_kw = 0;
  for (const building_spec& b : grid.buildings) peak_kw += b.peak_kw;
  EXPECT_NEAR(flow.load_kw, peak_kw, 1e-6 * peak_kw + 1e-6);
  double max_loading = 0, max_voltage = 0;
  for (const bus_state& s : flow.buses) {
    max_loading = std::max(max_loading, s.loading);
    max_voltage = std::max(max_voltage, s.voltage_pu);
  }
  EXPECT_LT(max_loading, 1);
  EXPECT_LE(max_voltage, 1.1);
  return flow;
}

}  // namespace citytwin::testing
