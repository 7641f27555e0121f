#include "engine/import/tntp_importer.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "engine/import/city_loader.hpp"
#include "engine/import/import_error.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin {

namespace {

const std::string data_dir = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/";

const char* net_header =
    "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 3\n<NUMBER OF LINKS> 2\n<END OF METADATA>\n"
    "~\tinit_node\tterm_node\tcapacity\tlength\tfree_flow_time\tb\tpower\tspeed\ttoll\tlink_type\t;\n";

// Imports `net` (and `trips`) written to temporary files and returns the error text, or "" on success.
std::string import_error_text(const std::string& net, const std::string& trips = "") {
  auto dir = testing::test_temp_dir();
  tntp_files files{testing::write_file(dir / "x_net.tntp", net), std::nullopt, std::nullopt};
  if (!trips.empty()) files.trips = testing::write_file(dir / "x_trips.tntp", trips);
  try {
    import_tntp(files, tntp_units{});
  } catch (const import_error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& text, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(text.empty()) << "malformed input was accepted";
  for (const char* part : parts) EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' missing in: " << text;
}

}  // namespace

TEST(tntp_importer, reads_sioux_falls_in_stated_units) {
  auto city = load_city(data_dir + "SiouxFalls");
  const auto& g = city.graph;
  ASSERT_EQ(g.nodes.size(), 24u);
  ASSERT_EQ(g.segments.size(), 76u);
  // First row: 1 -> 2, capacity 25900.20064, length 6, free-flow time 6 (read as minutes and miles).
  EXPECT_EQ(g.nodes[g.segments[0].from].external_id, 1);
  EXPECT_EQ(g.nodes[g.segments[0].to].external_id, 2);
  EXPECT_NEAR(g.segments[0].capacity_veh_per_h, 25900.20064, 1e-6);
  EXPECT_NEAR(g.segments[0].freeflow_time_s, 360, 1e-9);
  EXPECT_NEAR(g.segments[0].length_m, 6 * 1609.344, 1e-6);
  double trips = 0;
  for (const auto& d : g.demand) trips += d.vehicles_per_hour;
  EXPECT_NEAR(trips, 360600, 1e-6);
  EXPECT_NEAR(g.nodes[0].x, -96.77041974, 1e-9);
  for (const auto& n : g.nodes) EXPECT_TRUE(n.through_allowed);
}

TEST(tntp_importer, berlin_center_keeps_the_first_of_each_duplicate_and_marks_zones) {
  auto city = load_city(data_dir + "Berlin-Center");
  const auto& g = city.graph;
  EXPECT_EQ(g.nodes.size(), 12981u);
  EXPECT_EQ(g.segments.size(), 28376u - 6u);  // six duplicate pairs listed in the README
  std::size_t zones = 0, blocked = 0, connectors = 0;
  for (const auto& n : g.nodes) {
    zones += n.is_zone;
    blocked += !n.through_allowed;
  }
  for (const auto& s : g.segments) connectors += s.unlimited;
  EXPECT_EQ(zones, 865u);
  EXPECT_EQ(blocked, 865u);
  EXPECT_EQ(connectors, 8806u);
  // Duplicate 1246 -> 1244: the kept segment carries the first row's attributes.
  auto kept = find_segment(g, "1246-1244");
  EXPECT_LT(g.segments[kept].source_id, 100000);
}

TEST(tntp_importer, unit_overrides_change_the_reading) {
  unit_overrides o;
  o.seconds_per_time_unit = 36;  // the README's literal 0.01 h
  auto city = load_city(data_dir + "SiouxFalls", o);
  EXPECT_NEAR(city.graph.segments[0].freeflow_time_s, 6 * 36, 1e-9);
}

TEST(tntp_importer, names_file_line_and_field_for_a_bad_number) {
  auto text = import_error_text(std::string(net_header) + "\t1\t3\t100\t5\tabc\t0.15\t4\t0\t0\t1\t;\n\t3\t2\t100\t5\t1\t0.15\t4\t0\t0\t1\t;\n");
  expect_error(text, {"x_net.tntp", "line 7", "free_flow_time", "'abc' is not a number"});
}

TEST(tntp_importer, rejects_a_node_outside_the_declared_range) {
  auto text = import_error_text(std::string(net_header) + "\t1\t9\t100\t5\t1\t;\n\t3\t2\t100\t5\t1\t;\n");
  expect_error(text, {"line 7", "term_node", "outside 1..3"});
}

TEST(tntp_importer, rejects_negative_capacity_and_short_rows) {
  expect_error(import_error_text(std::string(net_header) + "\t1\t3\t-100\t5\t1\t;\n\t3\t2\t100\t5\t1\t;\n"),
               {"line 7", "capacity", "> 0"});
  expect_error(import_error_text(std::string(net_header) + "\t1\t3\t100\t;\n"), {"line 7", "at least 5"});
}

TEST(tntp_importer, detects_a_truncated_link_list) {
  expect_error(import_error_text(std::string(net_header) + "\t1\t3\t100\t5\t1\t;\n"),
               {"NUMBER OF LINKS", "promises 2 links", "has 1"});
}

TEST(tntp_importer, requires_metadata) {
  expect_error(import_error_text("<NUMBER OF NODES> 3\n<END OF METADATA>\n"), {"NUMBER OF ZONES", "missing"});
  expect_error(import_error_text("<NUMBER OF ZONES> 2\n"), {"END OF METADATA"});
  expect_error(import_error_text("garbage\n"), {"line 1", "metadata"});
}

TEST(tntp_importer, checks_trip_tables) {
  std::string net = std::string(net_header) + "\t1\t3\t100\t5\t1\t;\n\t3\t2\t100\t5\t1\t;\n";
  std::string head = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 10\n<END OF METADATA>\n";
  EXPECT_EQ(import_error_text(net, head + "Origin 1\n2 : 10.0;\n"), "");
  expect_error(import_error_text(net, head + "Origin 1\n5 : 10.0;\n"), {"x_trips.tntp", "line 5", "destination", "outside 1..2"});
  expect_error(import_error_text(net, head + "Origin 1\n2 : ten;\n"), {"line 5", "flow", "not a number"});
  expect_error(import_error_text(net, head + "2 : 10.0;\n"), {"line 4", "before the first 'Origin'"});
  expect_error(import_error_text(net, head + "Origin 1\n2 : 4.0;\n"), {"TOTAL OD FLOW", "sum to"});
  expect_error(import_error_text(net, head + "Origin 1\n2 : -10.0;\n"), {"flow", ">= 0"});
}

TEST(tntp_importer, reports_missing_files_and_bad_manifests) {
  expect_error([] {
    try {
      load_city("/nonexistent/city");
    } catch (const import_error& e) {
      return std::string(e.what());
    }
    return std::string();
  }(), {"/nonexistent/city", "no such file"});
  auto dir = testing::test_temp_dir();
  const auto load_error = [&] {
    try {
      load_city(dir.string());
    } catch (const import_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  expect_error(load_error(), {"city.json", "exactly one *_net.tntp", "found none"});
  testing::write_file(dir / "A_net.tntp", "");
  testing::write_file(dir / "B_net.tntp", "");
  expect_error(load_error(), {"found A_net.tntp, B_net.tntp"});
  std::filesystem::remove(dir / "A_net.tntp");
  std::filesystem::remove(dir / "B_net.tntp");
  testing::write_file(dir / "city.json", "{\"format\": \"tntp\", \"network\": 3");
  try {
    load_city(dir.string());
    FAIL() << "a broken manifest was accepted";
  } catch (const import_error& e) {
    EXPECT_NE(std::string(e.what()).find("city.json"), std::string::npos) << e.what();
  }
  testing::write_file(dir / "city.json", "{\"format\": \"shapefile\"}");
  try {
    load_city(dir.string());
    FAIL() << "an unknown format was accepted";
  } catch (const import_error& e) {
    EXPECT_NE(std::string(e.what()).find("format"), std::string::npos) << e.what();
  }
  testing::write_file(dir / "city.json", "{\"format\": \"tntp\", \"network\": \"x_net.tntp\", \"roundabouts\": \"sometimes\"}");
  expect_error(load_error(), {"city.json", "roundabouts", "\"guess\"", "\"none\"", "not \"sometimes\""});
}

// A TNTP network's folder as published (no city.json) loads its one network with its trips and
// nodes beside it, as naming the *_net.tntp file does.
TEST(tntp_importer, a_folder_without_a_manifest_loads_its_one_network) {
  const auto dir = testing::test_temp_dir();
  const std::string sioux = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls/";
  for (const char* name : {"SiouxFalls_net.tntp", "SiouxFalls_trips.tntp", "SiouxFalls_node.tntp"})
    std::filesystem::copy_file(sioux + name, dir / name);
  const auto folder = load_city(dir.string());
  const auto file = load_city(sioux + "SiouxFalls_net.tntp");
  EXPECT_EQ(folder.graph.segments.size(), 76u);
  EXPECT_EQ(folder.graph.segments.size(), file.graph.segments.size());
  EXPECT_EQ(folder.graph.demand.size(), file.graph.demand.size());
  EXPECT_GT(folder.graph.demand.size(), 0u);
  EXPECT_EQ(folder.graph.nodes.size(), 24u);
  EXPECT_EQ(folder.units_note, file.units_note);
}

}  // namespace citytwin
