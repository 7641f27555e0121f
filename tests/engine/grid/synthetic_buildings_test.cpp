// The synthetic stock of a TNTP city: floor area per zone in proportion to its trip ends, sizes seeded.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "engine/grid/building_stock.hpp"
#include "engine/grid/load_profile.hpp"

namespace citytwin {

namespace {

const std::string sioux_falls = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";

struct zone_totals {
  double area[4] = {0, 0, 0, 0};
  std::size_t count[4] = {0, 0, 0, 0};
};

std::map<node_index, zone_totals> per_zone(const std::vector<building_spec>& buildings) {
  std::map<node_index, zone_totals> zones;
  for (const building_spec& b : buildings) {
    zones[b.nearest_road_node].area[static_cast<int>(b.type)] += b.floor_area_m2;
    ++zones[b.nearest_road_node].count[static_cast<int>(b.type)];
  }
  return zones;
}

}  // namespace

TEST(grid_synthetic_buildings, sioux_falls_floor_area_follows_trip_ends) {
  const loaded_city city = load_city(sioux_falls);
  const synthetic_stock_factors f;
  const std::vector<building_spec> buildings = synthetic_buildings(city, 42);
  std::vector<double> productions(city.graph.nodes.size()), attractions(city.graph.nodes.size());
  double total_trips = 0;
  for (const od_demand& d : city.graph.demand) {
    productions[d.origin] += d.vehicles_per_hour;
    attractions[d.destination] += d.vehicles_per_hour;
    total_trips += d.vehicles_per_hour;
  }
  EXPECT_DOUBLE_EQ(total_trips, 360'600);  // the trip table's TOTAL OD FLOW
  double residential = 0, other = 0;
  for (const building_spec& b : buildings)
    (b.type == building_type::residential ? residential : other) += b.floor_area_m2;
  // 20 m2 per production and 9 + 3 + 3 m2 per attraction.
  EXPECT_NEAR(residential, 7'212'000, 1e-3);
  EXPECT_NEAR(other, 5'409'000, 1e-3);

  const auto zones = per_zone(buildings);
  ASSERT_EQ(zones.size(), 24u);  // every Sioux Falls node is a zone with trips
  for (const auto& [zone, t] : zones) {
    EXPECT_NEAR(t.area[0], f.residential_m2_per_production * productions[zone], 1e-6 * t.area[0]);
    EXPECT_NEAR(t.area[1], f.commercial_m2_per_attraction * attractions[zone], 1e-6 * t.area[1]);
    EXPECT_NEAR(t.area[2], f.industrial_m2_per_attraction * attractions[zone], 1e-6 * t.area[2]);
    EXPECT_NEAR(t.area[3], f.public_m2_per_attraction * attractions[zone], 1e-6 * t.area[3]);
    EXPECT_EQ(t.count[0], static_cast<std::size_t>(std::llround(t.area[0] / f.typical_residential_m2)));
    EXPECT_EQ(t.count[1], static_cast<std::size_t>(std::llround(t.area[1] / f.typical_commercial_m2)));
  }
  // Zone 1 (node index 0) produces 8,800 trips: 176,000 m2 of housing in 293 buildings of ~600 m2.
  EXPECT_DOUBLE_EQ(productions[0], 8'800);
  EXPECT_NEAR(zones.at(0).area[0], 176'000, 1e-6);
  EXPECT_EQ(zones.at(0).count[0], 293u);

  for (const building_spec& b : buildings) {
    EXPECT_EQ(b.osm_id, 0);
    EXPECT_EQ(b.x, city.graph.nodes[b.nearest_road_node].x);  // placed at the zone's node
    EXPECT_EQ(b.y, city.graph.nodes[b.nearest_road_node].y);
    EXPECT_GT(b.floor_area_m2, 0);
    EXPECT_NEAR(b.floor_area_m2, b.footprint_m2 * b.levels, 1e-6);
    EXPECT_NEAR(b.peak_kw, peak_kw_for(b.type, b.floor_area_m2), 1e-9);
  }
}

TEST(grid_synthetic_buildings, the_seed_changes_building_sizes_but_not_zone_totals) {
  const loaded_city city = load_city(sioux_falls);
  const std::vector<building_spec> a = synthetic_buildings(city, 1);
  const std::vector<building_spec> again = synthetic_buildings(city, 1);
  const std::vector<building_spec> b = synthetic_buildings(city, 2);
  ASSERT_EQ(a.size(), again.size());
  ASSERT_EQ(a.size(), b.size());
  std::size_t sizes_differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].floor_area_m2, again[i].floor_area_m2);
    EXPECT_EQ(a[i].type, b[i].type);
    EXPECT_EQ(a[i].nearest_road_node, b[i].nearest_road_node);
    sizes_differ += a[i].floor_area_m2 != b[i].floor_area_m2;
  }
  EXPECT_GT(sizes_differ, a.size() / 2);
  const auto za = per_zone(a), zb = per_zone(b);
  for (const auto& [zone, t] : za)
    for (int type = 0; type < 4; ++type)
      EXPECT_NEAR(t.area[type], zb.at(zone).area[type], 1e-6 * t.area[type]);
}

}  // namespace citytwin
