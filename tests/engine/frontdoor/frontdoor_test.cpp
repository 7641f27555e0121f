// The gRPC front door end to end over loopback: what is ingested comes back from get, query,
// watch and history; duplicates count once; every bad reading is refused with its reason; every
// RPC checks the caller's role.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {

namespace {

v1::IngestBatch batch_of(std::uint64_t sequence, std::vector<v1::Reading> readings, const std::string& source = "detectors") {
  v1::IngestBatch b;
  b.set_source(source);
  b.set_sequence(sequence);
  for (auto& r : readings) *b.add_readings() = std::move(r);
  return b;
}

}  // namespace

using frontdoor = frontdoor_fixture;

TEST_F(frontdoor, ingested_readings_come_back_from_get_query_and_history) {
  const std::int64_t now = epoch_ms_now();
  const auto acks = ingest({batch_of(1, {detector("1-2", now - 1000, 17.5), event("3-4", now - 500, v1::SegmentEvent::KIND_CLOSED)})});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].sequence(), 1u);
  EXPECT_EQ(acks[0].accepted(), 2u);
  EXPECT_EQ(acks[0].rejected_size(), 0);
  EXPECT_FALSE(acks[0].duplicate());
  wait_for_fresh_view();

  auto stub = v1::TwinService::NewStub(channel_);
  v1::GetTwinRequest get;
  get.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  get.mutable_twin()->set_id("1-2");
  v1::Twin twin;
  ASSERT_TRUE(stub->GetTwin(call(viewer_token).get(), get, &twin).ok());
  EXPECT_EQ(twin.id(), "1-2");
  ASSERT_TRUE(twin.road_segment().has_last_detector_reading());
  EXPECT_DOUBLE_EQ(twin.road_segment().last_detector_reading().mean_speed_kmh(), 17.5);
  EXPECT_EQ(twin.road_segment().last_detector_reading().observe_time_ms(), now - 1000);

  get.mutable_twin()->set_id("3-4");
  ASSERT_TRUE(stub->GetTwin(call(viewer_token).get(), get, &twin).ok());
  EXPECT_EQ(twin.road_segment().status(), v1::SEGMENT_STATUS_CLOSED);

  v1::QueryTwinsRequest query;
  query.mutable_filter()->mutable_predicate()->set_segment_status(v1::SEGMENT_STATUS_CLOSED);
  v1::QueryTwinsResponse found;
  ASSERT_TRUE(stub->QueryTwins(call(viewer_token).get(), query, &found).ok());
  ASSERT_EQ(found.twins_size(), 1);
  EXPECT_EQ(found.twins(0).id(), "3-4");

  v1::GetHistoryRequest history;
  history.mutable_twin()->set_id("1-2");
  history.set_start_time_ms(now - 60'000);
  v1::GetHistoryResponse entries;
  ASSERT_TRUE(stub->GetHistory(call(viewer_token).get(), history, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).time_ms(), now - 1000);
  EXPECT_EQ(entries.entries(0).source(), "detectors");
  EXPECT_EQ(entries.entries(0).sequence(), 1u);
  EXPECT_DOUBLE_EQ(entries.entries(0).reading().traffic_detector().mean_speed_kmh(), 17.5);

  v1::TwinStats stats;
  ASSERT_TRUE(stub->GetStats(call(viewer_token).get(), v1::GetStatsRequest{}, &stats).ok());
  EXPECT_EQ(stats.readings_logged(), 2u);
  EXPECT_EQ(stats.road_segments(), 76u);
}

TEST_F(frontdoor, query_pages_cover_every_twin_once) {
  auto stub = v1::TwinService::NewStub(channel_);
  v1::QueryTwinsRequest query;
  query.set_page_size(30);
  std::set<std::string> seen;
  int pages = 0;
  do {
    v1::QueryTwinsResponse page;
    ASSERT_TRUE(stub->QueryTwins(call(viewer_token).get(), query, &page).ok());
    for (const auto& t : page.twins()) EXPECT_TRUE(seen.insert(t.id()).second) << t.id();
    query.set_page_token(page.next_page_token());
    ++pages;
  } while (!query.page_token().empty());
  EXPECT_EQ(seen.size(), 76u);
  EXPECT_EQ(pages, 3);
}

TEST_F(frontdoor, a_redelivered_batch_is_acknowledged_as_duplicate_and_applied_once) {
  const std::int64_t now = epoch_ms_now();
  const auto batch = batch_of(7, {detector("1-2", now, 20)});
  const auto acks = ingest({batch, batch});
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_FALSE(acks[0].duplicate());
  EXPECT_EQ(acks[0].accepted(), 1u);
  EXPECT_TRUE(acks[1].duplicate());
  EXPECT_EQ(acks[1].accepted(), 0u);
  EXPECT_EQ(ingest({batch})[0].duplicate(), true) << "also on a new stream";
  EXPECT_EQ(store_->last_log_position(), 1u);
}

TEST_F(frontdoor, every_bad_reading_is_refused_with_its_code_and_reason) {
  const std::int64_t now = epoch_ms_now();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  v1::Reading meter;
  meter.mutable_meter()->set_building_id("b1");
  v1::Reading capacity_zero = event("1-2", now, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0);
  v1::Reading no_kind = event("1-2", now, v1::SegmentEvent::KIND_UNSPECIFIED);
  struct expectation {
    v1::Reading reading;
    v1::RejectionCode code;
    const char* reason;
  };
  const std::vector<expectation> cases{
      {detector("99-98", now, 20), v1::REJECTION_CODE_NOT_FOUND, "no segment '99-98'"},
      {detector("", now, 20), v1::REJECTION_CODE_NOT_FOUND, "segment id is missing"},
      {detector("1-2", now, nan), v1::REJECTION_CODE_INVALID_ARGUMENT, "mean_speed_kmh is not a finite number"},
      {detector("1-2", now, -3), v1::REJECTION_CODE_OUT_OF_RANGE, "mean_speed_kmh = -3 is outside the possible range"},
      {detector("1-2", now, 900), v1::REJECTION_CODE_OUT_OF_RANGE, "mean_speed_kmh = 900"},
      {detector("1-2", now + 3'600'000, 20), v1::REJECTION_CODE_OUT_OF_RANGE, "ahead of the twin's clock"},
      {detector("1-2", now - 3'600'000, 20), v1::REJECTION_CODE_OUT_OF_RANGE, "beyond the lateness window"},
      {detector("1-2", 0, 20), v1::REJECTION_CODE_INVALID_ARGUMENT, "observe_time_ms is missing"},
      {detector("1-2", now, 20, 100'000), v1::REJECTION_CODE_OUT_OF_RANGE, "impossible on"},
      {capacity_zero, v1::REJECTION_CODE_OUT_OF_RANGE, "send KIND_CLOSED"},
      {no_kind, v1::REJECTION_CODE_INVALID_ARGUMENT, "kind is missing"},
      {v1::Reading{}, v1::REJECTION_CODE_INVALID_ARGUMENT, "the reading is empty"},
      {meter, v1::REJECTION_CODE_UNIMPLEMENTED, "no power grid"},
  };
  std::vector<v1::Reading> readings{detector("1-2", now, 30)};  // one good reading first
  for (const auto& c : cases) readings.push_back(c.reading);
  readings[0].mutable_traffic_detector()->set_occupancy(1.5);  // ...made bad too
  readings.push_back(detector("1-3", now, 30));                 // and a good one last
  const auto acks = ingest({batch_of(1, readings)});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].accepted(), 1u);
  ASSERT_EQ(acks[0].rejected_size(), static_cast<int>(cases.size()) + 1);
  EXPECT_EQ(acks[0].rejected(0).index(), 0u);
  EXPECT_EQ(acks[0].rejected(0).code(), v1::REJECTION_CODE_OUT_OF_RANGE);
  EXPECT_NE(acks[0].rejected(0).reason().find("occupancy = 1.5"), std::string::npos);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& r = acks[0].rejected(static_cast<int>(i) + 1);
    EXPECT_EQ(r.index(), i + 1);
    EXPECT_EQ(r.code(), cases[i].code) << cases[i].reason;
    EXPECT_NE(r.reason().find(cases[i].reason), std::string::npos) << r.reason();
  }
  // Only the good reading was stored.
  EXPECT_EQ(store_->last_log_position(), 1u);
  EXPECT_EQ(store_->history("segment/1-3", 0, INT64_MAX, 0).size(), 1u);
}

TEST_F(frontdoor, batch_level_problems_refuse_every_reading_and_keep_the_stream) {
  const std::int64_t now = epoch_ms_now();
  std::vector<v1::Reading> many(context_->limits.max_readings_per_batch + 1, detector("1-2", now, 20));
  const auto acks = ingest({batch_of(1, {detector("1-2", now, 20)}, ""), batch_of(2, many), batch_of(3, {detector("1-2", now, 20)})});
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].accepted(), 0u);
  EXPECT_NE(acks[0].rejected(0).reason().find("no source"), std::string::npos);
  EXPECT_EQ(acks[1].accepted(), 0u);
  EXPECT_EQ(acks[1].rejected_size(), static_cast<int>(many.size()));
  EXPECT_NE(acks[1].rejected(0).reason().find("at most 10000"), std::string::npos);
  EXPECT_EQ(acks[2].accepted(), 1u);
}

TEST_F(frontdoor, an_oversized_message_is_refused_and_the_server_keeps_serving) {
  v1::IngestBatch huge = batch_of(1, {detector("1-2", epoch_ms_now(), 20)});
  huge.mutable_readings(0)->mutable_traffic_detector()->set_detector_id(std::string(20 * 1024 * 1024, 'x'));
  grpc::Status status;
  ingest({huge}, feed_token, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(ingest({batch_of(2, {detector("1-2", epoch_ms_now(), 20)})})[0].accepted(), 1u);
}

TEST_F(frontdoor, a_watcher_sees_a_closure_as_it_happens) {
  auto stub = v1::TwinService::NewStub(channel_);
  auto context = call(viewer_token);
  v1::WatchTwinsRequest request;
  auto* ref = request.mutable_filter()->add_twins();
  ref->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  ref->set_id("5-6");
  request.set_send_initial_state(true);
  auto reader = stub->WatchTwins(context.get(), request);
  v1::TwinChange change;
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_INITIAL);
  EXPECT_EQ(change.twin().road_segment().status(), v1::SEGMENT_STATUS_OPEN);
  ASSERT_TRUE(reader->Read(&change));
  EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_INITIAL_STATE_END);
  ingest({batch_of(1, {event("5-6", epoch_ms_now(), v1::SegmentEvent::KIND_CLOSED)})});
  bool closed_seen = false;
  while (!closed_seen && reader->Read(&change)) {
    EXPECT_EQ(change.twin().id(), "5-6");
    closed_seen = change.twin().road_segment().status() == v1::SEGMENT_STATUS_CLOSED;
  }
  EXPECT_TRUE(closed_seen);
  context->TryCancel();
  reader->Finish();
}

// A roadworks feed announces a closure and its end together, both ahead of the twin's clock: the
// twin closes the segment at the first time and opens it at the second, though the reopening is
// the newer event when both arrive.
TEST_F(frontdoor, a_planned_closure_and_its_reopening_sent_together_both_take_effect_in_turn) {
  auto stub = v1::TwinService::NewStub(channel_);
  auto context = call(viewer_token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchTwinsRequest request;
  auto* ref = request.mutable_filter()->add_twins();
  ref->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  ref->set_id("5-6");
  auto reader = stub->WatchTwins(context.get(), request);
  const std::int64_t twin_now = twin_->to_epoch_ms(twin_->now());
  const std::int64_t close_at = twin_now + 60'000, reopen_at = twin_now + 120'000;  // 1 and 2 s of wall time
  ingest({batch_of(1, {event("5-6", close_at, v1::SegmentEvent::KIND_CLOSED), event("5-6", reopen_at, v1::SegmentEvent::KIND_REOPENED)})});
  std::int64_t closed_in_view = 0, reopened_in_view = 0;
  v1::TwinChange change;
  while (reopened_in_view == 0 && reader->Read(&change)) {
    const auto& twin = change.twin();
    if (twin.road_segment().status() == v1::SEGMENT_STATUS_CLOSED && closed_in_view == 0) closed_in_view = twin.update_time_ms();
    if (twin.road_segment().status() == v1::SEGMENT_STATUS_OPEN && closed_in_view != 0) reopened_in_view = twin.update_time_ms();
  }
  ASSERT_NE(closed_in_view, 0) << "the closure never took effect";
  ASSERT_NE(reopened_in_view, 0) << "the reopening never took effect";
  EXPECT_GT(closed_in_view, close_at);  // not before its time
  EXPECT_GT(reopened_in_view, reopen_at);
  EXPECT_LE(closed_in_view, reopen_at);  // closed while it was meant to be
  context->TryCancel();
  reader->Finish();
}

// After a restart the segment is in the state it had at the restart, and a closure and its
// reopening planned for later still both happen: the store's readings timed ahead of the restarted
// twin's clock are each taken in turn, though the snapshot keeps only the newest of a kind.
TEST_F(frontdoor, a_restart_keeps_the_state_that_holds_now_and_every_event_planned_for_later) {
  const std::int64_t now = epoch_ms_now();
  const std::int64_t close_at = now + 10 * 60'000, reopen_at = now + 20 * 60'000;
  ingest({batch_of(1, {event("5-6", now - 2000, v1::SegmentEvent::KIND_CLOSED)})});  // closed now (by the wall clock)
  ingest({batch_of(2, {event("3-4", close_at, v1::SegmentEvent::KIND_CLOSED), event("3-4", reopen_at, v1::SegmentEvent::KIND_REOPENED),
                       event("5-6", reopen_at, v1::SegmentEvent::KIND_REOPENED)})});
  {
    std::unique_lock lock(context_->snapshot_lock);
    store_->put_snapshot(now, inputs_.serialize(), store_->last_log_position());
  }
  twin_inputs restored_inputs;
  live_twin_options fast;
  fast.time_scale = 1200;  // 20 simulated minutes per wall second
  fast.demand_scale = 0.05;
  fast.stop_at = 30 * 60'000;
  live_twin restarted(city_->graph, fast);
  twin_catalog catalog(city_->graph);
  restore_twin(*store_, catalog, restored_inputs, restarted);
  const segment_id planned = std::get<segment_id>(catalog.directory.resolve("3-4"));
  const segment_id closed_now = std::get<segment_id>(catalog.directory.resolve("5-6"));
  restarted.start();
  std::uint64_t version = 0;
  bool planned_closed_seen = false, planned_reopened_seen = false, closed_now_seen = false;
  while (!restarted.finished()) {
    const auto view = restarted.wait_for_view_after(version, std::chrono::seconds(5));
    version = view->version;
    if (view->time == 0) continue;
    const std::int64_t at = restarted.to_epoch_ms(view->time);
    const bool planned_closed = view->segments[planned].closed;
    if (at <= close_at) EXPECT_FALSE(planned_closed) << "closed before its time, at " << view->time;
    if (at > close_at + 5000 && at <= reopen_at) {
      EXPECT_TRUE(planned_closed) << "the planned closure was lost at the restart (" << view->time << ")";
      planned_closed_seen = planned_closed_seen || planned_closed;
      EXPECT_TRUE(view->segments[closed_now].closed) << "5-6 was closed at the restart (" << view->time << ")";
      closed_now_seen = closed_now_seen || view->segments[closed_now].closed;
    }
    if (at > reopen_at + 5000) {
      EXPECT_FALSE(planned_closed) << view->time;
      EXPECT_FALSE(view->segments[closed_now].closed) << view->time;
      planned_reopened_seen = true;
    }
  }
  restarted.stop();
  EXPECT_TRUE(planned_closed_seen);
  EXPECT_TRUE(closed_now_seen);
  EXPECT_TRUE(planned_reopened_seen);
}

TEST_F(frontdoor, a_restart_rebuilds_the_same_inputs_from_snapshot_and_log) {
  const std::int64_t now = epoch_ms_now();
  ingest({batch_of(1, {detector("1-2", now - 2000, 40), event("2-6", now - 2000, v1::SegmentEvent::KIND_CLOSED)})});
  {
    std::unique_lock lock(context_->snapshot_lock);
    store_->put_snapshot(now, inputs_.serialize(), store_->last_log_position());
  }
  // After the snapshot: a newer reading, an older one (must not win), and a reopening.
  ingest({batch_of(2, {detector("1-2", now - 1000, 45), detector("1-2", now - 5000, 10),
                       event("2-6", now - 1000, v1::SegmentEvent::KIND_REOPENED)})});
  const auto live_state = inputs_.segments();
  twin_inputs restored_inputs;
  live_twin restarted(city_->graph, {});
  twin_catalog catalog(city_->graph);
  const auto summary = restore_twin(*store_, catalog, restored_inputs, restarted);
  EXPECT_TRUE(summary.from_snapshot);
  EXPECT_EQ(summary.replayed, 3u);
  EXPECT_EQ(restored_inputs.segments(), live_state);
  EXPECT_DOUBLE_EQ(live_state.at(0).observation.speed_kmh, 45);
  // And the same as replaying the whole log with no snapshot at all.
  twin_inputs from_scratch;
  store_->replay_after(0, [&](const recorded_reading& r) {
    v1::Reading reading;
    ASSERT_TRUE(reading.ParseFromString(r.reading.payload));
    const auto segment = catalog.directory.resolve(r.reading.twin_id.substr(8));
    record_reading(reading, std::get<segment_id>(segment), r.log_position, from_scratch);
  });
  EXPECT_EQ(from_scratch.segments(), live_state);
}

TEST_F(frontdoor, health_reports_serving) {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(stub->Check(call(nullptr).get(), request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  request.set_service("citytwin.v1.TwinService");
  ASSERT_TRUE(stub->Check(call(nullptr).get(), request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace citytwin::testing
