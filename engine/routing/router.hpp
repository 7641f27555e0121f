#pragma once
// Least-travel-time routes on the city graph (Dijkstra with a radix heap).
// Equal-cost ties are broken by a fixed processing order, so a route depends only on the graph
// and the travel times.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"

namespace citytwin {

// Travel time of every segment as known at one moment; `never` marks a closed segment.
struct travel_times {
  std::vector<sim_time> ms;
  std::uint64_t closure_version = 0;  // bumps whenever the set of closed segments changes
  std::uint64_t serial = 0;           // bumps with every new set of times (keys route caches)
  [[nodiscard]] bool is_closed(segment_id s) const { return ms[s] == never; }
};

struct shortest_path_tree {
  node_index origin = 0;
  std::vector<segment_id> parent;  // segment that reaches each node; no_segment if unreached
  std::vector<sim_time> distance;
};

class router {
 public:
  explicit router(const city_graph& graph);

  // Full tree from `origin`; zones other than the origin are never passed through. With `settle`, the
  // search stops once those nodes are settled: paths to them are exact, other nodes' entries may be partial.
  void build_tree(node_index origin, const travel_times& times, shortest_path_tree& tree,
                  std::span<const node_index> settle = {}) const;

  // Segments from the tree's origin to `destination`, empty if unreachable or the same node.
  [[nodiscard]] std::vector<segment_id> path(const shortest_path_tree& tree, node_index destination) const;

  // One route, stopping as soon as `destination` is settled.
  [[nodiscard]] std::optional<std::vector<segment_id>> route(node_index origin, node_index destination,
                                                             const travel_times& times) const;

  [[nodiscard]] const city_graph& graph() const { return graph_; }

 private:
  // Runs Dijkstra until every node of `settle` is settled (or everything, if empty).
  void search(node_index origin, std::span<const node_index> settle, const travel_times& times,
              shortest_path_tree& tree) const;

  const city_graph& graph_;
  // Compact copies of what the search loop reads, so it stays in cache.
  std::vector<node_index> out_target_;    // aligned with graph_.out_ids
  std::vector<node_index> segment_from_;  // by segment id, for walking a path back
  std::vector<std::uint8_t> expandable_;  // by node: may be passed through
};

// Free-flow travel times in milliseconds (at least 0) for every segment.
travel_times freeflow_times(const city_graph& graph);

inline sim_time freeflow_ms(const road_segment_spec& s) {
  return static_cast<sim_time>(s.freeflow_time_s * ms_per_second + 0.5);
}

}  // namespace citytwin
