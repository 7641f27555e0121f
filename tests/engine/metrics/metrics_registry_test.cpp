// The metrics registry and its handles, read back as Prometheus text; the /metrics endpoint over HTTP.

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>

#include "engine/metrics/metrics_endpoint.hpp"
#include "engine/metrics/metrics_registry.hpp"
#include "tests/support/http_get.hpp"

namespace citytwin::testing {

namespace {

// The value of one series (name with its labels exactly as exposed), or nullopt if absent.
std::optional<double> value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

v1::IngestAck ack_with(std::uint32_t accepted, std::vector<v1::RejectionCode> rejections) {
  v1::IngestAck ack;
  ack.set_accepted(accepted);
  for (std::size_t i = 0; i < rejections.size(); ++i) {
    auto* r = ack.add_rejected();
    r->set_index(static_cast<std::uint32_t>(i));
    r->set_code(rejections[i]);
  }
  return ack;
}

}  // namespace

TEST(metrics_registry, every_series_exists_at_zero_with_help_and_conventional_names) {
  metrics_registry registry;
  const std::string text = registry.text();
  for (const char* series :
       {R"(citytwin_ingest_readings_total{outcome="accepted"})", R"(citytwin_ingest_readings_total{outcome="rejected"})",
        R"(citytwin_ingest_readings_total{outcome="duplicate"})", R"(citytwin_ingest_readings_total{outcome="not_stored"})",
        R"(citytwin_ingest_readings_rejected_total{reason="invalid_argument"})",
        R"(citytwin_ingest_readings_rejected_total{reason="not_found"})",
        R"(citytwin_ingest_readings_rejected_total{reason="out_of_range"})",
        R"(citytwin_ingest_readings_rejected_total{reason="unimplemented"})",
        R"(citytwin_ingest_readings_rejected_total{reason="other"})", "citytwin_ingest_ack_latency_seconds_count",
        "citytwin_window_barrier_seconds_count", R"(citytwin_active_actors{kind="segment"})",
        R"(citytwin_active_actors{kind="shard"})", R"(citytwin_active_actors{kind="building"})",
        R"(citytwin_active_actors{kind="utility_node"})", R"(citytwin_mailbox_backlog_messages{mailbox="live_twin_inbox"})",
        R"(citytwin_cluster_messages_total{direction="sent"})", R"(citytwin_cluster_messages_total{direction="received"})",
        "citytwin_live_lag_seconds", "citytwin_live_simulated_seconds_per_wall_second", "citytwin_live_inputs_kept_for_rollback",
        R"(citytwin_scenario_runs_total{outcome="succeeded"})", R"(citytwin_scenario_runs_total{outcome="failed"})",
        R"(citytwin_scenario_runs_total{outcome="cancelled"})", "citytwin_scenario_run_duration_seconds_count",
        R"(citytwin_anomalies_total{kind="speed_below_model"})", R"(citytwin_sensors{state="stale"})",
        "citytwin_rocksdb_write_stalls_total", "citytwin_rocksdb_write_stall_seconds_total",
        "citytwin_rocksdb_delayed_write_rate_bytes_per_second", "citytwin_rocksdb_write_stopped",
        R"(citytwin_forecast_runs_total{outcome="succeeded"})", R"(citytwin_forecast_runs_total{outcome="failed"})",
        "citytwin_forecast_run_duration_seconds_count", "citytwin_forecast_skipped_total"}) {
    const auto value = value_of(text, series);
    ASSERT_TRUE(value) << series << " missing from\n" << text;
    EXPECT_EQ(*value, 0) << series;
  }
  // Counters end in _total; every family has help text.
  std::istringstream lines(text);
  int families = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      ++families;
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_EQ(name.rfind("citytwin_", 0), 0u) << name;
      if (type == "counter") {
        EXPECT_TRUE(name.ends_with("_total")) << name;
      }
    }
    if (line.rfind("# HELP ", 0) == 0) {
      EXPECT_GT(line.size(), 7 + 20u) << line;
    }
  }
  EXPECT_EQ(families, 21);
}

TEST(metrics_registry, an_ack_counts_accepted_readings_and_each_rejection_by_reason) {
  metrics_registry registry;
  const ingest_metrics ingest = registry.ingest();
  ingest.count_ack(ack_with(7, {v1::REJECTION_CODE_NOT_FOUND, v1::REJECTION_CODE_OUT_OF_RANGE,
                                v1::REJECTION_CODE_NOT_FOUND, v1::REJECTION_CODE_UNSPECIFIED}),
                   11);
  v1::IngestAck duplicate;
  duplicate.set_duplicate(true);
  ingest.count_ack(duplicate, 5);
  ingest.count_not_stored(3);
  ingest.observe_ack_latency(0.002);
  ingest.observe_ack_latency(0.2);
  const std::string text = registry.text();
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_total{outcome="accepted"})"), 7);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_total{outcome="rejected"})"), 4);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_total{outcome="duplicate"})"), 5);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_total{outcome="not_stored"})"), 3);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_rejected_total{reason="not_found"})"), 2);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_rejected_total{reason="out_of_range"})"), 1);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_rejected_total{reason="other"})"), 1);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_readings_rejected_total{reason="invalid_argument"})"), 0);
  EXPECT_EQ(value_of(text, "citytwin_ingest_ack_latency_seconds_count"), 2);
  EXPECT_EQ(value_of(text, R"(citytwin_ingest_ack_latency_seconds_bucket{le="0.0025"})"), 1);
  EXPECT_NEAR(*value_of(text, "citytwin_ingest_ack_latency_seconds_sum"), 0.202, 1e-12);
}

TEST(metrics_registry, runtime_scenario_and_sampled_handles_move_their_series) {
  metrics_registry registry;
  const runtime_metrics runtime = registry.runtime();
  runtime.add_actors(actor_kind::segment, 76);
  runtime.add_actors(actor_kind::segment, 10);
  runtime.add_actors(actor_kind::segment, -10);
  runtime.observe_barrier(0.0003);
  registry.scenarios().record_run(scenario_run_outcome::succeeded, 12);
  registry.scenarios().record_run(scenario_run_outcome::failed, 0.3);
  const sampled_metrics sampled = registry.sampled();
  int collections = 0;
  registry.on_collect([&] {
    ++collections;
    sampled.set_lag_seconds(2.5);
    sampled.advance_write_stalls(4);
    sampled.advance_write_stalls(3);  // a lower total never moves a counter back
  });
  const std::string text = registry.text();
  EXPECT_EQ(collections, 1);
  EXPECT_EQ(value_of(text, R"(citytwin_active_actors{kind="segment"})"), 76);
  EXPECT_EQ(value_of(text, R"(citytwin_window_barrier_seconds_bucket{le="0.0005"})"), 1);
  EXPECT_EQ(value_of(text, R"(citytwin_window_barrier_seconds_bucket{le="0.00025"})"), 0);
  EXPECT_EQ(value_of(text, R"(citytwin_scenario_runs_total{outcome="succeeded"})"), 1);
  EXPECT_EQ(value_of(text, R"(citytwin_scenario_runs_total{outcome="failed"})"), 1);
  EXPECT_EQ(value_of(text, "citytwin_scenario_run_duration_seconds_count"), 2);
  EXPECT_EQ(value_of(text, R"(citytwin_scenario_run_duration_seconds_bucket{le="10"})"), 1);
  EXPECT_EQ(value_of(text, "citytwin_live_lag_seconds"), 2.5);
  EXPECT_EQ(value_of(text, "citytwin_rocksdb_write_stalls_total"), 4);
}

TEST(metrics_registry, inert_handles_count_nothing_and_never_crash) {
  ingest_metrics{}.count_ack(ack_with(3, {v1::REJECTION_CODE_NOT_FOUND}), 4);
  ingest_metrics{}.observe_ack_latency(1);
  runtime_metrics{}.add_actors(actor_kind::shard, 2);
  scenario_metrics{}.record_run(scenario_run_outcome::cancelled, 1);
  sampled_metrics{}.advance_write_stall_seconds(1);
  SUCCEED();
}

TEST(metrics_endpoint, serves_the_registry_on_a_free_port) {
  metrics_registry registry;
  registry.ingest().count_ack(ack_with(9, {}), 9);
  metrics_endpoint endpoint("127.0.0.1:0", registry);
  ASSERT_GT(endpoint.port(), 0);
  const auto response = http_get("http://127.0.0.1:" + std::to_string(endpoint.port()) + "/metrics");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(value_of(response.body, R"(citytwin_ingest_readings_total{outcome="accepted"})"), 9) << response.body;
}

TEST(metrics_endpoint, a_bad_or_busy_address_gets_a_clear_error) {
  metrics_registry registry;
  auto message_of = [&](const std::string& address) -> std::string {
    try {
      metrics_endpoint endpoint(address, registry);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message_of("9464").find("expected HOST:PORT"), std::string::npos) << message_of("9464");
  EXPECT_NE(message_of("127.0.0.1:99999").find("expected HOST:PORT"), std::string::npos);
  metrics_endpoint first("127.0.0.1:0", registry);
  const std::string busy = "127.0.0.1:" + std::to_string(first.port());
  EXPECT_NE(message_of(busy).find("cannot serve metrics on " + busy), std::string::npos) << message_of(busy);
}

}  // namespace citytwin::testing
