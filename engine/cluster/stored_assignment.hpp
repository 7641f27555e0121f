#pragma once
// The partition assignment a node ran with, kept in its data directory so that a restarted node
// takes back the same shards instead of partitioning again. A node whose data directory holds the
// assignment of a different cluster or city refuses to start, naming what changed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/cluster/cluster_config.hpp"

namespace citytwin {

struct node_assignment {
  std::uint32_t node = 0;
  std::vector<std::string> nodes;       // "host:port" by node id (informative)
  std::string city;                     // the path it was loaded from (informative)
  std::uint64_t city_fingerprint = 0;   // segments' ends, lengths, capacities and free-flow times
  std::uint64_t partition_seed = 0;
  std::vector<std::uint32_t> part_of;   // node of each segment
  std::int64_t edge_cut = 0;
};

std::uint64_t city_fingerprint(const city_graph& graph);

// What `node` of `config` runs on `graph`, with the segment split `part_of`.
node_assignment make_assignment(const cluster_config& config, std::uint32_t node, const city_graph& graph,
                                std::vector<std::uint32_t> part_of, std::int64_t edge_cut);

// The file an assignment is kept in.
std::filesystem::path assignment_path(const std::filesystem::path& data_dir);

// nullopt when the directory holds none; std::invalid_argument naming the file and field when it is unreadable.
std::optional<node_assignment> load_assignment(const std::filesystem::path& data_dir);

// Creates the directory if needed; replaces the file atomically (write, then rename).
void save_assignment(const std::filesystem::path& data_dir, const node_assignment& assignment);

// What differs between the stored assignment and the one this start would make, among what decides
// the split (node id and count, city, partition seed; not addresses, which may move with a
// restart): "node id 1 -> 2", "node count 3 -> 2", "city (...)", ...; empty when none.
std::vector<std::string> assignment_changes(const node_assignment& stored, const node_assignment& current);

}  // namespace citytwin
