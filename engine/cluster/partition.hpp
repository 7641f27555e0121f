#pragma once
// Splits a city's road segments into parts for the processes of a cluster with METIS: segments
// are the vertices, segments that hand vehicles to each other are joined, and both are weighted by
// capacity (the most traffic, hence messages, they can carry), so the cut keeps chatty
// neighbours together and the parts carry similar load.

#include <cstdint>
#include <vector>

#include "engine/city/city_graph.hpp"

namespace citytwin {

// The METIS input: an undirected graph in CSR form, one vertex per segment.
struct segment_adjacency {
  std::vector<std::int32_t> begin;      // neighbours of s: neighbour[begin[s] .. begin[s + 1])
  std::vector<std::int32_t> neighbour;
  std::vector<std::int32_t> edge_weight;
  std::vector<std::int32_t> vertex_weight;
};

// Segment s and t are joined when one can hand vehicles to the other (s ends where t starts).
segment_adjacency build_segment_adjacency(const city_graph& graph);

struct segment_partition {
  std::vector<std::uint32_t> part_of;          // by segment id
  std::vector<std::size_t> part_sizes;         // segments per part
  std::vector<std::int64_t> part_weights;      // summed vertex weights per part
  std::int64_t edge_cut = 0;                   // summed weight of the joins between parts
  std::int64_t cut_joins = 0;                  // joins between parts, unweighted
  std::int64_t total_weight = 0;
  double imbalance_tolerance = 1;              // METIS' allowed max part weight / average
};

// Deterministic for a given seed. Throws std::invalid_argument when parts is 0 or exceeds the
// segment count, and std::runtime_error when METIS fails.
segment_partition partition_segments(const city_graph& graph, std::uint32_t parts, std::uint64_t seed);

}  // namespace citytwin
