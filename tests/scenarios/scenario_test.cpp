// Scenario files: parsing, validation errors that name their JSON path, runs against Sioux Falls,
// determinism of the report, and the grid coupling of breaker interventions.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/import/city_loader.hpp"
#include "scenarios/scenario.hpp"

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

const city_graph& sioux_falls() {
  static const loaded_city city = load_city(source_dir + "/data/tntp/SiouxFalls");
  return city.graph;
}

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
