// A real Prometheus (Debian's /usr/bin/prometheus) scrapes a real `citytwin serve --metrics` every
// second; readings go in through gRPC, and Prometheus' query API must then show the ingest counters
// moved by exactly what was sent: accepted, rejected by reason, duplicates, one ack latency per
// batch. Prometheus also loads deploy/prometheus/citytwin-rules.yml, whose rules must all be healthy.

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "citytwin/v1/twin.grpc.pb.h"
#include "tests/support/child_process.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string prometheus_binary = "/usr/bin/prometheus";
const std::string sioux_falls = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";
const std::string rules_file = std::string(CITYTWIN_SOURCE_DIR) + "/deploy/prometheus/citytwin-rules.yml";

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A loopback port free right now (Prometheus cannot report a port it picked itself).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  close(fd);
  return port;
}

v1::Reading detector(const std::string& segment, std::int64_t time_ms, double speed_kmh) {
  v1::Reading r;
  auto* d = r.mutable_traffic_detector();
  d->set_segment_id(segment);
  d->set_observe_time_ms(time_ms);
  d->set_interval_ms(60'000);
  d->set_vehicle_count(12);
  d->set_mean_speed_kmh(speed_kmh);
  d->set_occupancy(0.2);
  return r;
}

class prometheus_scrape : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(prometheus_binary)) GTEST_SKIP() << prometheus_binary << " is not installed (deploy/setup.sh installs it)";
    dir_ = test_temp_dir();
    start_citytwin();
    if (HasFatalFailure()) return;
    start_prometheus();
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cout << "citytwin log:\n" << citytwin_.log_tail() << "\nprometheus log:\n" << prometheus_.log_tail() << std::endl;
    }
    prometheus_.kill_and_reap();
    citytwin_.kill_and_reap();
  }

  void start_citytwin() {
    const fs::path port_file = dir_ / "grpc.port", metrics_port_file = dir_ / "metrics.port";
    ASSERT_NO_FATAL_FAILURE(citytwin_.start(
        {CITYTWIN_BINARY, "serve", "--city", sioux_falls, "--grpc", "127.0.0.1:0", "--port-file", port_file.string(),
         "--metrics", "127.0.0.1:0", "--metrics-port-file", metrics_port_file.string(), "--data-dir",
         (dir_ / "data").string(), "--time-scale", "60", "--demand-scale", "0.1", "--no-sync"},
        dir_ / "citytwin.log"));
    const auto grpc_port = wait_for_number_file(port_file, citytwin_, 60s);
    ASSERT_TRUE(grpc_port) << "citytwin serve did not write " << port_file;
    const auto metrics_port = wait_for_number_file(metrics_port_file, citytwin_, 5s);
    ASSERT_TRUE(metrics_port) << "citytwin serve did not write " << metrics_port_file;
    metrics_port_ = *metrics_port;
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(*grpc_port), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel_->WaitForConnected(std::chrono::system_clock::now() + 20s));
  }

  void start_prometheus() {
    const fs::path config = dir_ / "prometheus.yml";
    write_file(config, "global:\n"
                       "  scrape_interval: 1s\n"
                       "  evaluation_interval: 1s\n"
                       "rule_files:\n"
                       "  - " + rules_file + "\n"
                       "scrape_configs:\n"
                       "  - job_name: citytwin\n"
                       "    static_configs:\n"
                       "      - targets: ['127.0.0.1:" + std::to_string(metrics_port_) + "']\n");
    prometheus_port_ = free_port();
    ASSERT_GT(prometheus_port_, 0);
    ASSERT_NO_FATAL_FAILURE(prometheus_.start(
        {prometheus_binary, "--config.file=" + config.string(), "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
         "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_), "--log.level=warn"},
        dir_ / "prometheus.log"));
    // Ready, and has scraped citytwin at least once.
    ASSERT_TRUE(eventually([&] { return query_value("up{job=\"citytwin\"}") == 1; }, 60s))
        << "Prometheus never scraped citytwin successfully";
  }

  // The single value an instant query returns (NaN when it returns nothing or fails).
  double query_value(const std::string& promql) {
    const auto response = http_get("http://127.0.0.1:" + std::to_string(prometheus_port_) +
                                   "/api/v1/query?query=" + url_encode(promql));
    if (response.status != 200) return std::numeric_limits<double>::quiet_NaN();
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_discarded() || json.value("status", "") != "success") return std::numeric_limits<double>::quiet_NaN();
    const auto& result = json["data"]["result"];
    if (result.size() != 1) return std::numeric_limits<double>::quiet_NaN();
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  template <class Condition>
  bool eventually(Condition condition, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!prometheus_.running() || !citytwin_.running()) return false;
      if (condition()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  std::vector<v1::IngestAck> ingest(const std::vector<v1::IngestBatch>& batches) {
    auto stub = v1::IngestService::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 20s);
    auto stream = stub->Ingest(&context);
    std::vector<v1::IngestAck> acks;
    for (const auto& b : batches) {
      if (!stream->Write(b)) break;
      v1::IngestAck ack;
      if (!stream->Read(&ack)) break;
      acks.push_back(ack);
    }
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
    return acks;
  }

  fs::path dir_;
  child_process citytwin_, prometheus_;
  int metrics_port_ = 0, prometheus_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace

TEST_F(prometheus_scrape, counters_move_by_exactly_the_readings_sent) {
  const std::map<std::string, double> before_zero{
      {R"(citytwin_ingest_readings_total{outcome="accepted"})", 0},
      {R"(citytwin_ingest_readings_rejected_total{reason="not_found"})", 0},
  };
  for (const auto& [series, value] : before_zero) EXPECT_EQ(query_value(series), value) << series;

  // 3 batches: 25 good detector readings, 4 unknown segments, 3 from the future, 2 NaN speeds;
  // then the first batch again (a redelivery: 10 duplicates).
  const std::int64_t now = epoch_ms_now();
  std::vector<v1::IngestBatch> batches(3);
  int sequence = 0;
  for (auto& b : batches) {
    b.set_source("prometheus-test");
    b.set_sequence(++sequence);
  }
  for (int i = 0; i < 10; ++i) *batches[0].add_readings() = detector(std::to_string(i), now - 60'000, 50);
  for (int i = 0; i < 15; ++i) *batches[1].add_readings() = detector(std::to_string(10 + i), now - 30'000, 40);
  for (int i = 0; i < 4; ++i) *batches[1].add_readings() = detector("999-" + std::to_string(i), now - 30'000, 40);
  for (int i = 0; i < 3; ++i) *batches[2].add_readings() = detector("3", now + 3'600'000, 40);
  for (int i = 0; i < 2; ++i)
    *batches[2].add_readings() = detector("4", now - 10'000, std::numeric_limits<double>::quiet_NaN());
  batches.push_back(batches[0]);
  const auto acks = ingest(batches);
  ASSERT_EQ(acks.size(), 4u);
  EXPECT_EQ(acks[0].accepted() + acks[1].accepted() + acks[2].accepted(), 25u);
  EXPECT_TRUE(acks[3].duplicate());

  const std::map<std::string, double> expected{
      {R"(citytwin_ingest_readings_total{outcome="accepted"})", 25},
      {R"(citytwin_ingest_readings_total{outcome="rejected"})", 9},
      {R"(citytwin_ingest_readings_total{outcome="duplicate"})", 10},
      {R"(citytwin_ingest_readings_total{outcome="not_stored"})", 0},
      {R"(citytwin_ingest_readings_rejected_total{reason="not_found"})", 4},
      {R"(citytwin_ingest_readings_rejected_total{reason="out_of_range"})", 3},
      {R"(citytwin_ingest_readings_rejected_total{reason="invalid_argument"})", 2},
      {R"(citytwin_ingest_readings_rejected_total{reason="unimplemented"})", 0},
      {"citytwin_ingest_ack_latency_seconds_count", 4},
  };
  // Two scrapes after the counters reached the figures, they must still be exactly there.
  ASSERT_TRUE(eventually([&] { return query_value(expected.begin()->first) == expected.begin()->second; }, 30s))
      << "accepted readings in Prometheus: " << query_value(expected.begin()->first);
  std::this_thread::sleep_for(2500ms);
  for (const auto& [series, value] : expected) EXPECT_EQ(query_value(series), value) << series;
  EXPECT_EQ(query_value("sum(citytwin_ingest_readings_rejected_total)"),
            query_value(R"(citytwin_ingest_readings_total{outcome="rejected"})"));

  // The live twin's figures reach Prometheus too: Sioux Falls has 76 segment actors, one shard.
  EXPECT_EQ(query_value(R"(citytwin_active_actors{kind="segment"})"), 76);
  EXPECT_EQ(query_value(R"(citytwin_active_actors{kind="shard"})"), 1);
  EXPECT_GT(query_value("citytwin_window_barrier_seconds_count"), 0);
  EXPECT_NEAR(query_value("citytwin_live_simulated_seconds_per_wall_second"), 60, 15);
  EXPECT_LT(query_value("citytwin_live_lag_seconds"), 30);
  EXPECT_EQ(query_value(R"(citytwin_cluster_messages_total{direction="sent"})"), 0);

  // Every rule of deploy/prometheus/citytwin-rules.yml loaded and evaluates without error.
  ASSERT_TRUE(eventually(
      [&] {
        const auto response = http_get("http://127.0.0.1:" + std::to_string(prometheus_port_) + "/api/v1/rules");
        const auto json = nlohmann::json::parse(response.body, nullptr, false);
        if (json.is_discarded() || json["data"]["groups"].empty()) return false;
        for (const auto& group : json["data"]["groups"])
          for (const auto& rule : group["rules"])
            if (rule.value("health", "") != "ok") return false;
        return true;
      },
      20s))
      << "the rules of " << rules_file << " did not all evaluate healthy";
  // Nothing is wrong, so no alert fires (rejections are 9 of 34: the ratio alert waits 5 minutes).
  EXPECT_TRUE(std::isnan(query_value(R"(ALERTS{alertname="CityTwinDown",alertstate="firing"})")));
}

}  // namespace citytwin::testing
