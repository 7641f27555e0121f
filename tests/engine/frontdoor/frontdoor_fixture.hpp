#pragma once
// A real front door on a loopback port: Sioux Falls as a live twin running 60x faster than the
// clock, a RocksDB store in a fresh directory, and tokens for each role; plaintext unless a test
// overrides server_tls() and client_credentials().

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>

#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/analytics/feed_analytics.hpp"
#include "engine/frontdoor/reading_application.hpp"
#include "engine/frontdoor/twin_server.hpp"
#include "engine/grid/city_grid.hpp"
#include "engine/live/live_grid.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/store/twin_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {

inline const char* const feed_token = "feed-token-0123456789";
inline const char* const viewer_token = "viewer-token-0123456789";
inline const char* const planner_token = "planner-token-0123456789";
inline const char* const admin_token = "admin-token-0123456789";

inline std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class frontdoor_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_temp_dir();
    city_ = std::make_unique<loaded_city>(load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls"));
    store_options storage;
    storage.directory = dir_ / "store";
    store_ = twin_store::open(storage);
    live_twin_options live;
    live.time_scale = 60;
    live.demand_scale = 0.1;
    twin_ = std::make_unique<live_twin>(city_->graph, live);
    twin_catalog catalog(city_->graph);
    catalog.counters_since_ms = twin_->to_epoch_ms(0);
    if (with_grid()) {
      grid_ = std::make_unique<city_grid>(build_city_grid(*city_, "", 1));
      power_ = std::make_unique<live_grid>(*grid_, *twin_, 60 * ms_per_second, 12 * ms_per_hour, 20 * 60 * ms_per_second);
      catalog.grid = power_.get();
    }
    const auto tokens = write_file(dir_ / "tokens.json", std::string(R"({"tokens": [)") +
                                                             R"({"token": ")" + feed_token + R"(", "identity": "loop-detectors", "role": "feed"},)" +
                                                             R"({"token": ")" + viewer_token + R"(", "identity": "ops-screen", "role": "viewer"},)" +
                                                             R"({"token": ")" + planner_token + R"(", "identity": "planning", "role": "planner"},)" +
                                                             R"({"token": ")" + admin_token + R"(", "identity": "root", "role": "admin"}]})");
    context_ = std::make_unique<frontdoor_context>(*twin_, *store_, inputs_, std::move(catalog),
                                                   access_control::from_file(tokens));
    // Analytics on, as `serve` runs by default.
    context_->analytics = &analytics_;
    twin_->start();
    if (power_) power_->start();
    server_ = std::make_unique<twin_server>(*context_, server_options{"127.0.0.1:0", server_tls()});
    server_->start();
    channel_ = grpc::CreateChannel(target(), client_credentials());
  }

  void TearDown() override {
    server_.reset();
    if (power_) power_->stop();
    twin_->stop();
  }

  virtual bool with_grid() const { return false; }
  // TLS files for the server (none: plaintext) and the credentials of the fixture's own channel.
  virtual tls_files server_tls() const { return {}; }
  virtual std::shared_ptr<grpc::ChannelCredentials> client_credentials() const {
    return grpc::InsecureChannelCredentials();
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<grpc::ClientContext> call(const char* token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (token) context->AddMetadata("authorization", std::string("Bearer ") + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return context;
  }

  // A 24 h Sioux Falls scenario started as `token`: long enough to be cancelled while it runs.
  struct long_scenario_run {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::ScenarioProgress>> reader;
    v1::ScenarioProgress first;  // names the run
    bool started = false;        // a first progress message came
  };
  long_scenario_run start_long_scenario(v1::ScenarioService::Stub& stub, const char* token) {
    long_scenario_run run{call(token), nullptr, {}, false};
    v1::RunScenarioRequest request;
    request.set_spec(R"({"schema_version": 1, "name": "long", "city": "data/tntp/SiouxFalls", "horizon": "24h", "variants": []})");
    run.reader = stub.RunScenario(run.context.get(), request);
    run.started = run.reader->Read(&run.first);
    return run;
  }

  static v1::Reading detector(const std::string& segment, std::int64_t time_ms, double speed_kmh, std::uint32_t count = 10) {
    v1::Reading r;
    auto* d = r.mutable_traffic_detector();
    d->set_segment_id(segment);
    d->set_observe_time_ms(time_ms);
    d->set_interval_ms(60'000);
    d->set_vehicle_count(count);
    d->set_mean_speed_kmh(speed_kmh);
    d->set_occupancy(0.2);
    return r;
  }

  static v1::Reading event(const std::string& segment, std::int64_t time_ms, v1::SegmentEvent::Kind kind, double factor = 0) {
    v1::Reading r;
    auto* e = r.mutable_segment_event();
    e->set_segment_id(segment);
    e->set_event_time_ms(time_ms);
    e->set_kind(kind);
    e->set_capacity_factor(factor);
    e->set_cause("test");
    return r;
  }

  // Sends the batches on one stream and returns the acks, once the twin and analytics have taken
  // the readings (an ack waits for the store only).
  std::vector<v1::IngestAck> ingest(const std::vector<v1::IngestBatch>& batches, const char* token = feed_token,
                                    grpc::Status* status = nullptr) {
    auto stub = v1::IngestService::NewStub(channel_);
    auto context = call(token);
    auto stream = stub->Ingest(context.get());
    std::vector<v1::IngestAck> acks;
    for (const auto& b : batches) {
      if (!stream->Write(b)) break;
      v1::IngestAck ack;
      if (!stream->Read(&ack)) break;
      acks.push_back(ack);
    }
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    if (status) *status = s;
    context_->assimilation.drain();
    return acks;
  }

  // Waits until the twin has published a view taken after this call.
  void wait_for_fresh_view() {
    const auto start_version = twin_->view()->version;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (twin_->view()->version < start_version + 2 && std::chrono::steady_clock::now() < deadline)
      twin_->wait_for_view_after(twin_->view()->version, std::chrono::milliseconds(200));
  }

  std::filesystem::path dir_;
  std::unique_ptr<loaded_city> city_;
  std::unique_ptr<twin_store> store_;
  std::unique_ptr<live_twin> twin_;
  std::unique_ptr<city_grid> grid_;
  std::unique_ptr<live_grid> power_;
  twin_inputs inputs_;
  feed_analytics analytics_;
  std::unique_ptr<frontdoor_context> context_;
  std::unique_ptr<twin_server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace citytwin::testing
