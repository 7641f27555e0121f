// The HTTP gateway on a loopback port beside a real gRPC front door: the page, roles, the state a closure
// sent through gRPC produces, the event stream, live counters and a scenario run (and its audit records).

#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/http/http_gateway.hpp"
#include "tests/engine/frontdoor/audit_records.hpp"
#include "tests/engine/frontdoor/frontdoor_fixture.hpp"

namespace citytwin::testing {
namespace {

using json = nlohmann::json;

v1::IngestBatch batch(std::uint64_t sequence, std::vector<v1::Reading> readings) {
  v1::IngestBatch b;
  b.set_source("http-test");
  b.set_sequence(sequence);
  for (auto& r : readings) *b.add_readings() = std::move(r);
  return b;
}

class http_gateway_test : public frontdoor_fixture {
 protected:
  void SetUp() override {
    frontdoor_fixture::SetUp();
    examples_ = dir_ / "examples";
    std::filesystem::create_directories(examples_);
    std::ofstream(examples_ / "short_closure.json") << R"({
      "schema_version": 1, "name": "short closure", "city": "data/tntp/SiouxFalls", "horizon": "10m",
      "demand_scale": 0.1, "kpis": ["trips_completed", "total_delay"],
      "variants": [{"name": "10-15 closed", "interventions": [{"at": "0s", "close": "10-15"}]}]})";
    gateway_ = std::make_unique<http_gateway>(*context_, http_options{"127.0.0.1:0", {}, examples_.string()});
    gateway_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", gateway_->port());
    client_->set_read_timeout(20, 0);
  }
  void TearDown() override {
    gateway_.reset();
    frontdoor_fixture::TearDown();
  }

  httplib::Headers bearer(const char* token) { return {{"Authorization", std::string("Bearer ") + token}}; }

  json get_json(const std::string& path, const char* token = viewer_token, int expected_status = 200) {
    auto result = client_->Get(path.c_str(), bearer(token));
    EXPECT_TRUE(result) << path;
    if (!result) return {};
    EXPECT_EQ(result->status, expected_status) << path << ": " << result->body;
    return json::parse(result->body);
  }

  std::filesystem::path examples_;
  std::unique_ptr<http_gateway> gateway_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(http_gateway_test, serves_the_page_and_its_assets_without_a_token) {
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("/assets/dashboard.js"), std::string::npos);
  auto script = client_->Get("/assets/dashboard.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("EventSource"), std::string::npos);
  auto missing = client_->Get("/assets/nothing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(http_gateway_test, the_api_needs_a_viewer_token_as_the_grpc_services_do) {
  auto anonymous = client_->Get("/api/city");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(json::parse(anonymous->body)["code"], "UNAUTHENTICATED");
  EXPECT_EQ(get_json("/api/city", feed_token, 403)["code"], "PERMISSION_DENIED");
  EXPECT_EQ(get_json("/api/city", "not-a-known-token-at-all", 401)["error"], "unknown token");
  // Browsers cannot put headers on an EventSource, so a query parameter works too.
  auto by_parameter = client_->Get((std::string("/api/state?access_token=") + viewer_token).c_str());
  ASSERT_TRUE(by_parameter);
  EXPECT_EQ(by_parameter->status, 200);
}

TEST_F(http_gateway_test, the_city_geometry_lists_every_segment_with_its_end_points) {
  const json city = get_json("/api/city");
  ASSERT_EQ(city["segments"].size(), city_->graph.segments.size());
  const auto& spec = city_->graph.segments[7];
  const json& seventh = city["segments"][7];
  EXPECT_EQ(seventh["id"], context_->catalog.directory.id_of(7));
  EXPECT_DOUBLE_EQ(seventh["from"][0].get<double>(), city_->graph.nodes[spec.from].x);
  EXPECT_DOUBLE_EQ(seventh["to"][1].get<double>(), city_->graph.nodes[spec.to].y);
  EXPECT_EQ(city["coordinate_system"], "planar");
  EXPECT_TRUE(city["buildings"].empty());  // no --grid
}

TEST_F(http_gateway_test, a_closure_sent_through_grpc_shows_in_the_state_the_twin_and_its_history) {
  const auto acks = ingest({batch(1, {event("10-15", epoch_ms_now(), v1::SegmentEvent::KIND_CLOSED)})});
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_EQ(acks[0].accepted(), 1u);
  wait_for_fresh_view();
  const auto index = std::get<segment_id>(context_->catalog.directory.resolve("10-15"));
  const json state = get_json("/api/state");
  EXPECT_EQ(state["segments"]["closed"][index], 1);
  int closed = 0;
  for (const auto& c : state["segments"]["closed"]) closed += c.get<int>();
  EXPECT_EQ(closed, 1);
  const json twin = get_json("/api/twins/segment/10-15");
  EXPECT_EQ(twin["road_segment"]["status"], "SEGMENT_STATUS_CLOSED");
  const json history = get_json("/api/twins/segment/10-15/history");
  ASSERT_EQ(history["entries"].size(), 1u);
  EXPECT_EQ(history["entries"][0]["reading"]["segment_event"]["kind"], "KIND_CLOSED");
}

TEST_F(http_gateway_test, bad_twin_requests_get_the_grpc_reasons_with_http_statuses) {
  EXPECT_EQ(get_json("/api/twins/segment/99-98", viewer_token, 404)["code"], "NOT_FOUND");
  EXPECT_NE(get_json("/api/twins/bridge/1", viewer_token, 400)["error"].get<std::string>().find("unknown twin kind"),
            std::string::npos);
  EXPECT_EQ(get_json("/api/twins/building/0", viewer_token, 404)["error"],
            "this twin runs no power grid (start the server with --grid)");
  EXPECT_EQ(get_json("/api/twins/segment/1-2/history?start_ms=soon", viewer_token, 400)["error"],
            "query parameter 'start_ms' must be a non-negative integer");
}

TEST_F(http_gateway_test, reads_of_twin_data_are_audited_as_over_grpc_only_when_configured) {
  get_json("/api/twins/segment/10-15");
  EXPECT_TRUE(audit_records_of(*store_, "GET /api/").empty()) << "off by default";
  context_->audit.set_reads_audited(true);
  get_json("/api/twins/segment/10-15");
  get_json("/api/twins/segment/10-15/history?start_ms=0");
  get_json("/api/state");
  get_json("/api/twins/segment/99-98", viewer_token, 404);
  get_json("/api/state", feed_token, 403);
  get_json("/api/city");  // the geometry is not twin data
  std::string received;
  client_->Get("/api/events", bearer(viewer_token), [&](const char* data, std::size_t size) {
    received.append(data, size);
    return received.find("event: state\n") == std::string::npos;
  });
  const auto records = audit_records_of(*store_, "GET /api/");
  ASSERT_EQ(records.size(), 6u);
  for (const auto& r : records) {
    EXPECT_EQ(r.transport(), "http") << r.method();
    EXPECT_TRUE(r.has_read_access()) << r.method();
  }
  EXPECT_EQ(records[0].method(), "GET /api/twins/segment/10-15");
  EXPECT_EQ(records[0].caller(), "ops-screen");
  EXPECT_EQ(records[0].read_access().target(), "TWIN_KIND_ROAD_SEGMENT 10-15");
  EXPECT_EQ(records[0].read_access().items(), 1u);
  EXPECT_EQ(records[1].read_access().target(), "history of TWIN_KIND_ROAD_SEGMENT 10-15 [0, 0)");
  EXPECT_EQ(records[2].read_access().items(), city_->graph.segments.size());
  EXPECT_EQ(records[3].outcome_code(), "NOT_FOUND");
  EXPECT_EQ(records[3].read_access().items(), 0u);
  EXPECT_EQ(records[4].outcome_code(), "PERMISSION_DENIED");
  EXPECT_EQ(records[4].caller(), "loop-detectors");
  EXPECT_EQ(records[5].method(), "GET /api/events");
  EXPECT_EQ(records[5].read_access().target(), "state stream of every segment");
}

TEST_F(http_gateway_test, live_counters_count_the_readings_logged) {
  const json before = get_json("/api/stats");
  const std::int64_t now = epoch_ms_now();
  ingest({batch(1, {detector("1-2", now - 1000, 40), detector("2-1", now - 1000, 35), detector("1-3", now - 1000, 50)})});
  const json after = get_json("/api/stats");
  EXPECT_EQ(std::stoll(after["readings_logged"].get<std::string>()) -
                std::stoll(before["readings_logged"].get<std::string>()),
            3);
  EXPECT_GT(after["readings_per_second"].get<double>(), 0);
  EXPECT_EQ(after["road_segments"], city_->graph.segments.size());
}

TEST_F(http_gateway_test, the_event_stream_sends_whole_states_and_counters) {
  std::string received;
  auto result = client_->Get("/api/events", bearer(viewer_token), [&](const char* data, std::size_t size) {
    received.append(data, size);
    return !(received.find("event: state\n") != std::string::npos && received.find("event: stats\n") != std::string::npos);
  });
  ASSERT_NE(received.find("event: state\ndata: {"), std::string::npos) << received.substr(0, 200);
  const auto start = received.find("event: state\ndata: ") + std::string("event: state\ndata: ").size();
  const json state = json::parse(received.substr(start, received.find('\n', start) - start));
  EXPECT_EQ(state["segments"]["speed_kmh"].size(), city_->graph.segments.size());
}

TEST_F(http_gateway_test, a_planner_runs_an_example_scenario_and_reads_its_report) {
  const json examples = get_json("/api/scenarios/examples");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0]["name"], "short closure");
  const std::string body = R"({"example": "short_closure.json"})";
  auto viewer = client_->Post("/api/scenarios/runs", bearer(viewer_token), body, "application/json");
  ASSERT_TRUE(viewer);
  EXPECT_EQ(viewer->status, 403);
  auto broken = client_->Post("/api/scenarios/runs", bearer(planner_token), R"({"schema_version": 1, "horizon": 5})",
                              "application/json");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400) << broken->body;
  auto started = client_->Post("/api/scenarios/runs", bearer(planner_token), body, "application/json");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  const std::string status_path = json::parse(started->body)["status"];
  json run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    run = get_json(status_path);
  } while (run["state"] == "running" && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(run["state"], "done") << run.dump();
  ASSERT_EQ(run["report"]["branches"].size(), 2u);
  EXPECT_EQ(run["report"]["branches"][1]["name"], "10-15 closed");
  EXPECT_GT(run["report"]["branches"][0]["kpi"]["trips_completed"].get<double>(), 0);
  EXPECT_FALSE(run["progress"].empty());
  EXPECT_EQ(get_json("/api/scenarios/runs/999", viewer_token, 404)["code"], "NOT_FOUND");

  // Each POST left one audit record: the denied one, the broken one and the run.
  const auto records = audit_records_of(*store_, "POST /api/scenarios/runs");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].caller(), "ops-screen");
  EXPECT_EQ(records[0].outcome_code(), "PERMISSION_DENIED");
  EXPECT_EQ(records[1].caller(), "planning");
  EXPECT_EQ(records[1].outcome_code(), "INVALID_ARGUMENT");
  EXPECT_EQ(records[2].caller(), "planning");
  EXPECT_EQ(records[2].transport(), "http");
  EXPECT_EQ(records[2].outcome_code(), "OK");
  EXPECT_EQ(records[2].scenario().example_name(), "short_closure.json");
  EXPECT_EQ(records[2].scenario().name(), "short closure");
  EXPECT_EQ(records[2].scenario().scenario_id(), run["id"]);
  EXPECT_EQ(records[2].scenario().branches_size(), 2);
}

std::string start_error(http_gateway& gateway) {
  try {
    gateway.start();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "started";
}

TEST_F(http_gateway_test, refuses_to_listen_off_loopback_in_plaintext_or_on_a_taken_port) {
  http_gateway plaintext(*context_, http_options{"0.0.0.0:0", {}, examples_.string()});
  EXPECT_EQ(start_error(plaintext),
            "refusing to serve HTTP in plaintext on 0.0.0.0:0: give --tls-cert and --tls-key, or listen on 127.0.0.1");
  // A second server on the same port must fail rather than share it.
  http_gateway taken(*context_, http_options{"127.0.0.1:" + std::to_string(gateway_->port()), {}, examples_.string()});
  EXPECT_NE(start_error(taken).find("cannot listen for HTTP on 127.0.0.1:"), std::string::npos);
  http_gateway malformed(*context_, http_options{"127.0.0.1", {}, examples_.string()});
  EXPECT_THROW(malformed.start(), std::invalid_argument);
}

}  // namespace
}  // namespace citytwin::testing
