// ForecastService over a real front door: the predicted state at a time is the latest checkpoint at
// or before it, times outside the forecast are refused, trouble is listed and streamed, the status
// reports the cost, and a server without forecasts says so.

#include <gtest/gtest.h>

#include "citytwin/v1/forecast.grpc.pb.h"
#include "engine/forecast/rolling_forecast.hpp"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {
namespace {

constexpr sim_time minute = 60 * ms_per_second;

class forecast_service_test : public frontdoor_fixture {
 protected:
  void SetUp() override {
    frontdoor_fixture::SetUp();
    rolling_forecast_options o;
    o.every = ms_per_hour;  // never due in a test: forecasts run when the test says
    o.branch.horizon = 10 * minute;
    o.branch.checkpoint_every = 3 * minute;
    forecasts_ = std::make_unique<rolling_forecast>(*twin_, power_.get(), o);
    context_->forecast = forecasts_.get();
    stub_ = v1::ForecastService::NewStub(channel_);
  }
  void TearDown() override {
    server_.reset();
    forecasts_.reset();
    frontdoor_fixture::TearDown();
  }

  grpc::Status get(const v1::GetForecastRequest& request, v1::GetForecastResponse& response, const char* token = viewer_token) {
    return stub_->GetForecast(call(token).get(), request, &response);
  }

  static v1::GetForecastRequest at(std::int64_t time_ms, std::vector<std::string> segments) {
    v1::GetForecastRequest r;
    r.set_at_time_ms(time_ms);
    for (const auto& s : segments) {
      auto* ref = r.add_twins();
      ref->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
      ref->set_id(s);
    }
    return r;
  }

  std::unique_ptr<rolling_forecast> forecasts_;
  std::unique_ptr<v1::ForecastService::Stub> stub_;
};

TEST_F(forecast_service_test, returns_the_latest_checkpoint_at_or_before_the_time_asked_for) {
  v1::GetForecastResponse response;
  EXPECT_EQ(get(at(epoch_ms_now(), {"1-2"}), response).error_code(), grpc::StatusCode::UNAVAILABLE) << "no forecast yet";

  // A closure through the front door, applied before the fork.
  v1::IngestBatch batch;
  batch.set_source("roadworks");
  batch.set_sequence(1);
  *batch.add_readings() = event("10-15", epoch_ms_now(), v1::SegmentEvent::KIND_CLOSED);
  ASSERT_EQ(ingest({batch}).at(0).accepted(), 1u);
  const segment_id closed = find_segment(city_->graph, "10-15");
  while (!twin_->view()->segments[closed].closed) twin_->wait_for_view_after(twin_->view()->version, std::chrono::seconds(1));

  const auto f = forecasts_->run_once();
  ASSERT_GE(f->checkpoints.size(), 4u);
  const forecast_checkpoint& second = f->checkpoints[1];
  const segment_id segment = find_segment(city_->graph, "10-15");

  // Just before the third checkpoint: the second answers.
  ASSERT_TRUE(get(at(twin_->to_epoch_ms(f->checkpoints[2].time) - 1, {"10-15", "3"}), response).ok());
  EXPECT_EQ(response.checkpoint_time_ms(), twin_->to_epoch_ms(second.time));
  EXPECT_EQ(response.requested_time_ms(), twin_->to_epoch_ms(f->checkpoints[2].time) - 1);
  EXPECT_EQ(response.forecast().forecast_number(), f->number);
  EXPECT_EQ(response.forecast().base_time_ms(), twin_->to_epoch_ms(f->base_time));
  EXPECT_EQ(response.forecast().horizon_ms(), 10 * minute);
  ASSERT_EQ(response.twins_size(), 2);
  EXPECT_EQ(response.twins(0).twin().id(), "10-15");
  EXPECT_TRUE(response.twins(0).segment().closed());
  EXPECT_EQ(response.twins(0).segment().queue_vehicles(), second.segments[segment].queued);
  EXPECT_DOUBLE_EQ(response.twins(0).segment().mean_speed_kmh(), second.segments[segment].mean_speed_mps * 3.6);
  EXPECT_EQ(response.twins(1).twin().id(), context_->catalog.directory.id_of(3));
  EXPECT_EQ(response.twins(1).segment().vehicles(), second.segments[3].vehicles);
  // Exactly at a checkpoint: that one. At the horizon's end: the last.
  ASSERT_TRUE(get(at(twin_->to_epoch_ms(second.time), {"10-15"}), response).ok());
  EXPECT_EQ(response.checkpoint_time_ms(), twin_->to_epoch_ms(second.time));
  ASSERT_TRUE(get(at(twin_->to_epoch_ms(f->base_time + 10 * minute), {"10-15"}), response).ok());
  EXPECT_EQ(response.checkpoint_time_ms(), twin_->to_epoch_ms(f->checkpoints.back().time));
  // No twins named: every segment.
  ASSERT_TRUE(get(at(twin_->to_epoch_ms(second.time), {}), response).ok());
  EXPECT_EQ(response.twins_size(), static_cast<int>(city_->graph.segments.size()));
  // Now + offset: within the forecast (the twin has not yet run 10 minutes past the fork).
  v1::GetForecastRequest soon;
  soon.set_offset_ms(minute);
  ASSERT_TRUE(get(soon, response).ok());
  EXPECT_GE(response.checkpoint_time_ms(), twin_->to_epoch_ms(f->base_time));
  EXPECT_LE(response.checkpoint_time_ms(), response.requested_time_ms());

  // Outside the forecast, bad refs, wrong kinds.
  EXPECT_EQ(get(at(twin_->to_epoch_ms(f->base_time) - 1, {"10-15"}), response).error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(get(at(twin_->to_epoch_ms(f->base_time + 10 * minute) + 1, {"10-15"}), response).error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(get(at(twin_->to_epoch_ms(second.time), {"10-99"}), response).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetForecastRequest building = at(twin_->to_epoch_ms(second.time), {});
  building.add_twins()->set_kind(v1::TWIN_KIND_BUILDING);
  EXPECT_EQ(get(building, response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetForecastRequest back;
  back.set_offset_ms(-1);
  EXPECT_EQ(get(back, response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(get(at(twin_->to_epoch_ms(second.time), {"10-15"}), response, nullptr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(get(at(twin_->to_epoch_ms(second.time), {"10-15"}), response, feed_token).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(forecast_service_test, lists_and_streams_trouble_and_reports_its_status) {
  const auto f = forecasts_->run_once();
  v1::PredictedTroubleList list;
  ASSERT_TRUE(stub_->ListPredictedTrouble(call(viewer_token).get(), {}, &list).ok());
  EXPECT_EQ(list.forecast().forecast_number(), 1u);
  ASSERT_EQ(list.trouble_size(), static_cast<int>(f->trouble.size()));
  for (int i = 0; i < list.trouble_size(); ++i) {
    EXPECT_EQ(list.trouble(i).kind(), v1::TROUBLE_KIND_SLOW_SEGMENT);
    EXPECT_EQ(list.trouble(i).twin().id(), context_->catalog.directory.id_of(f->trouble[i].index));
    EXPECT_EQ(list.trouble(i).first_time_ms(), twin_->to_epoch_ms(f->trouble[i].first_at));
    EXPECT_LT(list.trouble(i).worst_value(), 0.3);
  }

  // The watcher gets the current list, then the next forecast's.
  auto watch_context = call(viewer_token);
  auto stream = stub_->WatchPredictedTrouble(watch_context.get(), {});
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(list.forecast().forecast_number(), 1u);
  forecasts_->run_once();
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(list.forecast().forecast_number(), 2u);
  watch_context->TryCancel();
  v1::PredictedTroubleList rest;
  while (stream->Read(&rest)) {
  }
  stream->Finish();

  v1::ForecastStatus status;
  ASSERT_TRUE(stub_->GetForecastStatus(call(viewer_token).get(), {}, &status).ok());
  EXPECT_TRUE(status.enabled());
  EXPECT_EQ(status.every_ms(), ms_per_hour);
  EXPECT_EQ(status.horizon_ms(), 10 * minute);
  EXPECT_EQ(status.checkpoint_every_ms(), 3 * minute);
  EXPECT_EQ(status.runs(), 2u);
  EXPECT_EQ(status.last().forecast_number(), 2u);
  EXPECT_GT(status.last_simulated_seconds_per_wall_second(), 0);
  EXPECT_GE(status.last_wall_ms(), 0);
  EXPECT_FALSE(status.running());
}

TEST_F(forecast_service_test, a_server_without_forecasts_says_so) {
  context_->forecast = nullptr;
  v1::ForecastStatus status;
  ASSERT_TRUE(stub_->GetForecastStatus(call(viewer_token).get(), {}, &status).ok());
  EXPECT_FALSE(status.enabled());
  v1::PredictedTroubleList list;
  EXPECT_EQ(stub_->ListPredictedTrouble(call(viewer_token).get(), {}, &list).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

class grid_forecast_service_test : public forecast_service_test {
 protected:
  bool with_grid() const override { return true; }
};

// Utility nodes are predicted too: a load flow at each checkpoint's time of day.
TEST_F(grid_forecast_service_test, predicts_utility_node_loading) {
  const auto f = forecasts_->run_once();
  const live_grid& grid = *power_;
  ASSERT_EQ(f->checkpoints.back().nodes.size(), grid.network().nodes.size());
  std::uint32_t transformer = 0;
  for (std::uint32_t n = 0; n < grid.network().nodes.size(); ++n)
    if (!grid.is_source(n) && grid.network().nodes[n].rating_pu > 0 && grid.node_info()[n].feeds_buildings) transformer = n;
  ASSERT_GT(transformer, 0u);
  v1::GetForecastRequest request;
  request.set_at_time_ms(twin_->to_epoch_ms(f->checkpoints.back().time));
  auto* ref = request.add_twins();
  ref->set_kind(v1::TWIN_KIND_UTILITY_NODE);
  ref->set_id(std::to_string(grid.network().nodes[transformer].bus_number));
  v1::GetForecastResponse response;
  ASSERT_TRUE(get(request, response).ok());
  ASSERT_EQ(response.twins_size(), 1);
  ASSERT_TRUE(response.twins(0).utility_node().has_loading());
  EXPECT_GT(response.twins(0).utility_node().loading().value(), 0);
  EXPECT_DOUBLE_EQ(response.twins(0).utility_node().loading().value(), f->checkpoints.back().nodes[transformer].loading);
  EXPECT_TRUE(response.twins(0).utility_node().energized());
}

}  // namespace
}  // namespace citytwin::testing
