// The live twin on a cluster, black box: three `citytwin node --serve` processes on loopback ports
// run Sioux Falls paced to the wall clock, each with a gRPC front door. Readings ingested at node 0
// for a segment that lives on node 2 reach that segment, node 0's published view gathers every
// segment from every node, the other nodes answer from the owning node, ingest through node 0 and
// read its store and views, and a lost node makes its segments UNAVAILABLE and ends the live run
// retryably.

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "citytwin/v1/forecast.grpc.pb.h"
#include "citytwin/v1/twin.grpc.pb.h"
#include "engine/cluster/stored_assignment.hpp"
#include "engine/frontdoor/segment_directory.hpp"
#include "engine/import/city_loader.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string sioux = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls";
constexpr int node_count = 3;
constexpr int retryable_exit = 75;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Polls `check` every 100 ms until it holds or `timeout` passes.
template <class Check>
bool eventually(Check check, std::chrono::seconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return check();
}

// Three live nodes; node 0 serves gRPC on a free port (a minute of simulated time per wall second).
struct live_cluster {
  fs::path dir = test_temp_dir();
  std::vector<std::uint16_t> ports{free_port(), free_port(), free_port()};
  child_process nodes[node_count];
  std::vector<int> grpc_ports = std::vector<int>(node_count, 0);
  loaded_city city = load_city(sioux);
  segment_directory directory{city.graph};
  std::vector<std::uint32_t> node_of;

  std::vector<std::vector<std::string>> commands = std::vector<std::vector<std::string>>(node_count);

  explicit live_cluster(const std::vector<std::string>& extra = {}, bool start_now = true) {
    std::string list;
    for (int i = 0; i < node_count; ++i)
      list += (i ? ", " : "") + std::string("{\"id\": ") + std::to_string(i) + ", \"host\": \"127.0.0.1\", \"port\": " +
              std::to_string(ports[i]) + "}";
    const auto config = write_file(dir / "cluster.json", "{\"city\": \"" + sioux + "\", \"connect_timeout_s\": 60, \"nodes\": [" +
                                                             list + "], \"scenario\": {\"seed\": 7, \"demand_scale\": 0.1}}");
    for (int i = node_count; i-- > 0;) {
      const auto node_dir = dir / ("node" + std::to_string(i));
      commands[i] = {CITYTWIN_BINARY, "node", "--serve", "--cluster", config, "--id", std::to_string(i), "--data-dir",
                     node_dir.string(), "--grpc", "127.0.0.1:0", "--port-file", (dir / ("grpc" + std::to_string(i) + ".port")).string(),
                     "--no-sync"};
      if (std::find(extra.begin(), extra.end(), "--time-scale") == extra.end()) commands[i].insert(commands[i].end(), {"--time-scale", "60"});
      if (std::find(extra.begin(), extra.end(), "--forecast") == extra.end()) commands[i].insert(commands[i].end(), {"--forecast", "off"});
      commands[i].insert(commands[i].end(), extra.begin(), extra.end());
      if (start_now) start(i);
    }
  }

  // Starts every node (node 0 last), for a cluster constructed with start_now = false.
  void start_all() {
    for (int i = node_count; i-- > 0;) start(i);
  }

  // Node i with its command; its log is appended to.
  void start(int i) {
    fs::remove(dir / ("grpc" + std::to_string(i) + ".port"));
    nodes[i].start(commands[i], log(i));
  }
  fs::path log(int i) const { return dir / ("node" + std::to_string(i) + ".log"); }
  std::string log_text(int i) const {
    std::ifstream in(log(i));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // Waits for every node's front door; false (with the log in the failure) if one does not come up.
  ::testing::AssertionResult serving() {
    for (int i = 0; i < node_count; ++i) {
      const auto port = wait_for_number_file(dir / ("grpc" + std::to_string(i) + ".port"), nodes[i], 120s);
      if (!port) return ::testing::AssertionFailure() << "node " << i << " did not serve:\n" << nodes[i].log_tail();
      grpc_ports[i] = *port;
    }
    auto stored = load_assignment(dir / "node0");
    if (!stored) return ::testing::AssertionFailure() << "node 0 stored no assignment";
    node_of = stored->part_of;
    return ::testing::AssertionSuccess();
  }

  std::shared_ptr<grpc::Channel> channel(int node) const {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_ports[node]), grpc::InsecureChannelCredentials());
  }

  // The segment of `node` with the largest flow capacity: an arterial, busy at any demand.
  segment_id widest_segment_on(std::uint32_t node) const {
    segment_id widest = no_segment;
    for (segment_id s = 0; s < node_of.size(); ++s)
      if (node_of[s] == node && (widest == no_segment || city.graph.segments[s].capacity_veh_per_h > city.graph.segments[widest].capacity_veh_per_h))
        widest = s;
    return widest;
  }

  segment_id first_segment_on(std::uint32_t node) const {
    for (segment_id s = 0; s < node_of.size(); ++s)
      if (node_of[s] == node) return s;
    return no_segment;
  }
};

v1::IngestAck ingest(const std::shared_ptr<grpc::Channel>& channel, const v1::IngestBatch& batch, grpc::Status* status) {
  auto stub = v1::IngestService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Ingest(&context);
  v1::IngestAck ack;
  const bool answered = stream->Write(batch) && stream->Read(&ack);
  stream->WritesDone();
  *status = stream->Finish();
  if (!answered && status->ok()) *status = grpc::Status(grpc::StatusCode::UNKNOWN, "no ack");
  return ack;
}

// A detector reading of `speed_kmh` and a closure of segment `id`, both stamped now.
v1::IngestBatch reading_and_closure(const std::string& id, const std::string& source, double speed_kmh) {
  v1::IngestBatch batch;
  batch.set_source(source);
  batch.set_sequence(1);
  const auto now = wall_ms();
  auto* d = batch.add_readings()->mutable_traffic_detector();
  d->set_segment_id(id);
  d->set_detector_id("loop-" + id);
  d->set_observe_time_ms(now);
  d->set_interval_ms(60'000);
  d->set_vehicle_count(12);
  d->set_mean_speed_kmh(speed_kmh);
  d->set_occupancy(0.2);
  auto* e = batch.add_readings()->mutable_segment_event();
  e->set_segment_id(id);
  e->set_event_time_ms(now);
  e->set_kind(v1::SegmentEvent::KIND_CLOSED);
  e->set_cause("live cluster test");
  return batch;
}

grpc::Status get_twin(const std::shared_ptr<grpc::Channel>& channel, const std::string& id, v1::Twin* twin) {
  auto stub = v1::TwinService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::GetTwinRequest request;
  request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  request.mutable_twin()->set_id(id);
  return stub->GetTwin(&context, request, twin);
}

grpc::Status get_history(const std::shared_ptr<grpc::Channel>& channel, const std::string& id, v1::GetHistoryResponse* response) {
  auto stub = v1::TwinService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 20s);
  v1::GetHistoryRequest request;
  request.mutable_twin()->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  request.mutable_twin()->set_id(id);
  return stub->GetHistory(&context, request, response);
}

v1::GetHistoryResponse history(const std::shared_ptr<grpc::Channel>& channel, const std::string& id) {
  v1::GetHistoryResponse response;
  const auto status = get_history(channel, id, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

v1::TwinStats stats(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::TwinService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 20s);
  v1::TwinStats response;
  const auto status = stub->GetStats(&context, {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

std::vector<v1::Twin> all_segments(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::TwinService::NewStub(channel);
  grpc::ClientContext context;
  v1::QueryTwinsRequest request;
  request.mutable_filter()->add_kinds(v1::TWIN_KIND_ROAD_SEGMENT);
  request.set_page_size(1000);
  v1::QueryTwinsResponse response;
  if (!stub->QueryTwins(&context, request, &response).ok()) return {};
  return {response.twins().begin(), response.twins().end()};
}

bool closed_with_speed(const v1::Twin& twin, double speed_kmh) {
  const auto& state = twin.road_segment();
  return state.status() == v1::SEGMENT_STATUS_CLOSED && state.has_last_detector_reading() &&
         std::abs(state.last_detector_reading().mean_speed_kmh() - speed_kmh) < 1e-6;
}


// The twin's clock now, by node 0's newest view: (epoch ms of simulated time 0, simulated ms).
std::optional<std::pair<std::int64_t, sim_time>> twin_clock(const live_cluster& cluster, const std::string& id) {
  v1::Twin twin;
  if (!get_twin(cluster.channel(0), id, &twin).ok()) return std::nullopt;
  const std::int64_t epoch0 = twin.road_segment().counter_start_time_ms();
  return std::pair{epoch0, twin.update_time_ms() - epoch0};
}

// Detector readings, two closures with their reopenings and a capacity cut on arterials of nodes 1
// and 2, each timed (simulated time after `epoch0`) between 2:25 and 4:30, ahead of the twin's clock.
v1::IngestBatch timed_inputs(const live_cluster& cluster, std::int64_t epoch0) {
  const std::string on_1 = cluster.directory.id_of(cluster.widest_segment_on(1));
  const std::string on_2 = cluster.directory.id_of(cluster.widest_segment_on(2));
  v1::IngestBatch batch;
  batch.set_source("timed-feed");
  batch.set_sequence(1);
  for (int i = 0; i < 7; ++i) {
    auto* d = batch.add_readings()->mutable_traffic_detector();
    d->set_segment_id(i % 2 ? on_1 : on_2);
    d->set_detector_id("loop-" + std::to_string(i % 2));
    d->set_observe_time_ms(epoch0 + (150 + 20 * i) * ms_per_second);
    d->set_interval_ms(60'000);
    d->set_vehicle_count(5 + 3 * i);
    d->set_mean_speed_kmh(12.0 + 4 * i);
    d->set_occupancy(0.1);
  }
  auto event = [&](const std::string& id, int at_s, v1::SegmentEvent::Kind kind, double factor) {
    auto* e = batch.add_readings()->mutable_segment_event();
    e->set_segment_id(id);
    e->set_event_time_ms(epoch0 + at_s * ms_per_second);
    e->set_kind(kind);
    if (kind == v1::SegmentEvent::KIND_CAPACITY_CHANGED) e->set_capacity_factor(factor);
    e->set_cause("timed feed");
  };
  event(on_1, 145, v1::SegmentEvent::KIND_CLOSED, 0);  // before checkpoint 3 ...
  event(on_1, 190, v1::SegmentEvent::KIND_REOPENED, 0);  // ... and reopened between it and the kill
  event(on_2, 185, v1::SegmentEvent::KIND_CLOSED, 0);  // between checkpoint 3 and the kill
  event(on_1, 200, v1::SegmentEvent::KIND_CAPACITY_CHANGED, 0.4);
  event(on_2, 260, v1::SegmentEvent::KIND_REOPENED, 0);
  return batch;
}

// Runs a live cluster to 6:00 of simulated time with the timed inputs sent at its start; with
// `lost_node` 0 or 2, that node is killed 15 s of simulated time after checkpoint 3 and started again
// (node 0 lost: every other node exits 75 and all are started again). Returns node 0's report and
// puts node 0's line about the rollback or the resume in `recovery_note`.
nlohmann::json run_with_timed_inputs(std::optional<int> lost_node, std::string* recovery_note) {
  live_cluster cluster({"--time-scale", "12", "--checkpoint-every", "1m", "--rejoin-timeout", "60", "--until", "6m"}, false);
  cluster.commands[0].insert(cluster.commands[0].end(), {"--report", (cluster.dir / "report.json").string()});
  cluster.start_all();
  EXPECT_TRUE(cluster.serving());
  const std::string on_2 = cluster.directory.id_of(cluster.first_segment_on(2));
  std::optional<std::pair<std::int64_t, sim_time>> clock;
  EXPECT_TRUE(eventually([&] { return (clock = twin_clock(cluster, on_2)).has_value(); })) << cluster.log_text(0);
  if (!clock) return {};
  grpc::Status status;
  const auto ack = ingest(cluster.channel(0), timed_inputs(cluster, clock->first), &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.accepted(), 12u) << ack.ShortDebugString();
  const auto after = twin_clock(cluster, on_2);
  EXPECT_TRUE(after && after->second < 140 * ms_per_second) << "the inputs came too late: the twin's clock was already at "
                                                            << (after ? after->second : -1) << " ms";
  if (lost_node) {
    EXPECT_TRUE(eventually([&] { return cluster.log_text(0).find("checkpoint 3 at t=0:03:00 complete") != std::string::npos; }))
        << cluster.log_text(0);
    EXPECT_TRUE(eventually([&] {
      const auto now = twin_clock(cluster, on_2);
      return now && now->second >= 195 * ms_per_second;
    }));
    cluster.nodes[*lost_node].kill_and_reap();
    std::string expected;
    if (*lost_node == 0) {
      for (int i : {1, 2}) EXPECT_EQ(cluster.nodes[i].wait_exit(60s), std::optional<int>(retryable_exit)) << cluster.log_text(i);
      cluster.start_all();
      expected = "the live twin resumes from checkpoint";
    } else {
      cluster.start(*lost_node);
      expected = "rejoined: every node rolled back";
    }
    EXPECT_TRUE(eventually([&] { return cluster.log_text(0).find(expected) != std::string::npos; }))
        << cluster.log_text(0) << "\nnode 2:\n" << cluster.log_text(2);
    const auto log = cluster.log_text(0);
    const auto at = log.find(expected);
    if (at != std::string::npos) *recovery_note = log.substr(at, log.find('\n', at) - at);
  }
  for (int i = 0; i < node_count; ++i)
    EXPECT_EQ(cluster.nodes[i].wait_exit(120s), std::optional<int>(0)) << "node " << i << ":\n" << cluster.log_text(i);
  std::ifstream in(cluster.dir / "report.json");
  if (!in) {
    ADD_FAILURE() << "node 0 wrote no report:\n" << cluster.log_text(0);
    return {};
  }
  return nlohmann::json::parse(in);
}

}  // namespace

TEST(live_cluster, readings_at_node_0_reach_a_segment_on_node_2_and_the_view_covers_every_node) {
  live_cluster cluster;
  ASSERT_TRUE(cluster.serving());
  const segment_id on_node_2 = cluster.first_segment_on(2);
  ASSERT_NE(on_node_2, no_segment);
  const std::string id = cluster.directory.id_of(on_node_2);

  grpc::Status status;
  const auto ack = ingest(cluster.channel(0), reading_and_closure(id, "node-0-feed", 17.5), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.accepted(), 2u);
  EXPECT_EQ(ack.rejected_size(), 0);

  // Status and observed speed come from the segment actor on node 2, gathered into node 0's view.
  v1::Twin twin;
  EXPECT_TRUE(eventually([&] { return get_twin(cluster.channel(0), id, &twin).ok() && closed_with_speed(twin, 17.5); }))
      << twin.ShortDebugString() << "\n" << cluster.nodes[0].log_tail();

  // Every node's segments carry traffic in the view: each was published from its own node.
  std::vector<v1::Twin> segments;
  EXPECT_TRUE(eventually([&] {
    segments = all_segments(cluster.channel(0));
    std::vector<bool> busy(node_count, false);
    for (const auto& t : segments) {
      const auto resolved = cluster.directory.resolve(t.id());
      if (const auto* s = std::get_if<segment_id>(&resolved); s && t.road_segment().inflow_count() > 0) busy[cluster.node_of[*s]] = true;
    }
    return busy[0] && busy[1] && busy[2];
  })) << cluster.nodes[0].log_tail();
  EXPECT_EQ(segments.size(), cluster.city.graph.segments.size());

  // Stopping node 0 stops the live twin on every node.
  cluster.nodes[0].signal(SIGTERM);
  EXPECT_EQ(cluster.nodes[0].wait_exit(60s), std::optional<int>(0)) << cluster.nodes[0].log_tail();
  for (int i : {1, 2}) EXPECT_EQ(cluster.nodes[i].wait_exit(60s), std::optional<int>(0)) << cluster.nodes[i].log_tail();
}

TEST(live_cluster, every_node_serves_twins_from_their_owners_and_ingest_through_node_0) {
  live_cluster cluster;
  ASSERT_TRUE(cluster.serving());
  const segment_id on_node_1 = cluster.first_segment_on(1), on_node_2 = cluster.first_segment_on(2);
  ASSERT_NE(on_node_1, no_segment);
  ASSERT_NE(on_node_2, no_segment);
  const std::string id_1 = cluster.directory.id_of(on_node_1), id_2 = cluster.directory.id_of(on_node_2);

  // GetTwin at node 1 for a segment on node 2 answers node 2's state, as new as node 0's view or newer.
  v1::Twin at_0, at_1;
  ASSERT_TRUE(eventually([&] { return get_twin(cluster.channel(1), id_2, &at_1).ok() && at_1.update_time_ms() > 0; }))
      << cluster.nodes[1].log_tail();
  ASSERT_TRUE(get_twin(cluster.channel(0), id_2, &at_0).ok());
  ASSERT_TRUE(get_twin(cluster.channel(1), id_2, &at_1).ok());
  EXPECT_GE(at_1.update_time_ms(), at_0.update_time_ms());
  EXPECT_EQ(at_1.id(), id_2);
  EXPECT_EQ(at_1.road_segment().counter_start_time_ms(), at_0.road_segment().counter_start_time_ms())
      << "node 1 stamps states with node 0's epoch";
  EXPECT_GE(at_1.road_segment().inflow_count(), at_0.road_segment().inflow_count());
  EXPECT_EQ(all_segments(cluster.channel(1)).size(), cluster.city.graph.segments.size());

  // An Ingest at node 2 for a segment on node 1: acked once node 0 stored it, then visible everywhere.
  grpc::Status status;
  const auto ack = ingest(cluster.channel(2), reading_and_closure(id_1, "node-2-feed", 23.5), &status);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << cluster.nodes[2].log_tail();
  EXPECT_EQ(ack.accepted(), 2u);
  EXPECT_EQ(ack.sequence(), 1u);
  const auto stored = history(cluster.channel(0), id_1);
  ASSERT_EQ(stored.entries_size(), 2) << "node 0 stored the forwarded batch before node 2 acked it";
  EXPECT_EQ(stored.entries(0).source(), "node-2-feed");
  // Node 1 reads the history from node 0's store: the same records.
  EXPECT_EQ(history(cluster.channel(1), id_1).SerializeAsString(), stored.SerializeAsString());
  for (int node = 0; node < node_count; ++node) {
    v1::Twin twin;
    EXPECT_TRUE(eventually([&] { return get_twin(cluster.channel(node), id_1, &twin).ok() && closed_with_speed(twin, 23.5); }))
        << "node " << node << ": " << twin.ShortDebugString();
  }
  // The same batch again is a duplicate, applied once.
  const auto again = ingest(cluster.channel(1), reading_and_closure(id_1, "node-2-feed", 23.5), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(history(cluster.channel(0), id_1).entries_size(), 2);
  // GetStats at node 1 gives node 0's store counters.
  const auto stats_0 = stats(cluster.channel(0)), stats_1 = stats(cluster.channel(1));
  EXPECT_EQ(stats_0.readings_logged(), 2u);
  EXPECT_EQ(stats_1.readings_logged(), stats_0.readings_logged());
  EXPECT_EQ(stats_1.batches_written(), stats_0.batches_written());
  EXPECT_EQ(stats_1.duplicate_batches(), 1u);
  EXPECT_EQ(stats_1.road_segments(), cluster.city.graph.segments.size());

  // A watcher at node 1 sees a closure ingested at node 2 for a segment on node 0, from node 0's views.
  {
    const std::string id_0 = cluster.directory.id_of(cluster.first_segment_on(0));
    auto stub = v1::TwinService::NewStub(cluster.channel(1));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 90s);
    v1::WatchTwinsRequest request;
    auto* watched = request.mutable_filter()->add_twins();
    watched->set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
    watched->set_id(id_0);
    request.mutable_filter()->mutable_predicate()->set_segment_status(v1::SEGMENT_STATUS_CLOSED);
    request.set_send_initial_state(true);
    auto watch = stub->WatchTwins(&context, request);
    v1::TwinChange change;
    ASSERT_TRUE(watch->Read(&change)) << watch->Finish().error_message();
    EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_INITIAL_STATE_END) << "the segment is open: no initial state";
    const auto closed = ingest(cluster.channel(2), reading_and_closure(id_0, "node-2-watched", 19.5), &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(closed.accepted(), 2u);
    ASSERT_TRUE(watch->Read(&change)) << watch->Finish().error_message();
    EXPECT_EQ(change.type(), v1::TwinChange::CHANGE_TYPE_ENTERED);
    EXPECT_EQ(change.twin().id(), id_0);
    EXPECT_EQ(change.twin().road_segment().status(), v1::SEGMENT_STATUS_CLOSED);
    context.TryCancel();
    EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }

  // Node 0 hangs: node 1's GetHistory answers UNAVAILABLE, naming node 0, once the timeout passed.
  cluster.nodes[0].signal(SIGSTOP);
  v1::GetHistoryResponse unanswered;
  const auto hung = get_history(cluster.channel(1), id_1, &unanswered);
  EXPECT_EQ(hung.error_code(), grpc::StatusCode::UNAVAILABLE) << hung.error_message();
  EXPECT_NE(hung.error_message().find("node 0"), std::string::npos) << hung.error_message();
  cluster.nodes[0].kill_and_reap();
  for (int i : {1, 2}) EXPECT_EQ(cluster.nodes[i].wait_exit(60s), std::optional<int>(retryable_exit)) << cluster.log_text(i);
}

// Without checkpoints, a live cluster that loses a node fails as a batch run does: every node exits 75
// (retryable), and until then a front door that cannot reach the owner of a segment answers UNAVAILABLE.
TEST(live_cluster, losing_node_2_makes_its_segments_unavailable_and_ends_the_live_run_retryably) {
  live_cluster cluster({"--checkpoint-every", "0"});  // no checkpoint to roll back to
  ASSERT_TRUE(cluster.serving());
  const std::string id_2 = cluster.directory.id_of(cluster.first_segment_on(2));
  v1::Twin twin;
  ASSERT_TRUE(eventually([&] { return get_twin(cluster.channel(1), id_2, &twin).ok(); })) << cluster.nodes[1].log_tail();
  cluster.nodes[2].kill_and_reap();
  const auto answer = get_twin(cluster.channel(1), id_2, &twin);
  EXPECT_EQ(answer.error_code(), grpc::StatusCode::UNAVAILABLE) << answer.error_message();
  EXPECT_EQ(cluster.nodes[0].wait_exit(60s), std::optional<int>(retryable_exit)) << cluster.nodes[0].log_tail();
  EXPECT_EQ(cluster.nodes[1].wait_exit(60s), std::optional<int>(retryable_exit)) << cluster.nodes[1].log_tail();
  EXPECT_NE(cluster.nodes[0].log_tail().find("was lost"), std::string::npos) << cluster.nodes[0].log_tail();
}

// With checkpoints, a node lost in live mode and started again rejoins: every node rolls back to
// the last checkpoint, and a reading stored after that checkpoint reaches its segment again.
TEST(live_cluster, a_lost_node_started_again_rejoins_and_readings_since_the_checkpoint_come_back) {
  live_cluster cluster({"--checkpoint-every", "10m", "--rejoin-timeout", "60"});  // a checkpoint every 10 s of wall time
  ASSERT_TRUE(cluster.serving());
  ASSERT_TRUE(eventually([&] { return cluster.log_text(0).find("checkpoint 1 at t=0:10:00 complete") != std::string::npos; }))
      << cluster.log_text(0);
  const std::string id_2 = cluster.directory.id_of(cluster.first_segment_on(2));
  grpc::Status status;
  const auto ack = ingest(cluster.channel(0), reading_and_closure(id_2, "after-checkpoint", 31.5), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(ack.accepted(), 2u);
  v1::Twin twin;
  ASSERT_TRUE(eventually([&] { return get_twin(cluster.channel(1), id_2, &twin).ok() && closed_with_speed(twin, 31.5); }))
      << twin.ShortDebugString();
  cluster.nodes[2].kill_and_reap();
  ASSERT_EQ(cluster.log_text(0).find("checkpoint 2 at"), std::string::npos) << "the reading must come after the last checkpoint";

  cluster.start(2);
  ASSERT_TRUE(eventually([&] { return cluster.log_text(0).find("rejoined: every node rolled back to checkpoint 1") != std::string::npos; }))
      << cluster.log_text(0) << "\nnode 2:\n" << cluster.log_text(2);
  // Node 2's segment was open at checkpoint 1: closed again only because node 0 applied its store's readings again.
  EXPECT_TRUE(eventually([&] { return get_twin(cluster.channel(1), id_2, &twin).ok() && closed_with_speed(twin, 31.5); }))
      << twin.ShortDebugString() << "\n" << cluster.log_text(0);

  cluster.nodes[0].signal(SIGTERM);
  EXPECT_EQ(cluster.nodes[0].wait_exit(60s), std::optional<int>(0)) << cluster.log_text(0);
  for (int i : {1, 2}) EXPECT_EQ(cluster.nodes[i].wait_exit(60s), std::optional<int>(0)) << cluster.log_text(i);
}


// The proof that recovery loses nothing and invents nothing: a live cluster whose node 2 is killed
// after a checkpoint and started again ends with the same twin as one never interrupted, given the
// same inputs. The windows between the checkpoint and the kill run twice; the second time they take
// the inputs they took the first time (readings and closures timed ahead of the clock wait for it).
TEST(live_cluster, a_resumed_live_twin_equals_an_uninterrupted_run_with_the_same_inputs) {
  std::string note;
  const auto uninterrupted = run_with_timed_inputs(std::nullopt, &note);
  ASSERT_FALSE(uninterrupted.is_null());
  EXPECT_EQ(uninterrupted.at("kpi").at("simulated_seconds"), 360);
  EXPECT_GT(uninterrupted.at("kpi").at("arrived").get<int>(), 0);
  const auto equal_to_uninterrupted = [&](const nlohmann::json& resumed, const std::string& which) {
    ASSERT_FALSE(resumed.is_null()) << which;
    EXPECT_EQ(resumed.at("kpi_digest"), uninterrupted.at("kpi_digest"))
        << which << ": " << resumed.at("kpi").dump() << "\nuninterrupted: " << uninterrupted.at("kpi").dump();
    const auto& a = resumed.at("segments");
    const auto& b = uninterrupted.at("segments");
    ASSERT_EQ(a.size(), b.size()) << which;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << which << ": segment row " << i;
  };

  // Node 2 lost: every node rolls back to checkpoint 3 in its own process.
  const auto rolled_back = run_with_timed_inputs(2, &note);
  EXPECT_NE(note.find("to checkpoint 3 at t=0:03:00"), std::string::npos) << note;
  // At least one window between the checkpoint and the kill took a reading: the journal was used.
  EXPECT_EQ(note.find("(0 of them"), std::string::npos) << note;
  EXPECT_NE(note.find(" of them take their live inputs again"), std::string::npos) << note;
  equal_to_uninterrupted(rolled_back, "node 2 lost");

  // Node 0 lost: the others leave, and a new node 0 process resumes from checkpoint 3 and the
  // journal it kept on disk.
  const auto resumed = run_with_timed_inputs(0, &note);
  EXPECT_NE(note.find("checkpoint 3 at t=0:03:00: the "), std::string::npos) << note;
  EXPECT_EQ(note.find(": the 0 windows"), std::string::npos) << note;
  equal_to_uninterrupted(resumed, "node 0 lost");
}


// Scenario forks and the rolling forecast of a live cluster start from a cut that node 0 gathers
// from every node: a closure scenario runs at node 0 and reports a fork with vehicles on the
// network, and forecasts are published.
TEST(live_cluster, node_0_forks_scenarios_and_forecasts_from_a_cut_of_every_node) {
  live_cluster cluster({"--forecast", "on", "--forecast-every", "5m", "--forecast-horizon", "10m"});
  ASSERT_TRUE(cluster.serving());
  const std::string on_2 = cluster.directory.id_of(cluster.widest_segment_on(2));
  auto scenarios = v1::ScenarioService::NewStub(cluster.channel(0));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 120s);
  v1::RunScenarioRequest request;
  request.set_spec(R"({"schema_version": 1, "name": "cluster fork", "city": "data/tntp/SiouxFalls", "horizon": "10m",
    "variants": [{"name": "closed", "interventions": [{"at": "0s", "close": ")" + on_2 + R"("}]}]})");
  auto reader = scenarios->RunScenario(&context, request);
  v1::ScenarioProgress last;
  for (v1::ScenarioProgress m; reader->Read(&m);) last = m;
  const auto status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << cluster.log_text(0);
  ASSERT_EQ(last.state(), v1::SCENARIO_STATE_SUCCEEDED) << last.error_message();
  const auto report = nlohmann::json::parse(last.report_json());
  ASSERT_EQ(report.at("branches").size(), 2u);
  EXPECT_GT(report.at("fork").at("vehicles_on_network").get<int>(), 0) << report.at("fork").dump();

  auto forecasts = v1::ForecastService::NewStub(cluster.channel(0));
  v1::ForecastStatus forecast;
  EXPECT_TRUE(eventually([&] {
    grpc::ClientContext c;
    return forecasts->GetForecastStatus(&c, {}, &forecast).ok() && forecast.runs() >= 1;
  })) << forecast.ShortDebugString() << "\n" << cluster.log_text(0);
  EXPECT_EQ(forecast.failed(), 0u) << forecast.last_error();
}

}  // namespace citytwin::testing

