// Buildings from OSM: exact footprints on a hand-written town, and sane stocks from the two real extracts.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "engine/grid/building_stock.hpp"
#include "engine/grid/load_profile.hpp"
#include "engine/grid/substation_sites.hpp"
#include "engine/import/import_error.hpp"
#include "engine/import/osm_importer.hpp"
#include "tests/engine/grid/tiny_town.hpp"

namespace citytwin {

namespace {

const std::string osm_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/osm/";

const building_spec& by_osm_id(const std::vector<building_spec>& buildings, std::int64_t osm_id) {
  auto it = std::find_if(buildings.begin(), buildings.end(),
                         [&](const building_spec& b) { return b.osm_id == osm_id; });
  if (it == buildings.end()) throw std::runtime_error("no building with OSM id " + std::to_string(osm_id));
  return *it;
}

// Checks every building of a real extract and returns the count per type.
std::map<building_type, std::size_t> check_stock(const std::vector<building_spec>& buildings,
                                                 const city_graph& g) {
  std::map<building_type, std::size_t> per_type;
  for (std::size_t i = 0; i < buildings.size(); ++i) {
    const building_spec& b = buildings[i];
    EXPECT_EQ(b.id, i);
    EXPECT_NE(b.osm_id, 0);
    EXPECT_GE(b.footprint_m2, 1) << b.osm_id;
    EXPECT_LT(b.footprint_m2, 200'000) << b.osm_id;  // the largest halls are a few hectares
    EXPECT_GE(b.levels, 1) << b.osm_id;
    EXPECT_LE(b.levels, 200) << b.osm_id;
    EXPECT_DOUBLE_EQ(b.floor_area_m2, b.footprint_m2 * b.levels) << b.osm_id;
    EXPECT_LT(b.nearest_road_node, g.nodes.size());
    EXPECT_NEAR(b.peak_kw, peak_kw_for(b.type, b.floor_area_m2), 1e-9);
    EXPECT_GT(b.occupants, 0);
    ++per_type[b.type];
  }
  EXPECT_TRUE(
      std::is_sorted(buildings.begin(), buildings.end(), [](const building_spec& a, const building_spec& b) {
        return (a.osm_id > 0) == (b.osm_id > 0) ? std::abs(a.osm_id) < std::abs(b.osm_id) : a.osm_id > 0;
      }));
  return per_type;
}

double median_floor_area(std::vector<building_spec> buildings) {
  std::sort(buildings.begin(), buildings.end(),
            [](const building_spec& a, const building_spec& b) { return a.floor_area_m2 < b.floor_area_m2; });
  return buildings[buildings.size() / 2].floor_area_m2;
}

}  // namespace

TEST(grid_osm_buildings, reads_a_hand_written_town_exactly) {
  const std::string path = testing::write_tiny_town(testing::test_temp_dir());
  const city_graph g = import_osm(path);
  osm_building_stats stats;
  const std::vector<building_spec> buildings = read_osm_buildings(path, g, &stats);
  EXPECT_EQ(stats.footprints, 6u);
  EXPECT_EQ(stats.kept, 5u);
  EXPECT_EQ(stats.unserved_structures, 1u);  // the garage
  EXPECT_EQ(stats.typed_by_landuse, 1u);
  EXPECT_EQ(stats.entrances_used, 1u);
  ASSERT_EQ(buildings.size(), 5u);
  // Ways in id order, then the relation as minus its id.
  EXPECT_EQ(buildings.front().osm_id, 100);
  EXPECT_EQ(buildings.back().osm_id, -500);

  const building_spec& house = by_osm_id(buildings, 100);
  EXPECT_EQ(house.type, building_type::residential);
  EXPECT_NEAR(house.footprint_m2, 200, 2);
  EXPECT_EQ(house.levels, 3);
  EXPECT_NEAR(house.floor_area_m2, 600, 6);
  EXPECT_NEAR(house.peak_kw, 600 * 15 / 1000.0, 0.1);  // residential 15 W/m2
  // At its entrance, to OSM's 1e-7 degree precision.
  EXPECT_NEAR(house.x, testing::town_lon + 80 / testing::wgs84_m_per_degree_lon_45, 1e-7);
  EXPECT_NEAR(house.y, testing::town_lat + 20 / testing::wgs84_m_per_degree_lat_45, 1e-7);
  EXPECT_EQ(g.nodes[house.nearest_road_node].external_id, 2);  // the crossing at (100, 0)

  const building_spec& bakery = by_osm_id(buildings, 200);
  EXPECT_EQ(bakery.type, building_type::commercial);
  EXPECT_NEAR(bakery.floor_area_m2, 200 * 2, 4);
  EXPECT_EQ(by_osm_id(buildings, 210).type, building_type::commercial);

  const building_spec& hall = by_osm_id(buildings, 410);
  EXPECT_EQ(hall.type, building_type::industrial);  // from the landuse around it
  EXPECT_EQ(hall.levels, 1);
  EXPECT_NEAR(hall.floor_area_m2, 2000, 20);

  const building_spec& flats = by_osm_id(buildings, -500);
  EXPECT_EQ(flats.type, building_type::residential);
  EXPECT_NEAR(flats.footprint_m2, 1500, 15);  // the courtyard is not floor
  EXPECT_NEAR(flats.floor_area_m2, 6000, 60);
}

TEST(grid_osm_buildings, finds_the_mapped_substation_of_the_town) {
  const std::string path = testing::write_tiny_town(testing::test_temp_dir());
  const city_graph g = import_osm(path);
  osm_substation_stats stats;
  const std::vector<substation_site> sites = read_osm_substations(path, g, &stats);
  EXPECT_EQ(stats.mapped, 1u);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].origin, substation_origin::mapped);
  EXPECT_EQ(sites[0].name, "Tiny Town");
  EXPECT_EQ(sites[0].osm_object, "node 37");  // the town's last node
  EXPECT_EQ(g.nodes[sites[0].road_node].external_id, 2);
}

TEST(grid_osm_buildings, reports_a_missing_file_and_a_graph_not_in_degrees) {
  const std::string path = testing::write_tiny_town(testing::test_temp_dir());
  const city_graph g = import_osm(path);
  try {
    read_osm_buildings(path + ".missing", g);
    FAIL() << "no error for a missing file";
  } catch (const import_error& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
  city_graph projected = g;
  for (road_node& n : projected.nodes) {
    n.x = n.x * 100'000;
    n.y = n.y * 100'000;
  }
  EXPECT_THROW(read_osm_buildings(path, projected), import_error);
}

TEST(grid_osm_buildings, monaco_has_thousands_of_plausible_buildings) {
  const std::string path = osm_dir + "monaco.osm.pbf";
  const city_graph g = import_osm(path);
  osm_building_stats stats;
  const std::vector<building_spec> buildings = read_osm_buildings(path, g, &stats);
  EXPECT_GT(buildings.size(), 20'000u);  // the extract holds about 23k building outlines
  EXPECT_EQ(stats.kept + stats.unserved_structures + stats.degenerate_footprints, stats.footprints);
  auto per_type = check_stock(buildings, g);
  EXPECT_GT(per_type.at(building_type::residential), 10'000u);
  const double median = median_floor_area(buildings);
  EXPECT_GT(median, 50);  // a small house on two floors
  EXPECT_LT(median, 2'000);
}

TEST(grid_osm_buildings, bayreuth_villages_have_buildings_and_an_industrial_estate) {
  const std::string path = osm_dir + "north-bayreuth.osm.gz";
  const city_graph g = import_osm(path);
  osm_building_stats stats;
  const std::vector<building_spec> buildings = read_osm_buildings(path, g, &stats);
  EXPECT_GT(buildings.size(), 3'000u);        // about 4.3k outlines, nearly all building=yes
  EXPECT_GT(stats.unserved_structures, 10u);  // garages and huts
  auto per_type = check_stock(buildings, g);
  EXPECT_GT(stats.typed_by_landuse, 10u);
  EXPECT_GT(per_type[building_type::industrial], 10u);
  const double median = median_floor_area(buildings);
  EXPECT_GT(median, 50);
  EXPECT_LT(median, 2'000);
}

}  // namespace citytwin
