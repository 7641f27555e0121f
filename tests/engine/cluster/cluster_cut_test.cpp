// A cut of a twin spread over three processes (three cluster nodes in this test process, each with
// its own actor system) is the same cut one process takes of the same run: every segment with its
// vehicles, every booking, estimate and departure, whichever node held it. Scenario forks and
// forecasts of a live cluster start from such a cut.

#include <gtest/gtest.h>

#include <future>

#include "engine/cluster/cluster_run.hpp"
#include "engine/cluster/partition.hpp"
#include "engine/runtime/simulation.hpp"
#include "tests/support/bundled_city.hpp"
#include "tests/support/free_port.hpp"

namespace citytwin {

TEST(cluster_cut, three_nodes_give_node_0_the_cut_one_process_takes) {
  const city_graph& city = testing::sioux_falls();
  cluster_config config;
  config.nodes = {{0, "127.0.0.1", testing::free_port()}, {1, "127.0.0.1", testing::free_port()}, {2, "127.0.0.1", testing::free_port()}};
  config.connect_timeout_s = 30;
  simulation_options options;
  options.seed = 11;
  options.duration = 9 * 60 * 1000;  // the cut is taken mid-traffic, at the end of the demand period
  options.demand_scale = 0.3;
  options.capture_state = true;
  const auto plan = generate_trips(city, {options.seed, options.demand_scale, options.duration, options.synthetic_trips_per_hour});
  const auto partition = partition_segments(city, 3, config.partition_seed);

  auto node = [&](std::uint32_t id) { return run_cluster_node(config, id, city, plan, options, partition.part_of); };
  auto node1 = std::async(std::launch::async, node, 1);
  auto node2 = std::async(std::launch::async, node, 2);
  auto clustered = node(0);
  EXPECT_FALSE(node1.get().has_value());
  EXPECT_FALSE(node2.get().has_value());
  ASSERT_TRUE(clustered.has_value());
  ASSERT_TRUE(clustered->state);

  const auto alone = run_simulation(city, plan, options);
  ASSERT_TRUE(alone.state);
  const simulation_state& a = *clustered->state;
  const simulation_state& b = *alone.state;
  EXPECT_EQ(a.time, b.time);
  EXPECT_GT(b.vehicles_on_network(), 100) << "a cut of an empty network proves little";
  EXPECT_EQ(a.vehicles_on_network(), b.vehicles_on_network());
  ASSERT_EQ(a.segments.size(), b.segments.size());
  for (std::size_t s = 0; s < a.segments.size(); ++s) EXPECT_TRUE(a.segments[s] == b.segments[s]) << "segment " << s;
  EXPECT_EQ(a.bookings, b.bookings);
  EXPECT_EQ(a.shard_estimates, b.shard_estimates);
  EXPECT_EQ(a.departures.size(), b.departures.size());
  EXPECT_TRUE(a == b) << "the cuts differ outside the segments";
}

}  // namespace citytwin
