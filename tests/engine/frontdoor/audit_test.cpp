// The audit trail over a real front door: every state-changing call leaves exactly one record with
// the caller's identity and its outcome (accepted, rejected, duplicate and refused batches, denied
// calls, scenario runs and cancels); reads are recorded only when configured; ReadAudit is admin-only.

#include <gtest/gtest.h>

#include <thread>

#include "citytwin/v1/audit.grpc.pb.h"
#include "tests/engine/frontdoor/audit_records.hpp"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {
namespace {

using audit_test = frontdoor_fixture;

v1::IngestBatch batch_of(const std::string& source, std::uint64_t sequence, std::vector<v1::Reading> readings) {
  v1::IngestBatch b;
  b.set_source(source);
  b.set_sequence(sequence);
  for (auto& r : readings) *b.add_readings() = std::move(r);
  return b;
}

const char* const short_spec = R"({"schema_version": 1, "name": "rpc", "city": "data/tntp/SiouxFalls", "horizon": "3m",
  "variants": [{"name": "bridge", "interventions": [{"at": "0s", "close": "10-15"}]}]})";

TEST_F(audit_test, an_accepted_batch_leaves_one_record_with_its_counts_and_road_events) {
  const auto now = epoch_ms_now();
  const auto before = epoch_ms_now();
  const auto acks = ingest({batch_of("loops", 7, {detector("1-2", now - 1000, 40), event("3-4", now - 500, v1::SegmentEvent::KIND_CLOSED),
                                                  event("5-6", now - 500, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0.5),
                                                  detector("99-98", now - 1000, 40)})});
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_EQ(acks[0].accepted(), 3u);
  const auto records = audit_records_of(*store_, "/citytwin.v1.IngestService/Ingest");
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  EXPECT_EQ(r.caller(), "loop-detectors");
  EXPECT_EQ(r.role(), "feed");
  EXPECT_EQ(r.transport(), "grpc");
  EXPECT_FALSE(r.peer().empty());
  EXPECT_EQ(r.outcome_code(), "OK");
  EXPECT_GE(r.time_ms(), before);
  EXPECT_LE(r.time_ms(), epoch_ms_now());
  EXPECT_GT(r.sim_time_ms(), 0);
  ASSERT_TRUE(r.has_ingest_batch());
  EXPECT_EQ(r.ingest_batch().source(), "loops");
  EXPECT_EQ(r.ingest_batch().sequence(), 7u);
  EXPECT_EQ(r.ingest_batch().readings(), 4u);
  EXPECT_EQ(r.ingest_batch().accepted(), 3u);
  EXPECT_EQ(r.ingest_batch().rejected(), 1u);
  EXPECT_EQ(r.ingest_batch().closures(), 1u);
  EXPECT_EQ(r.ingest_batch().capacity_changes(), 1u);
  EXPECT_FALSE(r.ingest_batch().duplicate());
  EXPECT_NE(r.summary().find("1 closure"), std::string::npos) << r.summary();
}

TEST_F(audit_test, refused_duplicate_and_denied_batches_each_leave_one_record_with_their_outcome) {
  const auto now = epoch_ms_now();
  ingest({batch_of("", 1, {detector("1-2", now - 1000, 40)}),        // no source: refused as a whole
          batch_of("loops", 2, {detector("1-2", now - 1000, 40)}),   // applied
          batch_of("loops", 2, {detector("1-2", now - 1000, 40)})}); // the same again: a duplicate
  grpc::Status denied;
  ingest({batch_of("loops", 3, {detector("1-2", now - 1000, 40)})}, viewer_token, &denied);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status unknown;
  ingest({batch_of("loops", 4, {detector("1-2", now - 1000, 40)})}, "not-a-token-at-all-000", &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  const auto records = audit_records_of(*store_, "Ingest");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].outcome_code(), "INVALID_ARGUMENT");
  EXPECT_EQ(records[0].ingest_batch().rejected(), 1u);
  EXPECT_EQ(records[0].caller(), "loop-detectors");
  EXPECT_EQ(records[1].outcome_code(), "OK");
  EXPECT_EQ(records[1].ingest_batch().accepted(), 1u);
  EXPECT_EQ(records[2].outcome_code(), "OK");
  EXPECT_TRUE(records[2].ingest_batch().duplicate());
  EXPECT_EQ(records[2].ingest_batch().accepted(), 0u);
  EXPECT_EQ(records[3].caller(), "ops-screen");
  EXPECT_EQ(records[3].role(), "viewer");
  EXPECT_EQ(records[3].outcome_code(), "PERMISSION_DENIED");
  EXPECT_FALSE(records[3].has_ingest_batch()) << "a refused stream carried no batch";
  EXPECT_EQ(records[4].caller(), "");
  EXPECT_EQ(records[4].outcome_code(), "UNAUTHENTICATED");
  for (std::size_t i = 1; i < records.size(); ++i)
    EXPECT_TRUE(records[i - 1].time_ms() < records[i].time_ms() ||
                (records[i - 1].time_ms() == records[i].time_ms() && records[i - 1].sequence() < records[i].sequence()));
}

TEST_F(audit_test, a_scenario_run_and_a_denied_run_leave_one_record_each) {
  auto stub = v1::ScenarioService::NewStub(channel_);
  v1::RunScenarioRequest request;
  request.set_spec(short_spec);
  request.set_progress_interval_ms(100);
  std::string id;
  {
    auto c = call(planner_token);
    auto reader = stub->RunScenario(c.get(), request);
    v1::ScenarioProgress m;
    while (reader->Read(&m)) id = m.scenario_id();
    ASSERT_TRUE(reader->Finish().ok());
  }
  {
    auto c = call(viewer_token);
    auto reader = stub->RunScenario(c.get(), request);
    v1::ScenarioProgress m;
    EXPECT_FALSE(reader->Read(&m));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  const auto records = audit_records_of(*store_, "/citytwin.v1.ScenarioService/RunScenario");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].caller(), "planning");
  EXPECT_EQ(records[0].outcome_code(), "OK");
  EXPECT_EQ(records[0].scenario().scenario_id(), id);
  EXPECT_EQ(records[0].scenario().name(), "rpc");
  EXPECT_EQ(records[0].scenario().final_state(), "succeeded");
  ASSERT_EQ(records[0].scenario().branches_size(), 2);
  EXPECT_EQ(records[0].scenario().branches(1), "bridge");
  EXPECT_EQ(records[1].caller(), "ops-screen");
  EXPECT_EQ(records[1].outcome_code(), "PERMISSION_DENIED");
  EXPECT_TRUE(records[1].scenario().scenario_id().empty());
}

TEST_F(audit_test, a_cancel_leaves_one_record_and_so_does_the_run_it_ends) {
  auto stub = v1::ScenarioService::NewStub(channel_);
  auto run = start_long_scenario(*stub, planner_token);
  ASSERT_TRUE(run.started);
  auto& reader = run.reader;
  v1::ScenarioProgress m = run.first;
  v1::CancelScenarioRequest cancel;
  cancel.set_scenario_id(m.scenario_id());
  v1::CancelScenarioResponse response;
  auto cc = call(admin_token);
  ASSERT_TRUE(stub->CancelScenario(cc.get(), cancel, &response).ok());
  while (reader->Read(&m)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  auto cn = call(planner_token);
  cancel.set_scenario_id("no-such-run");
  EXPECT_EQ(stub->CancelScenario(cn.get(), cancel, &response).error_code(), grpc::StatusCode::NOT_FOUND);

  const auto cancels = audit_records_of(*store_, "/CancelScenario");
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[0].caller(), "root");
  EXPECT_EQ(cancels[0].role(), "admin");
  EXPECT_EQ(cancels[0].outcome_code(), "OK");
  EXPECT_EQ(cancels[0].scenario().scenario_id(), m.scenario_id());
  EXPECT_EQ(cancels[0].scenario().final_state(), "cancelled");
  EXPECT_EQ(cancels[1].caller(), "planning");
  EXPECT_EQ(cancels[1].outcome_code(), "NOT_FOUND");
  const auto runs = audit_records_of(*store_, "/RunScenario");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].scenario().final_state(), "cancelled");
}

// One of each read call; returns once the server has finished them all (WatchTwins ends when the
// server notices the deadline, so it is waited for in the trail).
void read_everything(const std::shared_ptr<grpc::Channel>& channel,
                     const std::function<std::unique_ptr<grpc::ClientContext>(const char*)>& call) {
  auto stub = v1::TwinService::NewStub(channel);
  v1::GetTwinRequest get;
  get.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  get.mutable_twin()->set_id("1-2");
  v1::Twin twin;
  EXPECT_TRUE(stub->GetTwin(call(viewer_token).get(), get, &twin).ok());
  v1::QueryTwinsRequest query;
  query.set_page_size(5);
  v1::QueryTwinsResponse found;
  EXPECT_TRUE(stub->QueryTwins(call(viewer_token).get(), query, &found).ok());
  v1::GetHistoryRequest history;
  *history.mutable_twin() = get.twin();
  v1::GetHistoryResponse entries;
  EXPECT_TRUE(stub->GetHistory(call(viewer_token).get(), history, &entries).ok());
  auto watch_context = call(viewer_token);
  watch_context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::WatchTwinsRequest watch;
  watch.set_send_initial_state(true);
  watch.mutable_filter()->mutable_predicate()->set_segment_status(v1::SEGMENT_STATUS_OPEN);
  auto reader = stub->WatchTwins(watch_context.get(), watch);
  v1::TwinChange change;
  while (reader->Read(&change)) {
  }
  reader->Finish();
}

TEST_F(audit_test, reads_are_recorded_only_when_configured_one_record_per_read) {
  ASSERT_FALSE(context_->audit.reads_audited()) << "off by default";
  read_everything(channel_, [this](const char* t) { return call(t); });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the watch handler ends within 500 ms
  EXPECT_TRUE(audit_records_of(*store_, "TwinService").empty());

  context_->audit.set_reads_audited(true);
  read_everything(channel_, [this](const char* t) { return call(t); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (audit_records_of(*store_, "/WatchTwins").empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const char* method : {"/GetTwin", "/QueryTwins", "/GetHistory", "/WatchTwins"}) {
    const auto records = audit_records_of(*store_, std::string("/citytwin.v1.TwinService") + method);
    ASSERT_EQ(records.size(), 1u) << method;
    EXPECT_EQ(records[0].caller(), "ops-screen") << method;
    EXPECT_TRUE(records[0].has_read_access()) << method;
  }
  EXPECT_EQ(audit_records_of(*store_, "/GetTwin")[0].read_access().items(), 1u);
  EXPECT_EQ(audit_records_of(*store_, "/QueryTwins")[0].read_access().items(), 5u);
  EXPECT_GT(audit_records_of(*store_, "/WatchTwins")[0].read_access().items(), 5u);
  EXPECT_EQ(audit_records_of(*store_, "/WatchTwins")[0].outcome_code(), "CANCELLED");
}

TEST_F(audit_test, read_audit_is_admin_only_and_filters_and_pages) {
  const auto now = epoch_ms_now();
  for (std::uint64_t s = 1; s <= 5; ++s) ingest({batch_of("loops", s, {detector("1-2", now - 1000, 40)})});
  auto stub = v1::AuditService::NewStub(channel_);
  v1::ReadAuditRequest request;
  v1::ReadAuditResponse response;
  for (const char* token : {feed_token, viewer_token, planner_token}) {
    auto c = call(token);
    EXPECT_EQ(stub->ReadAudit(c.get(), request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
  }
  // The refusals are recorded, also with read auditing off.
  const auto refusals = audit_records_of(*store_, "/citytwin.v1.AuditService/ReadAudit");
  ASSERT_EQ(refusals.size(), 3u);
  EXPECT_EQ(refusals[2].caller(), "planning");
  EXPECT_EQ(refusals[2].outcome_code(), "PERMISSION_DENIED");

  request.set_caller("loop-detectors");
  request.set_method("IngestService");
  request.set_page_size(2);
  std::vector<std::uint64_t> sequences;
  do {
    auto c = call(admin_token);
    response.Clear();
    ASSERT_TRUE(stub->ReadAudit(c.get(), request, &response).ok());
    for (const auto& r : response.records()) {
      EXPECT_EQ(r.caller(), "loop-detectors");
      sequences.push_back(r.ingest_batch().sequence());
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(sequences, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(audit_records_of(*store_, "ReadAudit").size(), 3u) << "admin reads are not recorded with read auditing off";

  request.set_page_token("garbage");
  auto c = call(admin_token);
  EXPECT_EQ(stub->ReadAudit(c.get(), request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_token("");
  request.set_from_time_ms(now + 10'000'000);
  request.set_to_time_ms(now);
  auto c2 = call(admin_token);
  EXPECT_EQ(stub->ReadAudit(c2.get(), request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(audit_test, records_survive_reopening_the_store) {
  ingest({batch_of("loops", 1, {detector("1-2", epoch_ms_now() - 1000, 40)})});
  server_.reset();  // the server and everything writing to the store stop first
  context_.reset();
  store_.reset();
  store_options storage;
  storage.directory = dir_ / "store";
  store_ = twin_store::open(storage);
  const auto records = audit_records_of(*store_, "Ingest");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].caller(), "loop-detectors");
  EXPECT_EQ(records[0].ingest_batch().sequence(), 1u);
}

}  // namespace
}  // namespace citytwin::testing
