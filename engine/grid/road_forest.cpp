// Multi-source shortest-path forests over undirected roads, for feeder routes and low-voltage reach.
#include "engine/grid/road_forest.hpp"

#include <functional>
#include <queue>
#include <utility>

namespace citytwin {

undirected_roads::undirected_roads(const city_graph& graph) {
  const std::size_t n = graph.nodes.size();
  begin.assign(n + 1, 0);
  for (const road_segment_spec& s : graph.segments) {
    ++begin[s.from + 1];
    ++begin[s.to + 1];
  }
  for (std::size_t i = 1; i <= n; ++i) begin[i] += begin[i - 1];
  neighbour.resize(begin[n]);
  length_m.resize(begin[n]);
  std::vector<std::uint32_t> fill(begin.begin(), begin.end() - 1);
  for (const road_segment_spec& s : graph.segments) {
    neighbour[fill[s.from]] = s.to;
    length_m[fill[s.from]++] = s.length_m;
    neighbour[fill[s.to]] = s.from;
    length_m[fill[s.to]++] = s.length_m;
  }
}

road_forest grow_road_forest(const undirected_roads& roads, const std::vector<node_index>& sources,
                             double max_distance_m) {
  const std::size_t n = roads.size();
  road_forest f;
  f.distance_m.assign(n, std::numeric_limits<double>::infinity());
  f.parent.assign(n, no_road_parent);
  f.parent_length_m.assign(n, 0);
  f.source.assign(n, no_source);
  using entry = std::pair<double, node_index>;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> queue;
  for (std::uint32_t s = 0; s < sources.size(); ++s) {
    const node_index at = sources[s];
    if (f.source[at] != no_source) continue;  // two sources on one node: the first keeps it
    f.distance_m[at] = 0;
    f.source[at] = s;
    queue.push({0, at});
  }
  std::vector<bool> settled(n, false);
  while (!queue.empty()) {
    const auto [d, u] = queue.top();
    queue.pop();
    if (settled[u]) continue;
    settled[u] = true;
    f.settled.push_back(u);
    for (auto i = roads.begin[u]; i < roads.begin[u + 1]; ++i) {
      const node_index v = roads.neighbour[i];
      const double candidate = d + roads.length_m[i];
      const bool is_source = f.distance_m[v] == 0 && f.parent[v] == no_road_parent;
      if (settled[v] || is_source || candidate > max_distance_m) continue;
      // Equal distances: the lower parent index wins, whatever order the edges come in.
      if (candidate < f.distance_m[v] || (candidate == f.distance_m[v] && u < f.parent[v])) {
        f.distance_m[v] = candidate;
        f.parent[v] = u;
        f.parent_length_m[v] = roads.length_m[i];
        f.source[v] = f.source[u];
        queue.push({candidate, v});
      }
    }
  }
  return f;
}

}  // namespace citytwin
