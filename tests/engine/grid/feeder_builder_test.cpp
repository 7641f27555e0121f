// Feeder layout on hand-made roads: feeders split at their rating, substations added where voltage sags.
#include "engine/grid/feeder_builder.hpp"

#include <gtest/gtest.h>

#include "engine/grid/feeder_equipment.hpp"
#include "engine/grid/load_profile.hpp"
#include "tests/engine/grid/grid_checks.hpp"

namespace citytwin {

namespace {

// Nodes on a straight road at the given distances (metres, projected coordinates), two-way.
city_graph straight_road(const std::vector<double>& positions_m) {
  city_graph g;
  g.name = "straight road";
  for (std::size_t i = 0; i < positions_m.size(); ++i)
    g.nodes.push_back({static_cast<std::int64_t>(i + 1), positions_m[i], 0, true, true});
  for (node_index i = 0; i + 1 < g.nodes.size(); ++i) {
    const double length = positions_m[i + 1] - positions_m[i];
    for (auto [from, to] : {std::pair{i, i + 1}, std::pair{i + 1, i}}) {
      road_segment_spec s;
      s.id = static_cast<segment_id>(g.segments.size());
      s.from = from;
      s.to = to;
      s.length_m = length;
      s.freeflow_speed_mps = 10;
      s.freeflow_time_s = length / 10;
      s.capacity_veh_per_h = 1000;
      g.segments.push_back(s);
    }
  }
  g.finalize();
  return g;
}

building_spec shop_at(node_index node, double peak_kw) {
  building_spec b;
  b.type = building_type::commercial;
  b.nearest_road_node = node;
  b.peak_kw = peak_kw;
  b.power_factor = parameters_of(b.type).power_factor;
  return b;
}

substation_site site_at(node_index node) {
  substation_site s;
  s.road_node = node;
  s.name = "test";
  return s;
}

city_grid as_grid(const feeder_design& d, std::vector<building_spec> buildings) {
  city_grid g;
  g.network = d.network;
  for (std::size_t i = 0; i < buildings.size(); ++i) buildings[i].feeder_bus = d.building_bus[i];
  g.buildings = std::move(buildings);
  g.road_node_bus = d.road_node_bus;
  g.substations = d.substations;
  g.substation_bus = d.substation_bus;
  return g;
}

}  // namespace

TEST(grid_feeder_builder, splits_a_street_whose_load_exceeds_one_feeder) {
  // 20 shops of 1 MW, 200 m apart: 21.7 MVA against 4.4 MVA planned per feeder.
  std::vector<double> positions;
  for (int i = 0; i <= 20; ++i) positions.push_back(200.0 * i);
  const city_graph g = straight_road(positions);
  std::vector<building_spec> buildings;
  for (node_index i = 1; i <= 20; ++i) buildings.push_back(shop_at(i, 1'000));
  const feeder_design d = build_feeders(g, buildings, {site_at(0)});
  EXPECT_GE(d.feeders, 5u);
  EXPECT_EQ(d.transformers, 20u);
  EXPECT_EQ(d.substations.size(), 1u);  // 4 km of cable hold the voltage
  const load_flow_result flow = testing::expect_sound_grid(as_grid(d, buildings), g);
  // No feeder cable is loaded beyond the planning limit (plus losses).
  for (const bus_state& s : flow.buses) EXPECT_LT(s.loading, 0.85);
}

TEST(grid_feeder_builder, gives_a_single_heavy_load_parallel_circuits) {
  const city_graph g = straight_road({0, 500});
  const std::vector<building_spec> buildings{shop_at(1, 10'000)};  // 10.9 MVA at one crossing
  const feeder_design d = build_feeders(g, buildings, {site_at(0)});
  EXPECT_EQ(d.feeders, 1u);
  double largest_cable = 0;
  for (const power_branch& br : d.network.branches)
    if (d.network.buses[static_cast<std::size_t>(br.to_bus - 1)].base_kv == medium_voltage_kv)
      largest_cable = std::max(largest_cable, br.rating_mva);
  EXPECT_EQ(largest_cable, 3 * mv_feeder_cable.rating_mva);
  testing::expect_sound_grid(as_grid(d, buildings), g);
}

TEST(grid_feeder_builder, adds_a_substation_where_a_long_feeder_cannot_hold_voltage) {
  // A village of 3 MW, 40 km from the only substation: about 20 % drop on one cable.
  const city_graph g = straight_road({0, 20'000, 40'000});
  const std::vector<building_spec> buildings{shop_at(2, 3'000)};
  const feeder_design d = build_feeders(g, buildings, {site_at(0)});
  ASSERT_EQ(d.substations.size(), 2u);
  EXPECT_EQ(d.substations[1].origin, substation_origin::added_for_voltage);
  EXPECT_EQ(d.substations[1].road_node, 2u);
  EXPECT_GE(d.estimated_min_voltage_pu, design_min_voltage_pu);
  EXPECT_FALSE(d.notes.empty());
  testing::expect_sound_grid(as_grid(d, buildings), g);
}

TEST(grid_feeder_builder, every_building_hangs_from_a_bus_even_one_that_draws_nothing) {
  const city_graph g = straight_road({0, 300, 600});
  const std::vector<building_spec> buildings{shop_at(2, 0), shop_at(1, 50)};
  const feeder_design d = build_feeders(g, buildings, {site_at(0)});
  ASSERT_EQ(d.building_bus.size(), 2u);
  EXPECT_NE(d.building_bus[0], -1);
  EXPECT_NE(d.building_bus[1], -1);
  EXPECT_NE(d.building_bus[0], d.building_bus[1]);
  testing::expect_sound_grid(as_grid(d, buildings), g);
}

TEST(grid_feeder_builder, rejects_missing_sites_and_buildings_off_the_graph) {
  const city_graph g = straight_road({0, 100});
  EXPECT_THROW(build_feeders(g, {shop_at(1, 10)}, {}), std::invalid_argument);
  try {
    build_feeders(g, {shop_at(5, 10)}, {site_at(0)});
    FAIL() << "no error for a building on a missing node";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("road node 5"), std::string::npos) << e.what();
  }
}

}  // namespace citytwin
