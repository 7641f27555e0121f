#pragma once
// What every node of a cluster reads at start: who the nodes are, the city, and the scenario.
// All nodes read the same file; node 0 checks that they agree before the run starts.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/runtime/simulation.hpp"

namespace citytwin {

struct cluster_node {
  std::uint32_t id = 0;
  std::string host;
  std::uint16_t port = 0;
};

struct cluster_config {
  std::string path;                  // the file it was read from
  std::vector<cluster_node> nodes;   // index = id; node 0 coordinates
  std::string city;                  // as load_city takes it; relative paths are from the file's folder
  std::uint64_t partition_seed = 1;
  double connect_timeout_s = 60;     // how long a node waits for its peers to come up
  // Node 0 pings every node each interval; a node silent for the timeout (or whose connection
  // drops) is lost, and so is node 0 for a node that has not heard from it for the timeout.
  double heartbeat_interval_s = 1;
  double heartbeat_timeout_s = 10;
  simulation_options scenario;       // seed, duration, demand and model settings (no callbacks)
  bool equilibrium_routes = false;   // scenario.routes "equilibrium": each node solves the same user equilibrium
};

// Throws std::invalid_argument naming the file, the field and the reason.
cluster_config load_cluster_config(const std::string& path);

// Throws std::invalid_argument when `node` is not one of the config's nodes.
void check_node_id(const cluster_config& config, std::uint32_t node);

}  // namespace citytwin
