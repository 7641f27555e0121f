// Every RPC against every role: no token and unknown tokens are UNAUTHENTICATED, a role that may
// not make the call gets PERMISSION_DENIED, and the rest get through.

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "citytwin/v1/audit.grpc.pb.h"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {

using role_matrix = frontdoor_fixture;

TEST_F(role_matrix, every_rpc_checks_the_callers_role) {
  auto twins = v1::TwinService::NewStub(channel_);
  auto feeds = v1::IngestService::NewStub(channel_);
  auto scenarios = v1::ScenarioService::NewStub(channel_);
  auto audit = v1::AuditService::NewStub(channel_);
  using rpc = std::function<grpc::Status(grpc::ClientContext*)>;
  const std::map<std::string, rpc> rpcs{
      {"Ingest",
       [&](grpc::ClientContext* c) {
         auto stream = feeds->Ingest(c);
         v1::IngestBatch batch;
         batch.set_source("matrix");
         batch.set_sequence(static_cast<std::uint64_t>(epoch_ms_now()));
         v1::IngestAck ack;
         if (stream->Write(batch)) stream->Read(&ack);
         stream->WritesDone();
         return stream->Finish();
       }},
      {"GetTwin",
       [&](grpc::ClientContext* c) {
         v1::GetTwinRequest r;
         r.mutable_twin()->set_id("1-2");
         v1::Twin t;
         return twins->GetTwin(c, r, &t);
       }},
      {"QueryTwins",
       [&](grpc::ClientContext* c) {
         v1::QueryTwinsResponse out;
         return twins->QueryTwins(c, v1::QueryTwinsRequest{}, &out);
       }},
      {"WatchTwins",
       [&](grpc::ClientContext* c) {
         // Long enough that a loaded machine refuses a caller before the deadline ends the call.
         c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(4000));
         auto reader = twins->WatchTwins(c, v1::WatchTwinsRequest{});
         v1::TwinChange change;
         while (reader->Read(&change)) {
         }
         const auto s = reader->Finish();
         // A watch that was let in runs until the deadline.
         return s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? grpc::Status::OK : s;
       }},
      {"GetHistory",
       [&](grpc::ClientContext* c) {
         v1::GetHistoryRequest r;
         r.mutable_twin()->set_id("1-2");
         v1::GetHistoryResponse out;
         return twins->GetHistory(c, r, &out);
       }},
      {"GetStats",
       [&](grpc::ClientContext* c) {
         v1::TwinStats out;
         return twins->GetStats(c, v1::GetStatsRequest{}, &out);
       }},
      {"RunScenario",
       [&](grpc::ClientContext* c) {
         v1::RunScenarioRequest r;
         r.set_example_name("siouxfalls_bridge_closure");
         auto reader = scenarios->RunScenario(c, r);
         v1::ScenarioProgress first;
         if (!reader->Read(&first)) return reader->Finish();  // refused before any message
         c->TryCancel();  // one message shows the run was let in; the cancel ends it
         while (reader->Read(&first)) {
         }
         const auto s = reader->Finish();
         return s.error_code() == grpc::StatusCode::CANCELLED ? grpc::Status::OK : s;
       }},
      {"CancelScenario",
       [&](grpc::ClientContext* c) {
         v1::CancelScenarioRequest r;
         r.set_scenario_id("scenario-none");
         v1::CancelScenarioResponse out;
         const auto s = scenarios->CancelScenario(c, r, &out);
         // Let in, the call looks the id up and finds nothing.
         return s.error_code() == grpc::StatusCode::NOT_FOUND ? grpc::Status::OK : s;
       }},
      {"ReadAudit",
       [&](grpc::ClientContext* c) {
         v1::ReadAuditResponse out;
         return audit->ReadAudit(c, v1::ReadAuditRequest{}, &out);
       }},
  };
  const std::map<std::string, std::set<std::string>> allowed{
      {"feed", {"Ingest"}},
      {"viewer", {"GetTwin", "QueryTwins", "WatchTwins", "GetHistory", "GetStats"}},
      {"planner", {"GetTwin", "QueryTwins", "WatchTwins", "GetHistory", "GetStats", "RunScenario", "CancelScenario"}},
      {"admin", {"Ingest", "GetTwin", "QueryTwins", "WatchTwins", "GetHistory", "GetStats", "RunScenario",
                 "CancelScenario", "ReadAudit"}},
  };
  const std::map<std::string, const char*> tokens{
      {"feed", feed_token}, {"viewer", viewer_token}, {"planner", planner_token}, {"admin", admin_token}};
  for (const auto& [name, call_rpc] : rpcs) {
    {
      auto c = call(nullptr);
      EXPECT_EQ(call_rpc(c.get()).error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << " without a token";
    }
    {
      auto c = call("not-a-valid-token-at-all");
      EXPECT_EQ(call_rpc(c.get()).error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << " with a bad token";
    }
    for (const auto& [role_name, token] : tokens) {
      auto c = call(token);
      const grpc::Status s = call_rpc(c.get());
      if (allowed.at(role_name).count(name)) {
        EXPECT_TRUE(s.ok()) << name << " as " << role_name << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name << " as " << role_name;
        EXPECT_NE(s.error_message().find("role " + role_name), std::string::npos) << s.error_message();
      }
    }
  }
}

TEST(access_control_file, errors_name_the_entry_and_field) {
  auto dir = test_temp_dir();
  auto expect_error = [&](const std::string& text, const std::string& expected) {
    const auto path = write_file(dir / "tokens.json", text);
    try {
      access_control::from_file(path);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  expect_error("{", "not valid JSON");
  expect_error("{\"tokens\": 3}", "expected {\"tokens\"");
  expect_error(R"({"tokens": [{"token": "0123456789abcdef", "identity": "x", "role": "root"}]})", "tokens[0]: role 'root'");
  expect_error(R"({"tokens": [{"token": "short", "identity": "x", "role": "viewer"}]})", "at least 16 characters");
  expect_error(R"({"tokens": [{"token": "0123456789abcdef", "role": "viewer"}]})", "field 'identity'");
  expect_error(R"({"tokens": [{"token": "0123456789abcdef", "identity": "a", "role": "viewer"},
                              {"token": "0123456789abcdef", "identity": "b", "role": "admin"}]})", "tokens[1]: the same token");
}

}  // namespace citytwin::testing
