#include "engine/routing/router.hpp"

#include <algorithm>
#include <functional>
#include <queue>

#include "engine/routing/radix_heap.hpp"

namespace citytwin {

namespace {
constexpr sim_time max_distance = UINT32_MAX;  // about 50 days: anything longer is unreachable
}

travel_times freeflow_times(const city_graph& graph) {
  travel_times t;
  t.ms.reserve(graph.segments.size());
  for (const auto& s : graph.segments) t.ms.push_back(freeflow_ms(s));
  return t;
}

router::router(const city_graph& graph) : graph_(graph) {
  out_target_.reserve(graph.out_ids.size());
  for (auto s : graph.out_ids) out_target_.push_back(graph.segments[s].to);
  segment_from_.reserve(graph.segments.size());
  for (const auto& s : graph.segments) segment_from_.push_back(s.from);
  expandable_.reserve(graph.nodes.size());
  for (const auto& n : graph.nodes) expandable_.push_back(n.through_allowed ? 1 : 0);
}

void router::search(node_index origin, std::span<const node_index> settle, const travel_times& times,
                    shortest_path_tree& tree) const {
  const auto node_count = graph_.nodes.size();
  tree.origin = origin;
  tree.parent.assign(node_count, no_segment);
  tree.distance.assign(node_count, never);
  thread_local radix_heap<node_index> frontier;
  frontier.clear();
  // Nodes still to settle; all zero again on return.
  thread_local std::vector<std::uint8_t> wanted;
  if (wanted.size() < node_count) wanted.resize(node_count, 0);
  std::size_t remaining = 0;
  for (node_index n : settle)
    if (wanted[n] == 0) {
      wanted[n] = 1;
      ++remaining;
    }
  tree.distance[origin] = 0;
  frontier.push(0, origin);
  while (!frontier.empty()) {
    const auto [key, u] = frontier.pop();
    const auto d = static_cast<sim_time>(key);
    if (d != tree.distance[u]) continue;  // stale heap entry
    // A settled node's path is final: it runs through nodes settled before it.
    if (wanted[u] != 0) {
      wanted[u] = 0;
      if (--remaining == 0) break;
    }
    if (u != origin && !expandable_[u]) continue;
    for (auto i = graph_.out_begin[u]; i < graph_.out_begin[u + 1]; ++i) {
      segment_id s = graph_.out_ids[i];
      sim_time w = times.ms[s];
      if (w == never) continue;
      node_index v = out_target_[i];
      sim_time nd = d + w;
      if (nd < tree.distance[v] && nd < max_distance) {
        tree.distance[v] = nd;
        tree.parent[v] = s;
        frontier.push(static_cast<radix_heap<node_index>::key_type>(nd), v);
      }
    }
  }
  for (node_index n : settle) wanted[n] = 0;
}

void router::build_tree(node_index origin, const travel_times& times, shortest_path_tree& tree,
                        std::span<const node_index> settle) const {
  search(origin, settle, times, tree);
}

std::vector<segment_id> router::path(const shortest_path_tree& tree, node_index destination) const {
  std::vector<segment_id> segments;
  if (destination == tree.origin || tree.parent[destination] == no_segment) return segments;
  for (node_index n = destination; n != tree.origin; n = segment_from_[tree.parent[n]]) segments.push_back(tree.parent[n]);
  std::reverse(segments.begin(), segments.end());
  return segments;
}

std::optional<std::vector<segment_id>> router::route(node_index origin, node_index destination,
                                                     const travel_times& times) const {
  thread_local shortest_path_tree tree;  // reused: a fresh one per detour cost a page-faulting allocation
  search(origin, std::span(&destination, 1), times, tree);
  if (tree.parent[destination] == no_segment) return std::nullopt;
  return path(tree, destination);
}

}  // namespace citytwin
