// Whole city grids (OSM and TNTP): radial, every building fed, within limits at peak, same for a seed.
#include "engine/grid/city_grid.hpp"

#include <gtest/gtest.h>

#include "engine/grid/footprint_geometry.hpp"
#include "engine/power/load_flow.hpp"
#include "tests/engine/grid/grid_checks.hpp"
#include "tests/engine/grid/tiny_town.hpp"

namespace citytwin {

namespace {

const std::string osm_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/osm/";
const std::string sioux_falls = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";

std::size_t count_origin(const city_grid& grid, substation_origin origin) {
  std::size_t n = 0;
  for (const substation_site& s : grid.substations) n += s.origin == origin;
  return n;
}

}  // namespace

TEST(city_grid, tiny_town_is_fed_from_its_mapped_substation) {
  const std::string path = testing::write_tiny_town(testing::test_temp_dir());
  const loaded_city city = load_city(path);
  const city_grid grid = build_city_grid(city, path, 7);
  ASSERT_EQ(grid.buildings.size(), 5u);
  ASSERT_EQ(grid.substations.size(), 1u);
  EXPECT_EQ(grid.substations[0].origin, substation_origin::mapped);
  testing::expect_sound_grid(grid, city.graph);
  // Every road node is within 500 m of a transformer in this town.
  for (std::int64_t b : grid.road_node_bus) EXPECT_NE(b, -1);
}

TEST(city_grid, monaco_grid_is_radial_and_within_limits_at_peak) {
  const std::string path = osm_dir + "monaco.osm.pbf";
  const loaded_city city = load_city(path);
  const city_grid grid = build_city_grid(city, path, 1);
  EXPECT_GT(grid.buildings.size(), 20'000u);
  // Monaco's extract maps no substation: they are placed, one per 20 MVA of peak.
  EXPECT_EQ(count_origin(grid, substation_origin::mapped), 0u);
  EXPECT_GE(count_origin(grid, substation_origin::placed), 3u);
  const load_flow_result flow = testing::expect_sound_grid(grid, city.graph);
  EXPECT_GT(flow.load_kw, 30'000);  // tens of MW for Monaco and its neighbours
  EXPECT_LT(flow.load_kw, 300'000);
  EXPECT_LT(flow.losses_kw, 0.05 * flow.load_kw);
  std::size_t powered = 0;
  for (std::int64_t b : grid.road_node_bus) powered += b != -1;
  EXPECT_GT(powered, city.graph.nodes.size() * 8 / 10);  // a dense city: almost every crossing has LV nearby
}

TEST(city_grid, monaco_same_seed_same_grid_other_seed_moves_only_placed_substations) {
  const std::string path = osm_dir + "monaco.osm.pbf";
  const loaded_city city = load_city(path);
  const city_grid a = build_city_grid(city, path, 1);
  const city_grid again = build_city_grid(city, path, 1);
  testing::expect_identical(a.network, again.network);
  testing::expect_identical(a.buildings, again.buildings, true);
  EXPECT_EQ(a.road_node_bus, again.road_node_bus);
  // Buildings use no randomness; only the placement of substations (none is mapped here) does.
  const city_grid other = build_city_grid(city, path, 2);
  testing::expect_identical(a.buildings, other.buildings, false);
}

TEST(city_grid, bayreuth_uses_its_mapped_substations_and_ignores_the_seed) {
  const std::string path = osm_dir + "north-bayreuth.osm.gz";
  const loaded_city city = load_city(path);
  const city_grid grid = build_city_grid(city, path, 1);
  EXPECT_GT(grid.buildings.size(), 3'000u);
  EXPECT_GE(count_origin(grid, substation_origin::mapped), 3u);
  EXPECT_EQ(count_origin(grid, substation_origin::placed), 0u);
  for (const substation_site& s : grid.substations) {
    if (s.origin == substation_origin::mapped) {
      EXPECT_FALSE(s.osm_object.empty());
    }
  }
  testing::expect_sound_grid(grid, city.graph);
  // Nothing here is random: another seed gives the same grid.
  const city_grid other = build_city_grid(city, path, 12345);
  testing::expect_identical(grid.network, other.network);
  testing::expect_identical(grid.buildings, other.buildings, true);
}

TEST(city_grid, sioux_falls_synthetic_stock_gets_a_sound_grid) {
  const loaded_city city = load_city(sioux_falls);
  const city_grid grid = build_city_grid(city, "", 3);
  EXPECT_GT(grid.buildings.size(), 10'000u);
  EXPECT_GE(count_origin(grid, substation_origin::placed), 1u);
  testing::expect_sound_grid(grid, city.graph);
  for (std::int64_t b : grid.road_node_bus) EXPECT_NE(b, -1);  // every node is a zone with buildings
  const city_grid again = build_city_grid(city, "", 3);
  testing::expect_identical(grid.network, again.network);
  testing::expect_identical(grid.buildings, again.buildings, true);
}

TEST(city_grid, zero_length_zone_connectors_still_carry_their_load) {
  // Berlin-Friedrichshain joins its zones to the streets with links of length 0, so distances along the roads
  // tie; the feeder tree must still see every zone's load.
  const loaded_city city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Friedrichshain");
  const city_grid grid = build_city_grid(city, "", 5);
  EXPECT_GT(grid.buildings.size(), 100u);
  testing::expect_sound_grid(grid, city.graph);
}

TEST(city_grid, tells_longitude_latitude_from_small_projected_coordinates) {
  EXPECT_TRUE(graph_frame(load_city(sioux_falls).graph).geographic());
  // Coordinates around (1, 2) with lengths in metres: a projected grid, not a spot in the Gulf of Guinea.
  EXPECT_FALSE(
      graph_frame(load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Friedrichshain").graph)
          .geographic());
}

TEST(city_grid, loads_follow_the_time_of_day) {
  const loaded_city city = load_city(sioux_falls);
  const city_grid grid = build_city_grid(city, "", 3);
  const power_case night = grid_case_at(grid, 4 * ms_per_hour);
  double expected_kw = 0, peak_kw = 0;
  for (const building_spec& b : grid.buildings) {
    expected_kw += load_kw_at(b, 4 * ms_per_hour);
    peak_kw += b.peak_kw;
  }
  double case_kw = 0;
  for (const power_bus& b : night.buses) case_kw += b.load_mw * night.base_mva * 1000;
  EXPECT_NEAR(case_kw, expected_kw, 1e-6 * expected_kw);
  EXPECT_LT(expected_kw, 0.5 * peak_kw);
  load_flow_options options;
  options.threads = 2;
  const load_flow_result flow = solve_load_flow(build_radial_network(night), options);
  EXPECT_TRUE(flow.converged);
  EXPECT_NEAR(flow.load_kw, expected_kw, 1e-6 * expected_kw);
}

TEST(city_grid, says_what_is_missing_when_there_is_nothing_to_build_from) {
  const std::string path = testing::write_tiny_town(testing::test_temp_dir());
  const loaded_city city = load_city(path);  // an OSM city has no trip table
  try {
    build_city_grid(city, "", 1);
    FAIL() << "no error without buildings or trips";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no trip table"), std::string::npos) << e.what();
  }
}

}  // namespace citytwin
