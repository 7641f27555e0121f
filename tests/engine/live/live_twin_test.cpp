// The live twin applies a reading in the first window at or after its own time: a reading ahead of
// the twin's clock waits for it. With stop_at, the twin's clock stops there. A twin resumed from a
// cluster checkpoint starts at its clock and inbox and drops what it holds or took already.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/live/live_twin.hpp"
#include "tests/support/bundled_city.hpp"

namespace citytwin::testing {

TEST(live_twin, a_reading_ahead_of_the_clock_waits_for_its_window_and_the_clock_stops_at_stop_at) {
  live_twin_options options;
  options.time_scale = 120;  // two simulated minutes per wall second
  options.demand_scale = 0.05;
  options.stop_at = 180 * ms_per_second;
  live_twin twin(sioux_falls(), options);
  const segment_id segment = 7;
  const sim_time observed_at = 90 * ms_per_second;
  twin.submit_observation(segment, detector_observation{observed_at, 4.0, 300, 1});
  twin.start();
  std::uint64_t version = 0;
  bool seen_before = false, seen_after = false;
  while (!twin.finished()) {
    const auto view = twin.wait_for_view_after(version, std::chrono::seconds(5));
    version = view->version;
    if (view->time == 0) continue;
    const auto& s = view->segments[segment];
    if (view->time <= observed_at) {
      EXPECT_FALSE(s.has_observation) << "applied before its time, in the view at " << view->time;
      seen_before = true;
    } else if (view->time > observed_at + 5 * ms_per_second) {
      EXPECT_TRUE(s.has_observation) << "not applied by " << view->time;
      EXPECT_EQ(s.observed_at, observed_at);
      seen_after = true;
    }
  }
  EXPECT_TRUE(seen_before);
  EXPECT_TRUE(seen_after);
  EXPECT_FALSE(twin.failure().has_value()) << *twin.failure();
  EXPECT_EQ(twin.now(), options.stop_at);
  EXPECT_EQ(twin.view()->time, options.stop_at);
  twin.stop();
}

// Many readings of one detector can reach the twin between two windows (a feed at 200,000 readings/s):
// the inbox keeps only the newest of those due, and the window applies that one.
TEST(live_twin, a_window_applies_only_the_newest_due_reading_of_a_segment) {
  live_twin_options options;
  options.time_scale = 120;
  options.demand_scale = 0.05;
  options.stop_at = 10 * ms_per_second;
  live_twin twin(sioux_falls(), options);
  const segment_id segment = 3;
  twin.submit_observation(segment, detector_observation{0, 4.0, 300, 1}, 5);
  twin.submit_observation(segment, detector_observation{0, 6.0, 300, 1}, 7);  // the newest: last in the log
  twin.submit_observation(segment, detector_observation{0, 5.0, 300, 1}, 6);
  twin.submit_observation(segment + 1, detector_observation{0, 7.0, 300, 1}, 8);
  twin.submit_observation(segment, detector_observation{60 * ms_per_second, 9.0, 300, 1}, 9);  // ahead: waits on its own
  EXPECT_EQ(twin.inbox_backlog(), 3u);
  twin.start();
  while (!twin.finished()) twin.wait_for_view_after(twin.view()->version, std::chrono::seconds(5));
  EXPECT_FALSE(twin.failure().has_value()) << *twin.failure();
  const auto view = twin.view();
  EXPECT_DOUBLE_EQ(view->segments[segment].observed_speed_mps, 6.0);
  EXPECT_DOUBLE_EQ(view->segments[segment + 1].observed_speed_mps, 7.0);
  EXPECT_EQ(twin.inbox_backlog(), 1u) << "the reading timed at 1:00 still waits";
  twin.stop();
}

TEST(live_twin, a_resumed_twin_keeps_its_clock_and_inbox_and_drops_inputs_it_holds_or_took) {
  auto resume = std::make_shared<live_resume>();
  auto& point = resume->point;
  point.epoch_at_start_ms = 1'790'000'000'000;
  point.time = 60 * ms_per_second;
  point.pending.controls.push_back({{90 * ms_per_second, 5, control_kind::close, 0}, 10});     // waits for 1:30
  point.pending.observations.push_back({6, detector_observation{62 * ms_per_second, 9, 400, 1}, 11});  // taken at 1:02
  taken_inputs seven;
  seven.observation = taken_input{50 * ms_per_second, 8};
  point.taken = {{7, seven}};
  window_inputs at_62;
  at_62.observations.push_back(point.pending.observations.front());
  at_62.controls.push_back({{61 * ms_per_second, 8, control_kind::capacity_factor, 0.5}, 12});
  resume->journal = {{62 * ms_per_second, at_62}};
  live_twin_options options;
  options.resume = resume;
  live_twin twin(sioux_falls(), options);

  EXPECT_EQ(twin.now(), point.time);
  EXPECT_EQ(twin.to_epoch_ms(0), point.epoch_at_start_ms);
  EXPECT_EQ(twin.inbox_backlog(), 1u) << "the reading the journaled window took is not waiting any more";
  EXPECT_EQ(twin.inputs_kept_for_rollback(), 2u);
  // Restoring the store hands the twin every stored reading again: only new ones get in.
  twin.submit_control({90 * ms_per_second, 5, control_kind::close, 0}, 10);                  // waiting already
  twin.submit_control({61 * ms_per_second, 8, control_kind::capacity_factor, 0.5}, 12);      // taken by the journal
  twin.submit_observation(6, detector_observation{62 * ms_per_second, 9, 400, 1}, 11);       // taken by the journal
  twin.submit_observation(7, detector_observation{50 * ms_per_second, 3, 100, 1}, 8);        // taken before the checkpoint
  twin.submit_observation(7, detector_observation{40 * ms_per_second, 3, 100, 1}, 9);        // older than that one
  EXPECT_EQ(twin.inbox_backlog(), 1u);
  twin.submit_observation(7, detector_observation{55 * ms_per_second, 3, 100, 1}, 7);        // newer by its time
  twin.submit_control({63 * ms_per_second, 8, control_kind::capacity_factor, 0.7}, 13);      // arrived after the journal
  twin.submit_observation(9, detector_observation{64 * ms_per_second, 3, 100, 1});           // from no stored reading
  EXPECT_EQ(twin.inbox_backlog(), 4u);
}

}  // namespace citytwin::testing
