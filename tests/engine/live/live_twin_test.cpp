// The live twin applies a reading in the first window at or after its own time: a reading ahead of
// the twin's clock waits for it. With stop_at, the twin's clock stops there.

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

}  // namespace citytwin::testing
