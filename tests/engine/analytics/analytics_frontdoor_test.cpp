// AnalyticsService on a real front door (Sioux Falls live, frontdoor_fixture), and the ingest path with
// analytics on against off.

#include <gtest/gtest.h>

#include <set>

#include "citytwin/v1/analytics.grpc.pb.h"
#include "engine/frontdoor/ingest_service.hpp"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {

namespace {

class analytics_frontdoor : public frontdoor_fixture {
 protected:
  std::vector<segment_id> neighbours_of(segment_id s) const {
    std::vector<segment_id> out;
    const auto& segments = city_->graph.segments;
    for (const auto& other : segments)
      if (other.id != s && (other.from == segments[s].to || other.to == segments[s].from)) out.push_back(other.id);
    return out;
  }
  std::string id_of(segment_id s) const { return context_->catalog.directory.id_of(s); }
  double model_speed_kmh(segment_id s) const { return twin_->view()->segments[s].mean_speed_mps * 3.6; }

  v1::IngestBatch batch(std::uint64_t sequence, const std::vector<v1::Reading>& readings) const {
    v1::IngestBatch b;
    b.set_source("loops");
    b.set_sequence(sequence);
    for (const auto& r : readings) *b.add_readings() = r;
    return b;
  }
};

}  // namespace

TEST_F(analytics_frontdoor, an_injected_incident_raises_an_anomaly_on_its_segment_and_not_on_its_neighbours) {
  const segment_id incident = 0;
  const auto neighbours = neighbours_of(incident);
  ASSERT_GE(neighbours.size(), 2u);
  std::vector<segment_id> watched = neighbours;
  watched.push_back(incident);
  const std::int64_t now = epoch_ms_now();
  std::vector<v1::Reading> normal, with_incident;
  for (segment_id s : watched) {
    normal.push_back(detector(id_of(s), now - 120'000, model_speed_kmh(s), 12));
    // The incident: its detector's speed drops to a third of the model's; the neighbours carry on.
    const double speed = s == incident ? model_speed_kmh(s) / 3 : model_speed_kmh(s);
    with_incident.push_back(detector(id_of(s), now - 60'000, speed, 12));
  }
  const auto acks = ingest({batch(1, normal), batch(2, with_incident)});
  ASSERT_EQ(acks.size(), 2u);
  ASSERT_EQ(acks[1].accepted(), watched.size());

  auto stub = v1::AnalyticsService::NewStub(channel_);
  v1::ListAnomaliesRequest request;
  v1::ListAnomaliesResponse response;
  ASSERT_TRUE(stub->ListAnomalies(call(viewer_token).get(), request, &response).ok());
  ASSERT_EQ(response.anomalies_size(), 1);
  const v1::Anomaly& a = response.anomalies(0);
  EXPECT_EQ(a.twin().kind(), v1::TWIN_KIND_ROAD_SEGMENT);
  EXPECT_EQ(a.twin().id(), id_of(incident));
  EXPECT_EQ(a.kind(), v1::ANOMALY_KIND_SPEED_BELOW_MODEL);
  EXPECT_EQ(a.time_ms(), now - 60'000);
  EXPECT_EQ(a.source(), "loops");
  EXPECT_NEAR(a.observed() * 3, a.expected(), a.expected() * 0.2);
  EXPECT_GT(a.score(), 2.5);
  EXPECT_FALSE(a.reason().empty());

  // By twin: the neighbours have none.
  for (segment_id s : neighbours) {
    v1::ListAnomaliesRequest by_twin;
    by_twin.mutable_filter()->mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
    by_twin.mutable_filter()->mutable_twin()->set_id(std::to_string(s));
    v1::ListAnomaliesResponse none;
    ASSERT_TRUE(stub->ListAnomalies(call(viewer_token).get(), by_twin, &none).ok());
    EXPECT_EQ(none.anomalies_size(), 0) << id_of(s);
  }

  // A watcher asking for what exists gets it first.
  v1::WatchAnomaliesRequest watch;
  watch.set_send_existing(true);
  auto context = call(viewer_token);
  auto stream = stub->WatchAnomalies(context.get(), watch);
  v1::Anomaly streamed;
  ASSERT_TRUE(stream->Read(&streamed));
  EXPECT_EQ(streamed.sequence(), a.sequence());
  context->TryCancel();

  v1::FeedHealth feed;
  ASSERT_TRUE(stub->GetFeedHealth(call(viewer_token).get(), v1::GetFeedHealthRequest(), &feed).ok());
  EXPECT_EQ(feed.sensors(), watched.size());
  EXPECT_EQ(feed.healthy(), watched.size());
  EXPECT_EQ(feed.anomalies(), 1u);
}

TEST_F(analytics_frontdoor, a_stuck_sensor_is_flagged_in_its_health) {
  const std::int64_t now = epoch_ms_now();
  std::vector<v1::IngestBatch> batches;
  for (int i = 0; i < 6; ++i)
    batches.push_back(batch(i + 1, {detector("1", now - (6 - i) * 60'000, 42, 9), detector("2", now - (6 - i) * 60'000, 40 + i, 9)}));
  ASSERT_EQ(ingest(batches).size(), 6u);
  auto stub = v1::AnalyticsService::NewStub(channel_);
  v1::GetSensorHealthRequest request;
  request.set_source("loops");
  v1::GetSensorHealthResponse response;
  ASSERT_TRUE(stub->GetSensorHealth(call(viewer_token).get(), request, &response).ok());
  ASSERT_EQ(response.sensors_size(), 2);
  std::map<std::string, v1::SensorHealth> by_segment;
  for (const auto& s : response.sensors()) by_segment[s.twin().id()] = s;
  const v1::SensorHealth& stuck = by_segment.at(id_of(1));
  ASSERT_EQ(stuck.flags_size(), 1);
  EXPECT_EQ(stuck.flags(0), v1::SENSOR_FLAG_STUCK);
  EXPECT_EQ(stuck.repeats(), 6u);
  EXPECT_LT(stuck.trust(), 1);
  EXPECT_EQ(by_segment.at(id_of(2)).flags_size(), 0);
  EXPECT_EQ(by_segment.at(id_of(2)).trust(), 1);
  EXPECT_EQ(by_segment.at(id_of(2)).expected_period_ms(), 60'000);
}

TEST_F(analytics_frontdoor, analytics_calls_need_a_reader_and_check_their_arguments) {
  auto stub = v1::AnalyticsService::NewStub(channel_);
  v1::ListAnomaliesResponse response;
  EXPECT_EQ(stub->ListAnomalies(call(nullptr).get(), {}, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::ListAnomaliesRequest bad;
  bad.mutable_filter()->set_start_time_ms(20);
  bad.mutable_filter()->set_end_time_ms(10);
  EXPECT_EQ(stub->ListAnomalies(call(viewer_token).get(), bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListAnomaliesRequest unknown;
  unknown.mutable_filter()->mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  unknown.mutable_filter()->mutable_twin()->set_id("999999");
  EXPECT_EQ(stub->ListAnomalies(call(viewer_token).get(), unknown, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  context_->analytics = nullptr;  // as serve --analytics off
  v1::FeedHealth feed;
  EXPECT_EQ(stub->GetFeedHealth(call(viewer_token).get(), {}, &feed).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

namespace {

// The ingest path without transport, on its own store, with analytics on or off.
struct ingest_rig {
  ingest_rig(const loaded_city& city, const std::filesystem::path& dir, bool analytics_on) {
    store_options storage;
    storage.directory = dir;
    store = twin_store::open(storage);
    live_twin_options live;
    live.time_scale = 60;
    live.demand_scale = 0.1;
    twin = std::make_unique<live_twin>(city.graph, live);
    context = std::make_unique<frontdoor_context>(*twin, *store, inputs, twin_catalog(city.graph),
                                                  access_control::open_access());
    if (analytics_on) context->analytics = &analytics;
    twin->start();
  }
  ~ingest_rig() { twin->stop(); }

  std::vector<std::tuple<std::string, std::int64_t, std::string>> log() const {
    std::vector<std::tuple<std::string, std::int64_t, std::string>> out;
    store->replay_after(0, [&](const recorded_reading& r) {
      out.emplace_back(r.reading.twin_id, r.reading.time_ms, r.reading.payload);
    });
    return out;
  }

  std::unique_ptr<twin_store> store;
  std::unique_ptr<live_twin> twin;
  twin_inputs inputs;
  feed_analytics analytics;
  std::unique_ptr<frontdoor_context> context;
};

}  // namespace

TEST_F(analytics_frontdoor, anomalies_never_change_the_stored_readings) {
  ingest_rig on(*city_, dir_ / "on", true), off(*city_, dir_ / "off", false);
  const std::int64_t now = epoch_ms_now();
  std::vector<v1::IngestBatch> batches;
  for (int i = 0; i < 8; ++i) {
    v1::IngestBatch b;
    b.set_source("loops");
    b.set_sequence(i + 1);
    const std::int64_t t = now - (8 - i) * 60'000;
    *b.add_readings() = detector("1", t, i < 4 ? 60 : 8, 12);  // an incident from minute 4
    *b.add_readings() = detector("2", t, 42, 12);               // stuck
    *b.add_readings() = detector("3", t - 30'000 * (i % 2), 50 + i, 12);  // out of order
    batches.push_back(b);
  }
  for (const auto& b : batches) {
    const audit_call feed{"loop-detectors", "feed", "grpc", "test", "/citytwin.v1.IngestService/Ingest"};
    const v1::IngestAck with = ingest_service(*on.context).handle_batch(b, feed);
    const v1::IngestAck without = ingest_service(*off.context).handle_batch(b, feed);
    EXPECT_EQ(with.SerializeAsString(), without.SerializeAsString());
  }
  on.context->assimilation.drain();
  EXPECT_GT(on.analytics.anomalies().last_sequence(), 0u);
  const auto stored = on.log();
  EXPECT_EQ(stored.size(), 24u);
  EXPECT_EQ(stored, off.log());
  EXPECT_EQ(on.inputs.state(), off.inputs.state());
}

}  // namespace citytwin::testing
