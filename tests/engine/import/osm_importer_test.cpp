#include "engine/import/osm_importer.hpp"

#include <gtest/gtest.h>

#include "engine/import/import_error.hpp"
#include "engine/import/osm_highway_defaults.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin {

namespace {

const std::string osm_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/osm/";

// A small OSM XML file: nodes on a line at 0.001 degree (about 111 m) steps of latitude.
std::string osm_xml(const std::string& ways, int node_count = 6) {
  std::string xml = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n";
  for (int i = 1; i <= node_count; ++i)
    xml += "<node id=\"" + std::to_string(i) + "\" lat=\"" + std::to_string(0.001 * i) + "\" lon=\"" +
           std::to_string(i == 6 ? 0.001 : 0.0) + "\" version=\"1\"/>\n";
  return xml + ways + "</osm>\n";
}

std::string way(int id, std::initializer_list<int> refs, const std::string& tags) {
  std::string xml = "<way id=\"" + std::to_string(id) + "\" version=\"1\">";
  for (int r : refs) xml += "<nd ref=\"" + std::to_string(r) + "\"/>";
  return xml + tags + "</way>\n";
}

std::string tag(const std::string& k, const std::string& v) { return "<tag k=\"" + k + "\" v=\"" + v + "\"/>"; }

city_graph import_text(const std::string& xml, osm_import_stats* stats = nullptr) {
  auto path = testing::write_file(testing::test_temp_dir() / "town.osm", xml);
  return import_osm(path, {}, stats);
}

std::size_t count_from(const city_graph& g, std::int64_t from_osm, std::int64_t to_osm) {
  std::size_t n = 0;
  for (const auto& s : g.segments)
    n += g.nodes[s.from].external_id == from_osm && g.nodes[s.to].external_id == to_osm;
  return n;
}

}  // namespace

TEST(osm_importer, imports_monaco_with_sane_segments) {
  osm_import_stats stats;
  auto g = import_osm(osm_dir + "monaco.osm.pbf", {}, &stats);
  EXPECT_GT(g.segments.size(), 3'000u);
  EXPECT_GT(g.nodes.size(), 1'500u);
  EXPECT_GT(stats.drivable_ways, 1'000u);
  for (const auto& s : g.segments) {
    ASSERT_GT(s.length_m, 0);
    ASSERT_GT(s.freeflow_speed_mps, 0);
    ASSERT_GT(s.capacity_veh_per_h, 0);
    ASSERT_GE(s.lanes, 1);
  }
  std::size_t zones = 0;
  for (const auto& n : g.nodes) zones += n.is_zone;
  EXPECT_GT(zones, 300u);
}

TEST(osm_importer, imports_gzipped_xml) {
  auto g = import_osm(osm_dir + "north-bayreuth.osm.gz");
  EXPECT_GT(g.segments.size(), 1'000u);
  for (const auto& n : g.nodes) {
    EXPECT_GT(n.x, 11.0);  // longitudes around Bayreuth
    EXPECT_LT(n.x, 12.0);
  }
}

TEST(osm_importer, splits_ways_at_intersections_and_keeps_both_directions) {
  // Way 10 runs 1-2-3-4-5; way 11 crosses it at 3 (from 6). Two-way residential roads.
  auto g = import_text(osm_xml(way(10, {1, 2, 3, 4, 5}, tag("highway", "residential")) +
                               way(11, {6, 3}, tag("highway", "residential"))));
  EXPECT_EQ(count_from(g, 1, 3), 1u);
  EXPECT_EQ(count_from(g, 3, 1), 1u);
  EXPECT_EQ(count_from(g, 3, 5), 1u);
  EXPECT_EQ(count_from(g, 5, 3), 1u);
  EXPECT_EQ(count_from(g, 6, 3), 1u);
  EXPECT_EQ(g.segments.size(), 6u);
  // Node 2 is not an intersection: the 1-3 segment spans two 111 m steps.
  auto s = g.segments[0];
  EXPECT_NEAR(s.length_m, 222.4, 1.0);
  EXPECT_NEAR(s.freeflow_speed_mps, 30 / 3.6, 1e-9);  // residential default
}

TEST(osm_importer, follows_oneway_tags_and_roundabouts) {
  auto ring = way(20, {1, 2, 3, 1}, tag("highway", "primary") + tag("junction", "roundabout"));
  auto g = import_text(osm_xml(ring + way(21, {3, 4}, tag("highway", "primary") + tag("oneway", "-1")) +
                               way(22, {3, 5, 4}, tag("highway", "primary") + tag("oneway", "yes"))));
  std::size_t reversed = 0;
  for (const auto& s : g.segments)
    if (s.source_id == 21) {
      ++reversed;
      EXPECT_EQ(g.nodes[s.from].external_id, 4) << "oneway=-1 runs against the way's node order";
      EXPECT_EQ(g.nodes[s.to].external_id, 3);
    }
  EXPECT_EQ(reversed, 1u);
  std::size_t ring_segments = 0;
  for (const auto& s : g.segments) {
    ring_segments += s.source_id == 20;
    EXPECT_EQ(s.on_roundabout, s.source_id == 20) << "only junction=roundabout makes a ring, way " << s.source_id;
  }
  EXPECT_EQ(ring_segments, 2u) << "roundabout split at 1 and 3, one direction only";
}

TEST(osm_importer, reads_maxspeed_and_lanes) {
  osm_import_stats stats;
  auto g = import_text(osm_xml(
      way(30, {1, 2}, tag("highway", "secondary") + tag("maxspeed", "30 mph") + tag("lanes", "3")) +
      way(31, {2, 3}, tag("highway", "secondary") + tag("maxspeed", "DE:urban") + tag("lanes:forward", "2") +
                          tag("lanes:backward", "1")) +
      way(32, {3, 1}, tag("highway", "secondary") + tag("maxspeed", "fast"))), &stats);
  for (const auto& s : g.segments) {
    if (s.source_id == 30) EXPECT_NEAR(s.freeflow_speed_mps, 30 * 1.609344 / 3.6, 1e-9);
    if (s.source_id == 31) EXPECT_NEAR(s.freeflow_speed_mps, 50 / 3.6, 1e-9);
    if (s.source_id == 32) EXPECT_NEAR(s.freeflow_speed_mps, 50 / 3.6, 1e-9);  // class default
  }
  EXPECT_EQ(stats.unreadable_maxspeed, 1u);
  for (const auto& s : g.segments) {
    bool forward = g.nodes[s.from].external_id < g.nodes[s.to].external_id || s.source_id == 32;
    if (s.source_id == 30) EXPECT_EQ(s.lanes, forward ? 2 : 1) << "3 lanes on a two-way road: 2 + 1";
    if (s.source_id == 31) EXPECT_EQ(s.lanes, forward ? 2 : 1) << "lanes:forward / lanes:backward";
  }
}

TEST(osm_importer, excludes_footways_and_closed_roads) {
  osm_import_stats stats;
  auto g = import_text(osm_xml(way(40, {1, 2}, tag("highway", "residential")) +
                               way(41, {2, 3}, tag("highway", "footway")) +
                               way(42, {2, 4}, tag("highway", "residential") + tag("access", "private")) +
                               way(43, {2, 5}, tag("highway", "cycleway"))),
                       &stats);
  EXPECT_EQ(stats.drivable_ways, 1u);
  EXPECT_EQ(g.segments.size(), 2u);
}

TEST(osm_importer, handles_ways_that_leave_the_extract) {
  osm_import_stats stats;
  // Node 99 is not in the file: the way keeps its parts on both sides of the gap.
  auto g = import_text(osm_xml(way(50, {1, 2, 99, 3, 4}, tag("highway", "residential")) +
                               way(51, {2, 3}, tag("highway", "residential")) +
                               way(52, {4, 1}, tag("highway", "residential"))),
                       &stats);
  EXPECT_EQ(stats.missing_node_refs, 1u);
  EXPECT_EQ(count_from(g, 1, 2), 1u);
  EXPECT_EQ(count_from(g, 3, 4), 1u);
}

TEST(osm_importer, keeps_only_the_largest_strongly_connected_part) {
  osm_import_stats stats;
  // 1-2-3 is a two-way street; 4 -> 5 is a one-way stub that nothing returns from.
  auto g = import_text(osm_xml(way(60, {1, 2, 3}, tag("highway", "residential")) +
                               way(61, {4, 5}, tag("highway", "residential") + tag("oneway", "yes"))),
                       &stats);
  EXPECT_EQ(g.nodes.size(), 2u);  // 1 and 3 (2 is not an intersection)
  EXPECT_EQ(stats.segments_outside_largest_component, 1u);
  for (const auto& s : g.segments) EXPECT_EQ(s.source_id, 60);
}

TEST(osm_importer, malformed_files_get_an_error_naming_the_file) {
  auto dir = testing::test_temp_dir();
  auto expect_error = [](const std::string& path, const std::string& part) {
    try {
      import_osm(path);
      FAIL() << path << " was accepted";
    } catch (const import_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error((dir / "missing.osm.pbf").string(), "no such file");
  expect_error(testing::write_file(dir / "truncated.osm", "<?xml version='1.0'?><osm version=\"0.6\"><node id=\"1\" lat=\"1"),
               "not a readable OpenStreetMap file");
  expect_error(testing::write_file(dir / "garbage.osm.pbf", std::string(200, 'x')), "not a readable OpenStreetMap file");
  expect_error(testing::write_file(dir / "empty.osm", osm_xml("")), "no drivable roads");
}

TEST(osm_highway_defaults, parses_maxspeed_forms) {
  EXPECT_EQ(parse_maxspeed("50", 30), 50);
  EXPECT_NEAR(*parse_maxspeed("20 mph", 30), 32.18688, 1e-9);
  EXPECT_EQ(parse_maxspeed("DE:rural", 30), 100);
  EXPECT_EQ(parse_maxspeed("walk", 30), 7);
  EXPECT_EQ(parse_maxspeed("none", 130), 130);
  EXPECT_FALSE(parse_maxspeed("fast", 30));
  EXPECT_FALSE(parse_maxspeed("-5", 30));
  EXPECT_FALSE(defaults_for_highway("footway"));
  EXPECT_NEAR(defaults_for_highway("primary_link")->speed_kmh, 40, 1e-9);
}

}  // namespace citytwin
