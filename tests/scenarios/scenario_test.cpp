// Scenario files: parsing, validation errors that name their JSON path, runs against Sioux Falls,
// determinism of the report, and the grid coupling of breaker interventions.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/import/city_loader.hpp"
#include "scenarios/flow_change_map.hpp"
#include "scenarios/scenario.hpp"

#include "tests/support/bundled_city.hpp"

namespace citytwin {
namespace {

const std::string source_dir = CITYTWIN_SOURCE_DIR;
const std::string examples = source_dir + "/scenarios/examples/";

nlohmann::json base_document() {
  return nlohmann::json::parse(R"({
    "schema_version": 1, "name": "t", "city": "data/tntp/SiouxFalls", "horizon": "20m", "demand_scale": 0.2,
    "variants": [
      {"name": "a", "interventions": [{"at": "1m", "close": "10-15"}]},
      {"name": "b", "interventions": [{"at": "2m", "capacity": {"segment": "3-4", "factor": 0.5}}]}
    ]})");
}

nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

using testing::sioux_falls;

// Parses (and resolves the segments of) a document; returns the path of the error, or "ok".
std::string error_path(const nlohmann::json& doc, std::string* message = nullptr) {
  try {
    scenario s = parse_scenario(doc, "test.json", source_dir);
    resolve_segments(s, sioux_falls());
    return "ok";
  } catch (const scenario_error& e) {
    if (message) *message = e.what();
    return e.path();
  }
}

TEST(ScenarioParse, EveryExampleParsesAndResolves) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    scenario s = load_scenario_file(entry.path().string());
    EXPECT_EQ(s.schema_version, 1);
    EXPECT_FALSE(s.name.empty());
    EXPECT_FALSE(s.variants.empty());
    EXPECT_NO_THROW(resolve_segments(s, sioux_falls()));
    ++seen;
  }
  EXPECT_GE(seen, 4);
}

TEST(ScenarioParse, FieldsAreRead) {
  scenario s = load_scenario_file(examples + "siouxfalls_bridge_closure.json");
  EXPECT_EQ(s.horizon, 45 * 60 * ms_per_second);
  EXPECT_DOUBLE_EQ(s.demand_scale, 0.25);
  ASSERT_EQ(s.variants.size(), 2u);
  ASSERT_EQ(s.variants[0].interventions.size(), 4u);
  EXPECT_EQ(s.variants[0].interventions[0].kind, intervention_kind::close);
  EXPECT_EQ(s.variants[0].interventions[0].at, 10 * 60 * ms_per_second);
  EXPECT_EQ(s.variants[0].interventions[2].kind, intervention_kind::reopen);
  scenario power = load_scenario_file(examples + "siouxfalls_substation_outage.json");
  EXPECT_TRUE(power.utilities);
  EXPECT_EQ(power.variants[0].interventions[0].bus, 30);
  EXPECT_TRUE(power.variants[0].interventions[0].open);
  EXPECT_FALSE(power.variants[0].interventions[1].open);
  EXPECT_EQ(error_path(base_document()), "ok");
}

TEST(ScenarioValidation, EachErrorNamesItsPath) {
  struct error_case {
    std::string what;
    std::function<void(nlohmann::json&)> change;
    std::string path;
  };
  const std::vector<error_case> cases{
      {"missing version", [](auto& d) { d.erase("schema_version"); }, "schema_version"},
      {"future version", [](auto& d) { d["schema_version"] = 2; }, "schema_version"},
      {"version as text", [](auto& d) { d["schema_version"] = "1"; }, "schema_version"},
      {"missing name", [](auto& d) { d.erase("name"); }, "name"},
      {"name not a string", [](auto& d) { d["name"] = 5; }, "name"},
      {"missing city", [](auto& d) { d.erase("city"); }, "city"},
      {"bad horizon", [](auto& d) { d["horizon"] = "10 parsecs"; }, "horizon"},
      {"horizon as number", [](auto& d) { d["horizon"] = 600; }, "horizon"},
      {"unknown field", [](auto& d) { d["horizn"] = "1h"; }, "horizn"},
      {"negative demand", [](auto& d) { d["demand_scale"] = -1; }, "demand_scale"},
      {"unknown kpi", [](auto& d) { d["kpis"] = {"trips_completed", "happiness"}; }, "kpis[1]"},
      {"variants not a list", [](auto& d) { d["variants"] = "none"; }, "variants"},
      {"variant without name", [](auto& d) { d["variants"][0].erase("name"); }, "variants[0].name"},
      {"duplicate variant", [](auto& d) { d["variants"][1]["name"] = "a"; }, "variants[1].name"},
      {"reserved name", [](auto& d) { d["variants"][0]["name"] = "baseline"; }, "variants[0].name"},
      {"unknown variant field", [](auto& d) { d["variants"][0]["colour"] = "red"; }, "variants[0].colour"},
      {"unknown segment", [](auto& d) { d["variants"][1]["interventions"][0] = {{"at", "0s"}, {"close", "10-99"}}; },
       "variants[1].interventions[0].close"},
      {"segment id out of range", [](auto& d) { d["variants"][0]["interventions"][0]["close"] = "9999"; },
       "variants[0].interventions[0].close"},
      {"unknown capacity segment", [](auto& d) { d["variants"][1]["interventions"][0]["capacity"]["segment"] = "1-24"; },
       "variants[1].interventions[0].capacity.segment"},
      {"missing at", [](auto& d) { d["variants"][0]["interventions"][0].erase("at"); }, "variants[0].interventions[0].at"},
      {"bad at", [](auto& d) { d["variants"][0]["interventions"][0]["at"] = "soon"; }, "variants[0].interventions[0].at"},
      {"at after the horizon", [](auto& d) { d["variants"][0]["interventions"][0]["at"] = "2h"; },
       "variants[0].interventions[0].at"},
      {"no action", [](auto& d) { d["variants"][0]["interventions"][0].erase("close"); }, "variants[0].interventions[0]"},
      {"two actions", [](auto& d) { d["variants"][0]["interventions"][0]["reopen"] = "10-15"; },
       "variants[0].interventions[0]"},
      {"unknown action", [](auto& d) { d["variants"][0]["interventions"][0]["explode"] = true; },
       "variants[0].interventions[0].explode"},
      {"factor as text", [](auto& d) { d["variants"][1]["interventions"][0]["capacity"]["factor"] = "half"; },
       "variants[1].interventions[0].capacity.factor"},
      {"missing factor", [](auto& d) { d["variants"][1]["interventions"][0]["capacity"].erase("factor"); },
       "variants[1].interventions[0].capacity.factor"},
      {"capacity field", [](auto& d) { d["variants"][1]["interventions"][0]["capacity"]["lanes"] = 1; },
       "variants[1].interventions[0].capacity.lanes"},
      {"surge without node", [](auto& d) { d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"surge", {{"vehicles", 10}, {"over", "5m"}}}}; },
       "variants[0].interventions[0].surge.node"},
      {"surge with people and vehicles", [](auto& d) {
         d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"surge", {{"node", 10}, {"vehicles", 10}, {"people", 25}, {"over", "5m"}}}};
       }, "variants[0].interventions[0].surge"},
      {"surge at an unknown node", [](auto& d) {
         d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"surge", {{"node", 99}, {"vehicles", 10}, {"over", "5m"}}}};
       }, "variants[0].interventions[0].surge.node"},
      {"surge over nothing", [](auto& d) {
         d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"surge", {{"node", 10}, {"vehicles", 10}, {"over", "0s"}}}};
       }, "variants[0].interventions[0].surge.over"},
      {"surge occupancy without people", [](auto& d) {
         d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"surge", {{"node", 10}, {"vehicles", 10}, {"occupancy", 2}, {"over", "5m"}}}};
       }, "variants[0].interventions[0].surge.occupancy"},
      {"breaker without open", [](auto& d) { d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"breaker", {{"bus", 30}}}}; },
       "variants[0].interventions[0].breaker.open"},
      {"breaker bus text", [](auto& d) {
         d["variants"][0]["interventions"][0] = {{"at", "0s"}, {"breaker", {{"bus", "thirty"}, {"open", true}}}};
       }, "variants[0].interventions[0].breaker.bus"},
      {"interventions not a list", [](auto& d) { d["variants"][0]["interventions"] = nlohmann::json::object(); },
       "variants[0].interventions"},
      {"intervention not an object", [](auto& d) { d["variants"][0]["interventions"][0] = 3; },
       "variants[0].interventions[0]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto doc = base_document();
    c.change(doc);
    std::string message;
    EXPECT_EQ(error_path(doc, &message), c.path);
    EXPECT_NE(message.find("test.json: " + c.path + ": "), std::string::npos) << message;
  }
  std::string message;
  EXPECT_EQ(error_path(nlohmann::json::array(), &message), "");
  EXPECT_NE(message.find("expected an object"), std::string::npos) << message;
}

TEST(ScenarioValidation, FileErrorsNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / "citytwin_scenario_test";
  std::filesystem::create_directories(dir);
  const auto broken = (dir / "broken.json").string();
  std::ofstream(broken) << "{\"schema_version\": 1, \"name\": ";
  try {
    load_scenario_file(broken);
    FAIL() << "no error";
  } catch (const scenario_error& e) {
    EXPECT_NE(std::string(e.what()).find(broken), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
  }
  EXPECT_THROW(load_scenario_file((dir / "missing.json").string()), scenario_error);
  auto doc = base_document();
  doc["city"] = "data/tntp/Atlantis";
  try {
    run_scenario(parse_scenario(doc, "atlantis.json", source_dir));
    FAIL() << "no error";
  } catch (const scenario_error& e) {
    EXPECT_EQ(e.path(), "city");
  }
}

TEST(ScenarioRun, ClosureCostsTheNetworkAndTheClosedLinkCarriesNothing) {
  auto doc = nlohmann::json::parse(R"({
    "schema_version": 1, "name": "closure", "city": "data/tntp/SiouxFalls", "horizon": "30m", "demand_scale": 0.25,
    "variants": [{"name": "closed", "interventions": [{"at": "0s", "close": "10-15"}, {"at": "0s", "close": "15-10"},
                                                      {"at": "0s", "close": "10-16"}]}]})");
  const scenario_outcome out = run_scenario(parse_scenario(doc, "closure.json", source_dir));
  ASSERT_EQ(out.branches.size(), 2u);
  const auto& base = out.branches[0].traffic;
  const auto& closed = out.branches[1].traffic;
  const auto& kb = out.report["branches"][0]["kpi"];
  const auto& kv = out.report["branches"][1]["kpi"];
  EXPECT_TRUE(closed.arrived < base.arrived ||
              kv["total_delay_vehicle_hours"].get<double>() > kb["total_delay_vehicle_hours"].get<double>())
      << "arrived " << closed.arrived << " vs " << base.arrived;
  EXPECT_GT(kv["vehicle_hours_travelled"].get<double>(), kb["vehicle_hours_travelled"].get<double>());
  for (const char* name : {"10-15", "15-10", "10-16"}) {
    const segment_id s = find_segment(sioux_falls(), name);
    EXPECT_GT(base.segments[s].outflow, 0) << name;
    EXPECT_EQ(closed.segments[s].inflow, 0) << name;
    EXPECT_EQ(closed.segments[s].outflow, 0) << name;
  }
  ASSERT_TRUE(kv.contains("changed_segments"));
  EXPECT_FALSE(kv["changed_segments"].empty());
  EXPECT_LE(kv["changed_segments"].size(), 20u);
  EXPECT_FALSE(kb.contains("changed_segments"));
}

TEST(ScenarioRun, SameScenarioGivesTheSameReport) {
  const std::string file = examples + "siouxfalls_bridge_closure.json";
  scenario_run_options parallel;
  scenario_run_options sequential;
  sequential.parallel = 1;
  const auto first = run_scenario(load_scenario_file(file), parallel).report.dump(2);
  const auto second = run_scenario(load_scenario_file(file), sequential).report.dump(2);
  EXPECT_EQ(first, second);
  const auto report = nlohmann::json::parse(first);
  ASSERT_EQ(report["branches"].size(), 3u);
  // The temporary closure costs something, and the branches differ.
  EXPECT_NE(report["branches"][0]["kpi_digest"], report["branches"][1]["kpi_digest"]);
  EXPECT_GE(report["branches"][1]["kpi"]["total_delay_vehicle_hours"].get<double>(),
            report["branches"][0]["kpi"]["total_delay_vehicle_hours"].get<double>());
}

TEST(ScenarioRun, DemandChangeMidRunKeepsEarlierDepartures) {
  const auto out = run_scenario(load_scenario_file(examples + "siouxfalls_demand_surge.json"));
  ASSERT_EQ(out.branches.size(), 3u);
  const auto base = out.branches[0].traffic.planned_trips;
  const auto all = out.branches[1].traffic.planned_trips;
  const auto late = out.branches[2].traffic.planned_trips;
  EXPECT_GT(all, base);
  EXPECT_GT(late, base);
  EXPECT_LT(late, all);
}

TEST(ScenarioRun, SubstationOutageLeavesEnergyUnserved) {
  const auto out = run_scenario(load_scenario_file(examples + "siouxfalls_substation_outage.json"));
  ASSERT_EQ(out.branches.size(), 2u);
  const auto& kb = out.report["branches"][0]["kpi"];
  const auto& kv = out.report["branches"][1]["kpi"];
  ASSERT_TRUE(kv.contains("unserved_energy_kwh"));
  EXPECT_GT(kv["unserved_energy_kwh"].get<double>(), 0);
  EXPECT_GT(kv["building_hours_without_power"].get<double>(), 0);
  EXPECT_GT(kv["dark_signal_controls"].get<std::size_t>(), 0u);
  EXPECT_LT(kb["unserved_energy_kwh"].get<double>(), kv["unserved_energy_kwh"].get<double>());
  const std::string table = render_scenario_table(out.report);
  EXPECT_NE(table.find("unserved energy"), std::string::npos);
}

TEST(ScenarioRun, StadiumSurgeLeavesFromItsNodeAndKeepsTheOtherDepartures) {
  const auto out = run_scenario(load_scenario_file(examples + "siouxfalls_stadium_exit.json"));
  ASSERT_EQ(out.branches.size(), 3u);
  const auto& base = out.branches[0].traffic;
  const auto& surge = out.branches[1].traffic;
  EXPECT_EQ(surge.planned_trips, base.planned_trips + 16000) << "40,000 people at 2.5 per car";
  // The crowd drives out of node 10: the roads leaving it carry at least several thousand more vehicles.
  const auto& g = sioux_falls();
  node_index stadium = 0;
  while (g.nodes[stadium].external_id != 10) ++stadium;
  std::int64_t base_out = 0, surge_out = 0;
  for (auto k = g.out_begin[stadium]; k < g.out_begin[stadium + 1]; ++k) {
    base_out += base.segments[g.out_ids[k]].outflow;
    surge_out += surge.segments[g.out_ids[k]].outflow;
  }
  EXPECT_GT(surge_out - base_out, 5000) << base_out << " -> " << surge_out;
  const auto& kb = out.report["branches"][0]["kpi"];
  const auto& kv = out.report["branches"][1]["kpi"];
  EXPECT_GT(kv["total_delay_vehicle_hours"].get<double>(), 2 * kb["total_delay_vehicle_hours"].get<double>());
  // The worst queue of the surge is on a road out of the stadium.
  const auto worst = kv["worst_queues"][0]["id"].get<segment_id>();
  EXPECT_EQ(g.segments[worst].from, stadium) << kv["worst_queues"].dump();
}

TEST(ScenarioRun, WorstQueuesCountFromTheCut) {
  auto doc = nlohmann::json::parse(R"({
    "schema_version": 1, "name": "late cut", "city": "data/tntp/SiouxFalls", "start": "25m", "horizon": "5m",
    "demand_scale": 0.3, "kpis": ["worst_queues"], "variants": []})");
  const auto out = run_scenario(parse_scenario(doc, "late.json", source_dir));
  const auto& queues = out.report["branches"][0]["kpi"]["worst_queues"];
  ASSERT_FALSE(queues.empty());
  for (const auto& q : queues) EXPECT_GE(q["at_s"].get<double>(), 25 * 60) << q.dump();
}

TEST(ScenarioRun, SeveralPeaksAddUpAndOnlyRunAlone) {
  auto doc = load_json(examples + "siouxfalls_roadworks.json");
  doc["peaks"] = 2;
  doc["horizon"] = "20m";
  doc["variants"].erase(1);
  const auto out = run_scenario(parse_scenario(doc, "week.json", source_dir));
  const auto& report = out.report;
  ASSERT_EQ(report["peaks"].size(), 2u);
  EXPECT_EQ(report["peaks"][1]["seed"].get<int>(), 2);
  for (std::size_t b = 0; b < 2; ++b) {
    const auto& week = report["branches"][b]["kpi"];
    const auto& day1 = report["peaks"][0]["branches"][b]["kpi"];
    const auto& day2 = report["peaks"][1]["branches"][b]["kpi"];
    EXPECT_NE(day1["trips_completed"], day2["trips_completed"]) << "each peak is a different day";
    EXPECT_EQ(week["trips_completed"].get<std::int64_t>(),
              day1["trips_completed"].get<std::int64_t>() + day2["trips_completed"].get<std::int64_t>());
    EXPECT_NEAR(week["vehicle_hours_travelled"].get<double>(),
                day1["vehicle_hours_travelled"].get<double>() + day2["vehicle_hours_travelled"].get<double>(), 1e-6);
    const double lo = std::min(day1["mean_trip_time_s"].get<double>(), day2["mean_trip_time_s"].get<double>());
    const double hi = std::max(day1["mean_trip_time_s"].get<double>(), day2["mean_trip_time_s"].get<double>());
    EXPECT_GE(week["mean_trip_time_s"].get<double>(), lo);
    EXPECT_LE(week["mean_trip_time_s"].get<double>(), hi);
  }
  EXPECT_NE(render_scenario_table(report).find("over 2 peaks"), std::string::npos);

  // A live twin is one day: forking it for several peaks is refused, naming the field.
  scenario s = parse_scenario(doc, "week.json", source_dir);
  auto cut = warm_up_twin(sioux_falls(), s);
  try {
    run_scenario_from(sioux_falls(), cut, s);
    FAIL() << "several peaks from one cut must be refused";
  } catch (const scenario_error& e) {
    EXPECT_EQ(e.path(), "peaks");
  }
}

TEST(FlowChangeMap, DrawsEveryVariantWithGainsLossesAndClosures) {
  const auto out = run_scenario(load_scenario_file(examples + "siouxfalls_bridge_closure.json"));
  const std::string svg = render_flow_change_svg(sioux_falls(), out.report);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  const auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = svg.find(what); at != std::string::npos; at = svg.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<line "), 2 * sioux_falls().segments.size()) << "one panel per variant, every segment in each";
  EXPECT_EQ(count("<g transform="), 2u);
  EXPECT_GE(count("stroke-dasharray"), 4u) << "10-15 and 15-10 closed in both variants";
  EXPECT_GT(count("stroke=\"#c0392b\""), 0u) << "some roads gain flow";
  EXPECT_GT(count("stroke=\"#2471a3\""), 0u) << "some roads lose flow";
  for (const auto& b : out.report["branches"])
    if (b["name"] != "baseline") EXPECT_NE(svg.find(b["name"].get<std::string>()), std::string::npos);
  city_graph other = sioux_falls();
  other.segments.pop_back();
  EXPECT_THROW(render_flow_change_svg(other, out.report), std::invalid_argument);
}

}  // namespace
TEST(ScenarioRun, EmergencyResponseIsNeverFasterUnderTheCordon) {
  const auto out = run_scenario(load_scenario_file(examples + "siouxfalls_emergency_response.json"));
  const auto& base = out.report["branches"][0]["kpi"]["emergency"];
  const auto& cordon = out.report["branches"][1]["kpi"]["emergency"];
  ASSERT_EQ(base["incidents"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(base["incidents"][i]["incident"].get<std::string>());
    ASSERT_TRUE(base["incidents"][i]["dispatched"].get<bool>());
    ASSERT_FALSE(base["incidents"][i]["response_time_s"].is_null());
  }
  const auto& fire = base["incidents"][0];
  EXPECT_EQ(fire["incident"], "fire-16");
  EXPECT_EQ(fire["station"], "fire station 1");  // node 10 is next to node 16
  const auto& fire_cordoned = cordon["incidents"][0];
  ASSERT_FALSE(fire_cordoned["response_time_s"].is_null());
  EXPECT_GT(fire_cordoned["response_time_s"].get<double>(), fire["response_time_s"].get<double>());
  EXPECT_EQ(fire_cordoned["route"].back(), "17-16");  // the one approach left open
  EXPECT_GT(base["coverage_share"].get<double>(), 0);
  EXPECT_LE(base["coverage_share"].get<double>(), 1);
  // Emergency units are reported per incident, not counted as trips.
  EXPECT_NE(render_scenario_table(out.report).find("response to fire-16"), std::string::npos);
}

TEST(ScenarioValidation, EmergencyErrorsNameTheirPath) {
  auto doc = load_json(examples + "siouxfalls_emergency_response.json");
  doc["emergency"]["incidents"][1]["node"] = 999;
  EXPECT_EQ(error_path(doc), "emergency.incidents[1].node");
  doc = load_json(examples + "siouxfalls_emergency_response.json");
  doc["emergency"]["stations"][0]["units"] = 0;
  EXPECT_EQ(error_path(doc), "emergency.stations[0].units");
  doc = load_json(examples + "siouxfalls_emergency_response.json");
  doc["emergency"]["incidents"][2]["id"] = "fire-16";
  EXPECT_EQ(error_path(doc), "emergency.incidents[2].id");
  doc = load_json(examples + "siouxfalls_emergency_response.json");
  doc["emergency"]["ambulances"] = 3;
  EXPECT_EQ(error_path(doc), "emergency.ambulances");
}

}  // namespace citytwin
