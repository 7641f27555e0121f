// The rolling forecast: a forecast branch is the live twin's own continuation (so it predicts the
// queue behind a closure that the live twin then shows, bit for bit), forecasts never disturb the
// live twin, and the trouble list holds exactly the segments predicted below 30 % of free flow.

#include <gtest/gtest.h>

#include <iostream>

#include <map>
#include <set>
#include <thread>

#include "engine/forecast/predicted_trouble.hpp"
#include "engine/forecast/rolling_forecast.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/metrics/metrics_registry.hpp"
#include "engine/power/radial_network.hpp"
#include "engine/runtime/simulation.hpp"

#include "tests/support/bundled_city.hpp"

namespace citytwin {
namespace {

constexpr sim_time minute = 60 * ms_per_second;

using testing::sioux_falls;

live_twin_options busy_twin() {
  live_twin_options live;
  live.seed = 9;
  live.time_scale = 120;
  live.demand_scale = 1;
  live.demand_period = ms_per_hour;
  return live;
}

void wait_until(const live_twin& twin, sim_time t) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (twin.now() < t && std::chrono::steady_clock::now() < deadline && !twin.failure())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(twin.now(), t) << "the live twin did not get there: " << twin.failure().value_or("too slow");
}

// Every view the live twin publishes until it passes `until`, by simulated time.
std::map<sim_time, std::shared_ptr<const twin_view>> record_views(const live_twin& twin, sim_time until) {
  std::map<sim_time, std::shared_ptr<const twin_view>> views;
  auto v = twin.view();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (v->time <= until && std::chrono::steady_clock::now() < deadline && !twin.failure()) {
    v = twin.wait_for_view_after(v->version, std::chrono::seconds(1));
    views[v->time] = v;
  }
  return views;
}

// Segments ending where `segment` starts: where its queue backs up to.
std::vector<segment_id> upstream_of(const city_graph& graph, segment_id segment) {
  std::vector<segment_id> up;
  for (segment_id s = 0; s < graph.segments.size(); ++s)
    if (graph.segments[s].to == graph.segments[segment].from) up.push_back(s);
  return up;
}

TEST(rolling_forecast, predicts_the_queue_behind_a_closure_that_the_live_twin_then_shows) {
  live_twin twin(sioux_falls(), busy_twin());
  twin.start();
  wait_until(twin, 10 * minute);
  const segment_id closed = find_segment(sioux_falls(), "10-15");
  twin.submit_control({twin.now(), closed, control_kind::close, 0});
  // The closure must be applied before the fork: inputs still in the inbox come after a cut.
  while (!twin.view()->segments[closed].closed) twin.wait_for_view_after(twin.view()->version, std::chrono::seconds(1));

  rolling_forecast_options o;
  o.branch.horizon = 10 * minute;
  o.branch.checkpoint_every = 2 * minute;
  rolling_forecast forecasts(twin, nullptr, o);
  // The live twin runs on while the forecast runs: its views are recorded from before the fork.
  std::map<sim_time, std::shared_ptr<const twin_view>> views;
  const sim_time fork_at_most = twin.now() + minute;
  std::thread recorder([&] { views = record_views(twin, fork_at_most + o.branch.horizon); });
  const auto f = forecasts.run_once();
  recorder.join();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->number, 1u);
  ASSERT_LE(f->base_time, fork_at_most);
  twin.stop();
  ASSERT_FALSE(twin.failure()) << *twin.failure();

  // The cut, the even 2-minute marks after it, the horizon's end.
  ASSERT_EQ(f->checkpoints.front().time, f->base_time);
  EXPECT_EQ(f->checkpoints.back().time, f->base_time + o.branch.horizon);
  ASSERT_GE(f->checkpoints.size(), 6u);
  for (std::size_t k = 1; k + 1 < f->checkpoints.size(); ++k) EXPECT_EQ(f->checkpoints[k].time % (2 * minute), 0);

  // With nothing new arriving the branch is the live twin's continuation: every segment's predicted
  // state at every checkpoint the live twin published a view at is the state it then had, exactly.
  std::size_t compared = 0;
  for (const forecast_checkpoint& c : f->checkpoints) {
    const auto live = views.find(c.time);
    if (c.time == f->base_time || live == views.end()) continue;
    ++compared;
    for (segment_id s = 0; s < c.segments.size(); ++s) {
      const segment_snapshot& p = c.segments[s];
      const segment_snapshot& a = live->second->segments[s];
      ASSERT_EQ(p.vehicles, a.vehicles) << "segment " << s << " at " << format_clock(c.time);
      ASSERT_EQ(p.queued, a.queued) << "segment " << s << " at " << format_clock(c.time);
      ASSERT_EQ(p.mean_speed_mps, a.mean_speed_mps) << "segment " << s << " at " << format_clock(c.time);
      ASSERT_EQ(p.closed, a.closed);
    }
  }
  EXPECT_GE(compared, 4u) << "the live twin's views at the checkpoints were missed";

  // The queue backs up behind the closure: upstream, the predicted queue grows, and the live twin's did too.
  const forecast_checkpoint& at_cut = f->checkpoints.front();
  const forecast_checkpoint& at_end = f->checkpoints[f->checkpoints.size() - 2];  // on a published view
  const auto live_end = views.find(at_end.time);
  ASSERT_NE(live_end, views.end());
  std::int32_t predicted_growth = 0, live_growth = 0;
  for (segment_id up : upstream_of(sioux_falls(), closed)) {
    predicted_growth = std::max(predicted_growth, at_end.segments[up].queued - at_cut.segments[up].queued);
    live_growth = std::max(live_growth, live_end->second->segments[up].queued - at_cut.segments[up].queued);
  }
  RecordProperty("predicted_upstream_queue_growth", predicted_growth);
  RecordProperty("forecast_wall_ms", static_cast<int>(f->wall_seconds * 1000));
  std::cout << "upstream queue growth " << predicted_growth << " vehicles over " << format_clock(at_end.time - at_cut.time)
            << "; " << f->trouble.size() << " segments in trouble; forecast of " << format_clock(o.branch.horizon) << " took "
            << f->wall_seconds * 1000 << " ms\n";
  EXPECT_GE(predicted_growth, 5);
  EXPECT_EQ(live_growth, predicted_growth);

  // The trouble list: exactly the open segments predicted below 30 % of free flow after the cut.
  std::set<segment_id> slow;
  for (const forecast_checkpoint& c : f->checkpoints)
    if (c.time > f->base_time)
      for (const segment_snapshot& s : c.segments)
        if (!s.closed && s.mean_speed_mps < 0.3 * sioux_falls().segments[s.segment].freeflow_speed_mps) slow.insert(s.segment);
  std::set<segment_id> listed;
  for (const predicted_trouble& t : f->trouble) {
    EXPECT_EQ(t.kind, trouble_kind::slow_segment);
    EXPECT_LT(t.worst, slow_segment_fraction);
    listed.insert(t.index);
  }
  EXPECT_FALSE(slow.empty());
  EXPECT_EQ(listed, slow);
}

// Forecasts run beside the live twin (many of them, most skipped because the previous still runs); the
// twin's later cut equals the batch continuation of its earlier cut, which is what it does without them.
TEST(rolling_forecast, leaves_the_live_twin_untouched_and_counts_its_cost) {
  live_twin_options live = busy_twin();
  live.demand_scale = 0.5;
  live_twin twin(sioux_falls(), live);
  twin.start();
  wait_until(twin, 3 * minute);
  const auto first = twin.capture_state();
  const simulation_state first_copy = *first;

  metrics_registry metrics;
  rolling_forecast_options o;
  o.every = 5 * ms_per_second;
  o.branch.horizon = 10 * minute;
  o.metrics = metrics.forecasts();
  rolling_forecast forecasts(twin, nullptr, o);
  forecasts.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (forecasts.status().runs < 3 && std::chrono::steady_clock::now() < deadline)
    forecasts.wait_for_forecast_after(forecasts.status().runs, std::chrono::seconds(1));
  const auto second = twin.capture_state();
  forecasts.stop();
  const forecast_status st = forecasts.status();
  twin.stop();
  ASSERT_FALSE(twin.failure()) << *twin.failure();

  EXPECT_GE(st.runs, 3u);
  EXPECT_EQ(st.failed, 0u) << st.last_error;
  EXPECT_GT(st.skipped, 0u) << "forecasts due every 5 simulated seconds cannot all run";
  ASSERT_TRUE(st.last);
  EXPECT_GT(st.last->wall_seconds, 0);
  EXPECT_GT(st.last->speed(), 0);
  const std::string text = metrics.text();
  EXPECT_NE(text.find("citytwin_forecast_runs_total{outcome=\"succeeded\"} " + std::to_string(st.runs)), std::string::npos) << text;
  EXPECT_NE(text.find("citytwin_forecast_skipped_total " + std::to_string(st.skipped)), std::string::npos);
  EXPECT_NE(text.find("citytwin_forecast_run_duration_seconds_count " + std::to_string(st.runs)), std::string::npos);

  EXPECT_TRUE(*first == first_copy) << "the cut changed";
  ASSERT_GT(second->time, first->time);
  simulation_options resume;
  resume.seed = first->seed;
  resume.duration = second->time;
  resume.resume_from = first;
  resume.capture_state = true;
  const auto rest = run_simulation(sioux_falls(), trip_plan{first->departures, 0, false}, resume);
  rest.state->demand = second->demand;
  EXPECT_EQ(rest.state->time, second->time);
  EXPECT_TRUE(*rest.state == *second) << "the live twin with forecasts beside it differs from its plain continuation";
}

forecast_checkpoint checkpoint(sim_time t, std::vector<double> speeds_mps, std::vector<bool> closed,
                               std::vector<double> loadings) {
  forecast_checkpoint c;
  c.time = t;
  for (segment_id s = 0; s < speeds_mps.size(); ++s) {
    segment_snapshot snap;
    snap.segment = s;
    snap.mean_speed_mps = speeds_mps[s];
    snap.closed = closed[s];
    c.segments.push_back(snap);
  }
  for (double l : loadings) {
    bus_state b;
    b.loading = l;
    b.energized = true;
    c.nodes.push_back(b);
  }
  return c;
}

TEST(predicted_trouble, lists_segments_below_30_percent_and_overloads_after_the_cut_only) {
  city_graph graph;
  for (int i = 0; i < 3; ++i) {
    road_segment_spec s;
    s.freeflow_speed_mps = 10;
    graph.segments.push_back(s);
  }
  radial_network network;
  network.nodes.resize(3);
  network.nodes[1].parent = 0;
  network.nodes[2].parent = 0;
  forecast f;
  f.base_time = 100;
  // Segment 0 is slow at the cut only; 1 falls to 25 %, then 20 %, then recovers; 2 is closed (never slow).
  // Node 0 is the source (never overloaded); node 1 goes to 110 % twice, 2 stays at 100 %.
  f.checkpoints = {checkpoint(100, {1, 9, 10}, {false, false, false}, {5, 0.5, 1.0}),
                   checkpoint(200, {9, 2.5, 1}, {false, false, true}, {5, 1.1, 1.0}),
                   checkpoint(300, {9, 2, 1}, {false, false, true}, {5, 1.1, 1.0}),
                   checkpoint(400, {9, 2.9, 1}, {false, false, true}, {5, 0.9, 1.0})};
  const auto trouble = find_predicted_trouble(graph, &network, f);
  ASSERT_EQ(trouble.size(), 2u);
  EXPECT_EQ(trouble[0], (predicted_trouble{trouble_kind::slow_segment, 1, 200, 300, 0.2}));
  EXPECT_EQ(trouble[1], (predicted_trouble{trouble_kind::overload, 1, 200, 200, 1.1}));
  EXPECT_EQ(find_predicted_trouble(graph, nullptr, f).size(), 1u) << "no grid, no overloads";
}

TEST(forecast, answers_with_the_latest_checkpoint_at_or_before_a_time) {
  forecast f;
  f.base_time = 1000;
  for (sim_time t : {1000, 1200, 1400, 1500}) f.checkpoints.push_back({t, {}, {}});
  EXPECT_EQ(f.at_or_before(999), nullptr);
  EXPECT_EQ(f.at_or_before(1000)->time, 1000);
  EXPECT_EQ(f.at_or_before(1199)->time, 1000);
  EXPECT_EQ(f.at_or_before(1200)->time, 1200);
  EXPECT_EQ(f.at_or_before(1499)->time, 1400);
  EXPECT_EQ(f.at_or_before(9999)->time, 1500);
}

}  // namespace
}  // namespace citytwin
