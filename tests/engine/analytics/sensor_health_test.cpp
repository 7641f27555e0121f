#include "engine/analytics/sensor_health.hpp"

#include <gtest/gtest.h>

namespace citytwin {

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t start = 1'700'000'000'000;

}  // namespace

TEST(sensor_health, a_silenced_sensor_turns_stale_after_its_learned_period) {
  const sensor_health_options options;
  sensor_health s;
  for (int i = 0; i <= 10; ++i) s.observe(start + i * minute, 40.0 + i, std::nullopt, options);
  const std::int64_t last = start + 10 * minute;
  EXPECT_EQ(s.report(last, options).expected_period_ms, minute);
  EXPECT_FALSE(s.report(last + 2 * minute, options).flags.stale);
  EXPECT_FALSE(s.report(last + 3 * minute, options).flags.stale);
  const sensor_report silent = s.report(last + 3 * minute + 1, options);
  EXPECT_TRUE(silent.flags.stale);
  EXPECT_EQ(silent.flags.state(), sensor_state::stale);
  // It speaks again: no longer stale.
  s.observe(last + 5 * minute, 40.0, std::nullopt, options);
  EXPECT_FALSE(s.report(last + 5 * minute, options).flags.stale);
}

TEST(sensor_health, a_configured_period_replaces_the_learned_one) {
  sensor_health_options options;
  options.expected_period_ms = 5 * minute;
  sensor_health s;
  s.observe(start, 1.0, std::nullopt, options);  // one reading: nothing learned, but the period is given
  EXPECT_FALSE(s.report(start + 15 * minute, options).flags.stale);
  EXPECT_TRUE(s.report(start + 15 * minute + 1, options).flags.stale);
}

TEST(sensor_health, a_new_sensor_is_never_stale_before_its_period_is_known) {
  const sensor_health_options options;
  sensor_health s;
  s.observe(start, 1.0, std::nullopt, options);
  s.observe(start + minute, 2.0, std::nullopt, options);  // one gap; two are needed
  EXPECT_EQ(s.report(start + 60 * minute, options).expected_period_ms, 0);
  EXPECT_FALSE(s.report(start + 60 * minute, options).flags.stale);
}

TEST(sensor_health, the_same_value_repeated_is_stuck_and_distrusted) {
  const sensor_health_options options;
  sensor_health s;
  double trust = 1;
  for (int i = 0; i < 5; ++i) trust = s.observe(start + i * minute, 42.0, std::nullopt, options);
  EXPECT_EQ(trust, 1.0);
  EXPECT_FALSE(s.report(start + 5 * minute, options).flags.stuck);
  trust = s.observe(start + 5 * minute, 42.0, std::nullopt, options);  // the sixth in a row
  EXPECT_DOUBLE_EQ(trust, options.trust_stuck);
  const sensor_report r = s.report(start + 5 * minute, options);
  EXPECT_TRUE(r.flags.stuck);
  EXPECT_EQ(r.repeats, 6u);
  // A new value frees it.
  EXPECT_EQ(s.observe(start + 6 * minute, 43.0, std::nullopt, options), 1.0);
}

TEST(sensor_health, values_that_may_repeat_are_not_compared) {
  const sensor_health_options options;
  sensor_health s;
  for (int i = 0; i < 20; ++i) s.observe(start + i * minute, std::nullopt, std::nullopt, options);
  EXPECT_FALSE(s.report(start + 20 * minute, options).flags.stuck);
}

TEST(sensor_health, out_of_order_and_duplicated_times_are_flagged_then_forgotten) {
  const sensor_health_options options;
  sensor_health s;
  s.observe(start, 1.0, std::nullopt, options);
  s.observe(start + 2 * minute, 2.0, std::nullopt, options);
  EXPECT_DOUBLE_EQ(s.observe(start + minute, 3.0, std::nullopt, options), options.trust_disordered);
  sensor_report r = s.report(start + 2 * minute, options);
  EXPECT_TRUE(r.flags.out_of_order);
  EXPECT_EQ(r.out_of_order_total, 1u);
  EXPECT_EQ(r.last_time_ms, start + 2 * minute);  // the late reading does not move it back
  s.observe(start + 2 * minute, 4.0, std::nullopt, options);
  r = s.report(start + 2 * minute, options);
  EXPECT_TRUE(r.flags.duplicate_timestamps);
  EXPECT_EQ(r.duplicate_total, 1u);
  for (int i = 3; i < 3 + static_cast<int>(options.disorder_memory); ++i)
    s.observe(start + i * minute, 10.0 + i, std::nullopt, options);
  r = s.report(start + 20 * minute, options);
  EXPECT_FALSE(r.flags.out_of_order);
  EXPECT_FALSE(r.flags.duplicate_timestamps);
  EXPECT_EQ(r.flags.state(), sensor_state::healthy);
}

TEST(sensor_health, a_persistent_bias_against_the_model_is_drift) {
  const sensor_health_options options;
  sensor_health biased, honest;
  double trust = 1;
  for (int i = 0; i < 40; ++i) {
    trust = biased.observe(start + i * minute, 30.0 + i % 3, -0.4, options);  // 40 % below the model
    honest.observe(start + i * minute, 50.0 + i % 3, i % 2 == 0 ? 0.1 : -0.1, options);
  }
  EXPECT_TRUE(biased.report(start + 40 * minute, options).flags.drifting);
  EXPECT_DOUBLE_EQ(trust, options.trust_drifting);
  EXPECT_FALSE(honest.report(start + 40 * minute, options).flags.drifting);
}

}  // namespace citytwin
