// Checkpoints of a cluster run: the parts round-trip bit for bit, only a checkpoint every node
// confirmed is ever resumed from, and two nodes resumed from their files at a checkpoint finish
// exactly as the uninterrupted run did.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>

#include "engine/cluster/checkpoint_codec.hpp"
#include "engine/cluster/checkpoint_store.hpp"
#include "engine/cluster/cluster_run.hpp"
#include "engine/cluster/partition.hpp"
#include "engine/runtime/simulation.hpp"

#include "tests/support/bundled_city.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/temp_dir.hpp"

namespace citytwin {

namespace {

constexpr sim_time minute = 60 * ms_per_second;
using testing::sioux_falls;

// A cut of Sioux Falls 9 minutes in, with vehicles moving, queued and in flight.
const simulation_state& busy_cut() {
  static const auto state = [] {
    simulation_options options;
    options.seed = 7;
    options.duration = 9 * minute;
    options.demand_scale = 0.3;
    options.capture_state = true;
    const auto plan = generate_trips(sioux_falls(), {options.seed, options.demand_scale, 20 * minute, options.synthetic_trips_per_hour});
    return run_simulation(sioux_falls(), plan, options).state;
  }();
  return *state;
}

checkpoint_part part_of(const simulation_state& cut, std::uint32_t node, std::uint64_t id, std::uint64_t fingerprint) {
  checkpoint_part part{fingerprint, node, id, cut.time, {}, {}};
  for (segment_id s = node; s < cut.segments.size(); s += 3) {
    part.segments.push_back(cut.segments[s]);
    part.shard.bookings.emplace_back(s, cut.bookings[s]);
    part.shard.estimates.emplace_back(s, cut.shard_estimates[s]);
  }
  part.shard.departures = cut.departures;
  return part;
}

}  // namespace

TEST(checkpoint_codec, every_segment_of_a_busy_cut_decodes_equal_to_the_original) {
  const auto& cut = busy_cut();
  ASSERT_GT(cut.vehicles_on_network(), 300);
  std::int64_t queued_or_in_flight = 0;
  for (const auto& s : cut.segments) {
    const auto bytes = encode_checkpoint_part(s);
    const auto back = decode_checkpoint_part<segment_state>(bytes);
    ASSERT_TRUE(back == s) << "segment " << s.model.spec().id;
    EXPECT_EQ(back.model.spec().name, s.model.spec().name);
    queued_or_in_flight += static_cast<std::int64_t>(s.pending_handoffs.size());
  }
  EXPECT_GT(queued_or_in_flight, 0) << "the cut should hold vehicles in flight";
}

TEST(checkpoint_codec, progress_keeps_doubles_flags_and_trips_exactly_and_refuses_truncated_bytes) {
  run_progress p;
  p.time = 123 * ms_per_second;
  p.closed = {true, false, true};
  p.estimates = {1, never, 3};
  p.times.ms = {5, 6, 7};
  p.times.serial = 9;
  p.bookings = {{{2, 41}}, {}, {{0, 40}, {1, no_window}}};
  p.shard_next = {41, no_window, 40};
  p.trips = {{17, 1000, 90000, 61000}, {3, 0, 77000, 70000}};
  p.departure_sum = -5;  // any bit pattern survives
  const auto bytes = encode_checkpoint_part(p);
  const auto back = decode_checkpoint_part<run_progress>(bytes);
  EXPECT_EQ(back.closed, p.closed);
  EXPECT_EQ(back.estimates, p.estimates);
  EXPECT_TRUE(back.times == p.times);
  ASSERT_EQ(back.bookings.size(), 3u);
  EXPECT_EQ(back.bookings[2][1].window, no_window);
  EXPECT_EQ(back.shard_next, p.shard_next);
  ASSERT_EQ(back.trips.size(), 2u);
  EXPECT_EQ(back.trips[1].arrival, 77000);
  EXPECT_EQ(back.departure_sum, -5);
  EXPECT_THROW(decode_checkpoint_part<run_progress>(std::string_view(bytes).substr(0, bytes.size() - 3)), std::runtime_error);
  EXPECT_THROW(decode_checkpoint_part<run_progress>(bytes + "x"), std::runtime_error);

  segment_model_options odd;
  odd.hole_speed_kmh = 0.1 + 0.2;  // not representable in few bits: must come back identical
  odd.priority_passing_speed_kmh = std::numeric_limits<double>::infinity();
  const auto again = decode_checkpoint_part<segment_model_options>(encode_checkpoint_part(odd));
  EXPECT_EQ(again.hole_speed_kmh, odd.hole_speed_kmh);
  EXPECT_EQ(again.priority_passing_speed_kmh, odd.priority_passing_speed_kmh);
}

TEST(checkpoint_store, a_checkpoint_one_node_did_not_confirm_is_never_resumed_and_the_last_complete_one_is_kept) {
  const auto dir = testing::test_temp_dir();
  const std::uint64_t fingerprint = 0xfeed;
  std::vector<checkpoint_store> nodes;
  for (std::uint32_t n = 0; n < 3; ++n) nodes.emplace_back(dir / ("data" + std::to_string(n)), n, fingerprint);
  const auto& cut = busy_cut();
  run_progress progress;
  progress.time = cut.time;
  progress.windows = 540;

  for (std::uint32_t n = 0; n < 3; ++n) nodes[n].save_part(part_of(cut, n, 1, fingerprint));
  nodes[0].save_progress(1, progress);
  nodes[0].mark_complete({1, cut.time});
  // Checkpoint 2: nodes 0 and 1 wrote their parts, node 2 never confirmed, so node 0 never marked it.
  for (std::uint32_t n = 0; n < 2; ++n) nodes[n].save_part(part_of(cut, n, 2, fingerprint));
  progress.windows = 600;
  nodes[0].save_progress(2, progress);

  const auto point = nodes[0].last_complete();
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->id, 1u) << "checkpoint 2 is incomplete";
  EXPECT_EQ(point->time, cut.time);
  EXPECT_EQ(nodes[0].load_progress(point->id).windows, 540);
  for (std::uint32_t n = 0; n < 3; ++n) {
    const auto part = nodes[n].load_part(point->id);
    const auto expected = part_of(cut, n, 1, fingerprint);
    ASSERT_EQ(part.segments.size(), expected.segments.size());
    EXPECT_TRUE(part.segments == expected.segments) << "node " << n;
    EXPECT_EQ(part.shard.departures, expected.shard.departures);
  }

  // The next checkpoint request carries keep_from = 1: older parts go, 1 and 2 stay.
  for (auto& node : nodes) node.drop_before(1);
  EXPECT_TRUE(std::filesystem::exists(nodes[2].part_path(1)));
  EXPECT_TRUE(std::filesystem::exists(nodes[0].part_path(2)));

  // Another run (fingerprint) ignores the record; a damaged part is refused by name.
  EXPECT_FALSE(checkpoint_store(dir / "data0", 0, fingerprint + 1).last_complete().has_value());
  {
    std::fstream file(nodes[1].part_path(1), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(200);
    const char flipped = static_cast<char>(file.get() ^ 0x5a);
    file.seekp(200);
    file.put(flipped);
  }
  try {
    (void)nodes[1].load_part(1);
    ADD_FAILURE() << "a corrupt part must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(nodes[1].part_path(1).string() + " is corrupt"), std::string::npos) << e.what();
  }
  // A part in an older layout is refused as such, not misread.
  {
    std::fstream file(nodes[2].part_path(1), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(0);
    file << "CITYTWIN-CHECKPOINT-1\n";
  }
  try {
    (void)nodes[2].load_part(1);
    ADD_FAILURE() << "a part of another layout must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("written by another version of CityTwin (CITYTWIN-CHECKPOINT-1"), std::string::npos)
        << e.what();
  }

  nodes[0].clear();
  EXPECT_FALSE(nodes[0].last_complete().has_value()) << "a finished run leaves nothing to resume";
  EXPECT_FALSE(std::filesystem::exists(nodes[0].part_path(2)));
}

namespace {

// Two nodes of one cluster in this process, each with its own data directory.
struct two_node_run {
  cluster_config config;
  simulation_options options;
  trip_plan plan;
  segment_partition partition;
  std::filesystem::path dir;

  explicit two_node_run(std::filesystem::path d) : dir(std::move(d)) {
    config.nodes = {{0, "127.0.0.1", testing::free_port()}, {1, "127.0.0.1", testing::free_port()}};
    config.connect_timeout_s = 30;
    options.seed = 7;
    options.duration = 12 * minute;
    options.demand_scale = 0.2;
    options.clear = true;
    plan = generate_trips(sioux_falls(), {options.seed, options.demand_scale, options.duration, options.synthetic_trips_per_hour});
    partition = partition_segments(sioux_falls(), 2, config.partition_seed);
  }
  std::filesystem::path data(std::uint32_t node) const { return dir / ("data" + std::to_string(node)); }

  // Node 0's result; node 1 lacks a data directory when `node1_keeps_checkpoints` is false.
  simulation_result run(const std::function<void(const std::string&)>& note, bool node1_keeps_checkpoints = true) {
    auto recovery = [&](std::uint32_t node) {
      cluster_recovery r;
      if (node == 0 || node1_keeps_checkpoints) r.data_dir = data(node);
      r.checkpoint_every = 2 * minute;
      if (node == 0) r.note = note;
      return r;
    };
    auto node1 = std::async(std::launch::async, [&] {
      return run_cluster_node(config, 1, sioux_falls(), plan, options, partition.part_of, nullptr, recovery(1));
    });
    auto result = run_cluster_node(config, 0, sioux_falls(), plan, options, partition.part_of, nullptr, recovery(0));
    EXPECT_FALSE(node1.get().has_value());
    EXPECT_TRUE(result.has_value());
    return result ? std::move(*result) : simulation_result{};
  }
};

void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace

TEST(cluster_checkpoints, two_nodes_restarted_from_the_files_of_a_complete_checkpoint_finish_exactly_as_the_uninterrupted_run) {
  two_node_run cluster(testing::test_temp_dir());
  std::vector<std::string> notes;
  bool saved = false;
  // The disk as a crash right after checkpoint 2 would leave it.
  const auto straight = cluster.run([&](const std::string& text) {
    notes.push_back(text);
    if (!saved && text.rfind("checkpoint 2 at t=0:04:00 complete (", 0) == 0) {
      for (std::uint32_t n : {0u, 1u}) copy_tree(cluster.data(n), cluster.dir / ("crash" + std::to_string(n)));
      saved = true;
    }
  });
  ASSERT_TRUE(saved) << "no complete checkpoint 2; notes: " << (notes.empty() ? "" : notes.front());
  EXPECT_EQ(notes.front().rfind("checkpoint 1 at t=0:02:00 complete (", 0), 0u) << notes.front();
  EXPECT_FALSE(std::filesystem::exists(cluster.data(0) / "checkpoints" / "complete.json")) << "a finished run deletes its checkpoints";
  EXPECT_FALSE(std::filesystem::exists(cluster.data(1) / "checkpoints" / "part-1.ckpt"));

  for (std::uint32_t n : {0u, 1u}) copy_tree(cluster.dir / ("crash" + std::to_string(n)), cluster.data(n));
  notes.clear();
  const auto resumed = cluster.run([&](const std::string& text) { notes.push_back(text); });
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes.front(), "resuming from checkpoint 2 at t=0:04:00");
  EXPECT_EQ(resumed.departed, straight.departed);
  EXPECT_EQ(resumed.arrived, straight.arrived);
  EXPECT_EQ(resumed.en_route_time, straight.en_route_time);
  EXPECT_EQ(resumed.end_time, straight.end_time);
  EXPECT_EQ(resumed.windows, straight.windows);
  EXPECT_EQ(resumed.activations, straight.activations);
  EXPECT_EQ(resumed.forced_moves, straight.forced_moves);
  EXPECT_EQ(resumed.reroutes, straight.reroutes);
  ASSERT_EQ(resumed.trips.size(), straight.trips.size());
  for (std::size_t i = 0; i < straight.trips.size(); ++i) {
    ASSERT_EQ(resumed.trips[i].vehicle, straight.trips[i].vehicle);
    ASSERT_EQ(resumed.trips[i].arrival, straight.trips[i].arrival) << "vehicle " << straight.trips[i].vehicle;
  }
  ASSERT_EQ(resumed.segments.size(), straight.segments.size());
  for (std::size_t s = 0; s < straight.segments.size(); ++s) {
    EXPECT_EQ(resumed.segments[s].outflow, straight.segments[s].outflow) << "segment " << s;
    EXPECT_EQ(resumed.segments[s].max_queue, straight.segments[s].max_queue) << "segment " << s;
    EXPECT_EQ(resumed.segments[s].travel_time_sum, straight.segments[s].travel_time_sum) << "segment " << s;
  }
}

TEST(cluster_checkpoints, a_checkpoint_a_node_cannot_write_is_never_recorded_as_complete) {
  two_node_run cluster(testing::test_temp_dir());
  const auto record = cluster.data(0) / "checkpoints" / "complete.json";
  std::vector<std::string> notes;
  bool recorded = false;
  cluster.run(
      [&](const std::string& text) {
        notes.push_back(text);
        recorded = recorded || std::filesystem::exists(record);
      },
      false);
  ASSERT_GE(notes.size(), 3u) << "one note per checkpoint";
  for (const auto& n : notes) {
    EXPECT_NE(n.find("is incomplete, the last complete one is kept"), std::string::npos) << n;
    EXPECT_NE(n.find("node 1 (127.0.0.1:" + std::to_string(cluster.config.nodes[1].port) + ") keeps no checkpoints"), std::string::npos) << n;
  }
  EXPECT_FALSE(recorded) << "node 0 recorded a checkpoint node 1 never confirmed";
}

}  // namespace citytwin
