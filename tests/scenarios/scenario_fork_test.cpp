// Scenarios forked from a twin's cut: the same scenario on the same cut gives a bit-identical report
// whatever the thread counts, the baseline is the twin's own continuation, demand changes after the cut
// keep the twin's vehicles, and a run against the live twin can be cancelled.

#include <gtest/gtest.h>

#include <thread>

#include "engine/import/city_loader.hpp"
#include "scenarios/scenario_jobs.hpp"

#include "tests/support/bundled_city.hpp"

namespace citytwin {
namespace {

const std::string source_dir = CITYTWIN_SOURCE_DIR;

using testing::sioux_falls;

scenario closure_scenario(const std::string& horizon = "10m") {
  return parse_scenario(nlohmann::json::parse(R"({
    "schema_version": 1, "name": "fork", "city": "data/tntp/SiouxFalls", "start": "8m", "horizon": ")" + horizon +
                                              R"(", "demand_scale": 0.3, "seed": 4,
    "variants": [
      {"name": "bridge", "interventions": [{"at": "0s", "close": "10-15"}, {"at": "0s", "close": "15-10"}]},
      {"name": "surge", "interventions": [{"at": "2m", "demand_scale": 2}]}
    ]})"),
                        "fork.json", source_dir);
}

TEST(ScenarioFork, SameCutGivesABitIdenticalReportAtAnyThreadCount) {
  scenario s = closure_scenario();
  const auto cut = warm_up_twin(sioux_falls(), s);
  EXPECT_EQ(cut->time, 8 * 60 * ms_per_second);
  std::string reference;
  for (auto [threads, parallel] : {std::pair{1u, 1u}, std::pair{3u, 3u}, std::pair{2u, 1u}}) {
    SCOPED_TRACE(std::to_string(threads) + " threads per branch, " + std::to_string(parallel) + " branches at once");
    scenario t = s;
    t.threads = threads;
    scenario_run_options o;
    o.parallel = parallel;
    const auto text = run_scenario_from(sioux_falls(), cut, t, o).report.dump(2);
    if (reference.empty()) reference = text;
    EXPECT_EQ(text, reference);
  }
  const auto report = nlohmann::json::parse(reference);
  EXPECT_EQ(report["fork"]["time_s"].get<double>(), 480.0);
  EXPECT_EQ(report["fork"]["vehicles_on_network"].get<std::int64_t>(), cut->vehicles_on_network());
  const auto& base = report["branches"][0]["kpi"];
  EXPECT_EQ(base["carried_over"].get<std::int64_t>(), cut->vehicles_on_network());
  EXPECT_NE(report["branches"][1]["kpi_digest"], report["branches"][0]["kpi_digest"]);
}

// The baseline branch is the twin's own run: the same counts as running the warm-up twin on to the end.
TEST(ScenarioFork, BaselineEqualsThePlainContinuation) {
  scenario s = closure_scenario();
  const auto cut = warm_up_twin(sioux_falls(), s);
  const auto out = run_scenario_from(sioux_falls(), cut, s);
  simulation_options straight;
  straight.seed = s.seed;
  straight.duration = s.start + s.horizon;
  const auto whole = run_simulation(sioux_falls(), generate_trips(sioux_falls(), cut->demand), straight);
  const auto& baseline = out.branches[0].traffic;
  EXPECT_EQ(baseline.en_route, whole.en_route);
  std::int64_t arrived_after_cut = 0;
  for (const auto& t : whole.trips) arrived_after_cut += t.arrival >= cut->time;
  EXPECT_EQ(baseline.arrived, arrived_after_cut);
  EXPECT_EQ(baseline.departed + cut->departed, whole.departed);
  for (std::size_t i = 0; i < whole.segments.size(); ++i)
    EXPECT_EQ(baseline.segments[i].outflow + cut->segments[i].model.snapshot(cut->time).outflow, whole.segments[i].outflow);
}

TEST(ScenarioFork, DemandSurgeAfterTheCutKeepsTheTwinsVehicles) {
  scenario s = closure_scenario();
  const auto cut = warm_up_twin(sioux_falls(), s);
  const auto out = run_scenario_from(sioux_falls(), cut, s);
  const auto& base = out.branches[0].traffic;
  const auto& surge = out.branches[2].traffic;
  EXPECT_EQ(base.carried_over, surge.carried_over);
  EXPECT_GT(surge.planned_trips, base.planned_trips);
  EXPECT_GT(surge.departed, base.departed);
}

TEST(ScenarioFork, ARunAgainstTheLiveTwinCanBeCancelled) {
  live_twin_options live;
  live.time_scale = 60;
  live.demand_scale = 0.3;
  live.demand_period = 2 * ms_per_hour;
  live_twin twin(sioux_falls(), live);
  twin.start();
  scenario_jobs jobs(twin, nullptr, 2);
  scenario long_run = closure_scenario("12h");
  long_run.variants.pop_back();  // no demand change: nothing to generate before the branches start
  const auto id = jobs.start(long_run, "tester");
  auto st = jobs.wait(id, 0, std::chrono::seconds(10));
  for (int i = 0; i < 100 && st.state != scenario_job_state::running; ++i) st = jobs.wait(id, st.version, std::chrono::milliseconds(100));
  ASSERT_EQ(st.state, scenario_job_state::running);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto cancelled_at = std::chrono::steady_clock::now();
  EXPECT_EQ(jobs.cancel(id), scenario_job_state::cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, std::chrono::seconds(5));
  st = jobs.status(id);
  EXPECT_EQ(st.state, scenario_job_state::cancelled);
  EXPECT_LT(st.fraction_complete, 1.0);
  EXPECT_TRUE(st.report_json.empty());
  // A finished job keeps its state; an unknown id is an error.
  EXPECT_EQ(jobs.cancel(id), scenario_job_state::cancelled);
  EXPECT_THROW(jobs.status("scenario-999"), std::out_of_range);
  EXPECT_FALSE(twin.failure());
  twin.stop();
}

TEST(ScenarioFork, UnknownSegmentsAreRefusedBeforeAnythingRuns) {
  live_twin_options live;
  live_twin twin(sioux_falls(), live);
  scenario_jobs jobs(twin, nullptr, 1);
  scenario s = closure_scenario();
  s.variants[0].interventions[0].segment = "10-99";
  try {
    jobs.start(s, "tester");
    ADD_FAILURE() << "accepted an unknown segment";
  } catch (const scenario_error& e) {
    EXPECT_TRUE(e.unknown_reference());
    EXPECT_EQ(e.path(), "variants[0].interventions[0].close");
  }
}

}  // namespace
}  // namespace citytwin
