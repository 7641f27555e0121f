#include "engine/city/roundabouts.hpp"

#include <cmath>
#include <deque>
#include <vector>

namespace citytwin {

namespace {

constexpr double min_roundness = 0.85;
constexpr double max_ring_length_m = 1000;
constexpr std::uint32_t max_ring_nodes = 16;

bool ring_candidate(const city_graph& g, const road_segment_spec& s) {
  if (s.unlimited || s.from == s.to || g.nodes[s.from].is_zone || g.nodes[s.to].is_zone) return false;
  for (auto i = g.out_begin[s.to]; i < g.out_begin[s.to + 1]; ++i)
    if (g.segments[g.out_ids[i]].to == s.from) return false;  // two-way road
  return true;
}

// Breadth-first search state, reset only where a search went (most searches stay local).
struct cycle_search {
  std::vector<segment_id> reached_by;
  std::vector<std::uint32_t> depth;
  std::vector<node_index> touched;
  explicit cycle_search(std::size_t nodes) : reached_by(nodes, no_segment), depth(nodes, 0) {}
  void reach(node_index n, segment_id via, std::uint32_t d) {
    reached_by[n] = via;
    depth[n] = d;
    touched.push_back(n);
  }
  void reset() {
    for (node_index n : touched) reached_by[n] = no_segment;
    touched.clear();
  }
};

// The shortest cycle of candidates through `first`, as its segments in driving order; empty if none.
std::vector<segment_id> shortest_cycle(const city_graph& g, const std::vector<bool>& candidate, segment_id first,
                                       cycle_search& search) {
  const auto& start = g.segments[first];
  search.reset();
  search.reach(start.to, first, 1);
  std::deque<node_index> frontier{start.to};
  while (!frontier.empty() && search.reached_by[start.from] == no_segment) {
    node_index n = frontier.front();
    frontier.pop_front();
    if (search.depth[n] >= max_ring_nodes) continue;
    for (auto i = g.out_begin[n]; i < g.out_begin[n + 1]; ++i) {
      segment_id s = g.out_ids[i];
      node_index next = g.segments[s].to;
      if (!candidate[s] || search.reached_by[next] != no_segment) continue;
      search.reach(next, s, search.depth[n] + 1);
      frontier.push_back(next);
    }
  }
  std::vector<segment_id> cycle;
  if (search.reached_by[start.from] == no_segment) return cycle;
  for (node_index n = start.from; n != start.to; n = g.segments[search.reached_by[n]].from)
    cycle.push_back(search.reached_by[n]);
  cycle.push_back(first);
  return {cycle.rbegin(), cycle.rend()};
}

bool looks_like_a_roundabout(const city_graph& g, const std::vector<segment_id>& cycle) {
  double twice_area = 0, perimeter = 0, length_m = 0;
  for (segment_id s : cycle) {
    const auto& a = g.nodes[g.segments[s].from];
    const auto& b = g.nodes[g.segments[s].to];
    twice_area += a.x * b.y - b.x * a.y;
    perimeter += std::hypot(b.x - a.x, b.y - a.y);
    length_m += g.segments[s].length_m;
  }
  if (!(perimeter > 0) || length_m > max_ring_length_m) return false;
  const double roundness = 4 * M_PI * std::abs(twice_area / 2) / (perimeter * perimeter);
  return roundness >= min_roundness;
}

}  // namespace

std::size_t guess_roundabouts(city_graph& graph) {
  std::vector<bool> candidate(graph.segments.size());
  for (const auto& s : graph.segments) candidate[s.id] = ring_candidate(graph, s);
  // Each accepted cycle runs through a segment no earlier ring marked, so every one is new.
  std::size_t rings = 0;
  cycle_search search(graph.nodes.size());
  for (const auto& s : graph.segments) {
    if (!candidate[s.id] || s.on_roundabout) continue;
    auto cycle = shortest_cycle(graph, candidate, s.id, search);
    if (cycle.empty() || !looks_like_a_roundabout(graph, cycle)) continue;
    for (segment_id r : cycle) graph.segments[r].on_roundabout = true;
    ++rings;
  }
  return rings;
}

}  // namespace citytwin
