#include "engine/analytics/feed_analytics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/metrics/metrics_registry.hpp"

namespace citytwin {

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t start = 1'700'000'000'000;

// Twin ids are string literals: a feed_reading only views its id.
feed_reading detector(std::string_view twin, std::int64_t time_ms, double speed_kmh, std::uint32_t count,
                      std::optional<double> model_kmh) {
  feed_reading r;
  r.twin_id = twin;
  r.time_ms = time_ms;
  r.quantity = feed_quantity::detector;
  r.value = speed_kmh;
  r.vehicle_count = count;
  r.flow_veh_h = count * 60.0;
  r.model_speed_kmh = model_kmh;
  return r;
}

feed_reading grid_reading(std::string_view twin, std::int64_t time_ms, feed_quantity q, double value) {
  feed_reading r;
  r.twin_id = twin;
  r.time_ms = time_ms;
  r.quantity = q;
  r.value = value;
  return r;
}

}  // namespace

TEST(robust_baseline, scores_a_value_by_median_and_mad_of_its_hour) {
  anomaly_options options;
  robust_baseline b;
  const double history[] = {48, 50, 52, 49, 51, 50, 47, 53};
  for (double v : history) EXPECT_FALSE(b.outlier_and_add(start, v, options).has_value());
  // Median 50, MAD 1.5 -> spread max(2.22, 2.5 (5 % of 50), 1) = 2.5: 40 is z = -4, not an outlier at 5.
  EXPECT_FALSE(b.outlier_and_add(start, 40, options).has_value());
  // Now 9 values, median 50, MAD 2 -> spread max(2.97, 2.5, 1) = 2.9652: 35 is z = -5.06.
  const auto verdict = b.outlier_and_add(start, 35, options);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_DOUBLE_EQ(verdict->median, 50);
  EXPECT_DOUBLE_EQ(verdict->spread, 1.4826 * 2);
  EXPECT_DOUBLE_EQ(verdict->z, -15 / (1.4826 * 2));
  // Another hour of the day has its own history.
  EXPECT_FALSE(b.outlier_and_add(start + 60 * minute, 40, options).has_value());
}

TEST(robust_baseline, median_and_mad_of_sorted_values_equal_the_definitions) {
  // Brute force: the median of the sorted copy, then of the sorted absolute deviations.
  const auto median_by_sorting = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return median_of_sorted(v);
  };
  std::uint64_t state = 12345;
  const auto next = [&] {  // a fixed linear congruential sequence: values with ties and both sides of the median
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>((state >> 33) % 40) / 4;
  };
  for (std::size_t n = 1; n <= 33; ++n) {
    std::vector<double> values(n);
    for (double& v : values) v = next();
    std::sort(values.begin(), values.end());
    const double median = median_of_sorted(values);
    std::vector<double> deviations;
    for (double v : values) deviations.push_back(std::abs(v - median));
    EXPECT_DOUBLE_EQ(mad_of_sorted(values, median), median_by_sorting(deviations)) << "n = " << n;
  }
  EXPECT_EQ(median_of_sorted({}), 0);
  EXPECT_EQ(mad_of_sorted({}, 0), 0);
  EXPECT_EQ(median_of_sorted({1, 2, 3, 10}), 2.5);
  EXPECT_EQ(mad_of_sorted({1, 2, 3, 10}, 2.5), 1);  // deviations 0.5 0.5 1.5 7.5
}

TEST(robust_baseline, a_full_bucket_forgets_its_oldest_value) {
  anomaly_options options;
  options.baseline_capacity = 8;
  robust_baseline b;
  for (int i = 0; i < 8; ++i) b.outlier_and_add(start, 100, options);
  EXPECT_TRUE(b.outlier_and_add(start, 20, options).has_value());  // against eight 100s
  for (int i = 0; i < 7; ++i) b.outlier_and_add(start, 20, options);  // the 20s replace every 100
  EXPECT_FALSE(b.outlier_and_add(start, 20, options).has_value());
  const auto verdict = b.outlier_and_add(start, 100, options);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_DOUBLE_EQ(verdict->median, 20);
}

TEST(feed_analytics, a_detector_far_below_the_model_raises_one_anomaly_with_its_evidence) {
  feed_analytics analytics;
  const std::vector<feed_reading> batch = {detector("segment/1-2", start, 16, 12, 48),
                                           detector("segment/2-3", start, 47, 12, 48)};
  analytics.assess("loops", batch);
  const anomaly_page page = analytics.anomalies().read({}, 0, 100);
  ASSERT_EQ(page.anomalies.size(), 1u);
  const anomaly& a = page.anomalies[0];
  EXPECT_EQ(a.twin_id, "segment/1-2");
  EXPECT_EQ(a.kind, anomaly_kind::speed_below_model);
  EXPECT_EQ(a.time_ms, start);
  EXPECT_EQ(a.source, "loops");
  EXPECT_DOUBLE_EQ(a.observed, 16);
  EXPECT_DOUBLE_EQ(a.expected, 48);
  EXPECT_DOUBLE_EQ(a.score, 3);
  EXPECT_NE(a.reason.find("likely incident"), std::string::npos) << a.reason;
}

TEST(feed_analytics, a_lasting_anomaly_is_raised_again_only_after_the_repeat_time) {
  feed_analytics analytics;
  for (int i = 0; i <= 10; ++i)
    analytics.assess("loops", std::vector{detector("segment/1-2", start + i * minute, 10 + i % 2, 12, 48)});
  // Minutes 0, 5 and 10.
  EXPECT_EQ(analytics.anomalies().read({}, 0, 100).anomalies.size(), 3u);
}

TEST(feed_analytics, a_meter_far_above_its_profile_and_a_voltage_out_of_band_are_anomalies) {
  feed_analytics analytics;
  for (int i = 0; i < 10; ++i)
    analytics.assess("meters", std::vector{grid_reading("building/7", start + i * minute, feed_quantity::meter, 20 + i % 3)});
  EXPECT_EQ(analytics.anomalies().last_sequence(), 0u);
  analytics.assess("meters", std::vector{grid_reading("building/7", start + 10 * minute, feed_quantity::meter, 95)});
  analytics.assess("scada", std::vector{grid_reading("node/3", start, feed_quantity::voltage, 1.0),
                                        grid_reading("node/4", start, feed_quantity::voltage, 0.86)});
  const auto all = analytics.anomalies().read({}, 0, 100).anomalies;
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].twin_id, "building/7");
  EXPECT_EQ(all[0].kind, anomaly_kind::load_off_baseline);
  EXPECT_DOUBLE_EQ(all[0].expected, 21);
  EXPECT_GT(all[0].spread, 0);
  EXPECT_GE(all[0].score, 5);
  EXPECT_EQ(all[1].twin_id, "node/4");
  EXPECT_EQ(all[1].kind, anomaly_kind::voltage_out_of_band);
  EXPECT_NEAR(all[1].score, 0.4, 1e-9);
}

TEST(feed_analytics, anomalies_are_queried_by_time_twin_and_kind) {
  feed_analytics analytics;
  analytics.assess("loops", std::vector{detector("segment/1-2", start, 10, 12, 48),
                                        detector("segment/5-6", start + minute, 10, 12, 48)});
  analytics.assess("scada", std::vector{grid_reading("node/4", start + 2 * minute, feed_quantity::voltage, 1.2)});
  const anomaly_log& log = analytics.anomalies();
  EXPECT_EQ(log.read({start + minute, 0, "", std::nullopt}, 0, 100).anomalies.size(), 2u);
  EXPECT_EQ(log.read({start, start + minute, "", std::nullopt}, 0, 100).anomalies.size(), 1u);
  EXPECT_EQ(log.read({0, 0, "segment/5-6", std::nullopt}, 0, 100).anomalies.size(), 1u);
  EXPECT_EQ(log.read({0, 0, "", anomaly_kind::voltage_out_of_band}, 0, 100).anomalies.size(), 1u);
  const anomaly_page first = log.read({}, 0, 2);
  ASSERT_EQ(first.anomalies.size(), 2u);
  const anomaly_page rest = log.read({}, first.last_sequence, 2);
  ASSERT_EQ(rest.anomalies.size(), 1u);
  EXPECT_EQ(rest.anomalies[0].twin_id, "node/4");
}

TEST(feed_analytics, sensors_are_told_apart_by_source_and_summarised_over_the_feed) {
  feed_analytics analytics;
  for (int i = 0; i < 6; ++i)
    analytics.assess("loops", std::vector{detector("segment/1-2", start + i * minute, 40, 12, std::nullopt),
                                          detector("segment/2-3", start + i * minute, 40 + i, 12, std::nullopt)});
  analytics.assess("cameras", std::vector{detector("segment/1-2", start, 40, 12, std::nullopt)});
  const auto stuck = analytics.sensors("loops", "segment/1-2", start + 5 * minute);
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_TRUE(stuck[0].report.flags.stuck);
  EXPECT_LT(stuck[0].report.trust, 1);
  EXPECT_EQ(analytics.sensors("", "segment/1-2", start + 5 * minute).size(), 2u);
  const feed_summary s = analytics.summary(start + 5 * minute);
  EXPECT_EQ(s.sensors, 3u);
  EXPECT_EQ(s.sensors_by_state[static_cast<std::size_t>(sensor_state::stuck)], 1u);
  EXPECT_EQ(s.sensors_by_state[static_cast<std::size_t>(sensor_state::healthy)], 2u);
}

TEST(feed_analytics, anomalies_and_sensor_states_reach_the_metrics) {
  metrics_registry registry;
  feed_analytics analytics({}, registry.analytics());
  analytics.assess("loops", std::vector{detector("segment/1-2", start, 10, 12, 48)});
  for (int i = 0; i < 6; ++i) analytics.assess("loops", std::vector{detector("segment/9-8", start + i * minute, 40, 12, std::nullopt)});
  analytics.sample_metrics(start + 5 * minute);
  const std::string text = registry.text();
  EXPECT_NE(text.find("citytwin_anomalies_total{kind=\"speed_below_model\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("citytwin_anomalies_total{kind=\"voltage_out_of_band\"} 0"), std::string::npos);
  EXPECT_NE(text.find("citytwin_sensors{state=\"stuck\"} 1"), std::string::npos);
  EXPECT_NE(text.find("citytwin_sensors{state=\"healthy\"} 1"), std::string::npos);
}

}  // namespace citytwin
