// Two cluster nodes in one test process (each with its own actor system and metrics registry):
// the cross-process message counters agree with each other and with the run's own traffic count.

#include <gtest/gtest.h>

#include <unistd.h>

#include <future>
#include <optional>
#include <sstream>

#include "engine/cluster/cluster_run.hpp"
#include "engine/cluster/partition.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/metrics/metrics_registry.hpp"

#include "tests/support/free_port.hpp"

namespace citytwin {

namespace {

using testing::free_port;

double series(const metrics_registry& registry, const std::string& name) {
  std::istringstream lines(registry.text());
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  ADD_FAILURE() << name << " missing";
  return -1;
}

}  // namespace

TEST(cluster_metrics, sent_and_received_messages_match_across_nodes_and_the_run_total) {
  const auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls");
  cluster_config config;
  config.nodes = {{0, "127.0.0.1", free_port()}, {1, "127.0.0.1", free_port()}};
  config.connect_timeout_s = 30;
  simulation_options options;
  options.seed = 7;
  options.duration = 10 * 60 * 1000;
  options.demand_scale = 0.1;
  auto plan = generate_trips(city.graph, {options.seed, options.demand_scale, options.duration, options.synthetic_trips_per_hour});
  const auto partition = partition_segments(city.graph, 2, config.partition_seed);

  metrics_registry registry0, registry1;
  auto run_node = [&](std::uint32_t node, const metrics_registry& registry, cluster_traffic* traffic) {
    simulation_options own = options;
    own.metrics = registry.runtime();
    return run_cluster_node(config, node, city.graph, plan, own, partition.part_of, traffic);
  };
  auto node1 = std::async(std::launch::async, [&] { return run_node(1, registry1, nullptr); });
  cluster_traffic traffic;
  auto result = run_node(0, registry0, &traffic);
  EXPECT_FALSE(node1.get().has_value());
  ASSERT_TRUE(result.has_value());

  const std::string sent = R"(citytwin_cluster_messages_total{direction="sent"})";
  const std::string received = R"(citytwin_cluster_messages_total{direction="received"})";
  ASSERT_GT(traffic.cross_node_messages, 0) << "the two parts must exchange vehicles";
  EXPECT_EQ(series(registry0, sent) + series(registry1, sent), static_cast<double>(traffic.cross_node_messages));
  EXPECT_EQ(series(registry0, sent), series(registry1, received));
  EXPECT_EQ(series(registry1, sent), series(registry0, received));
}

}  // namespace citytwin
