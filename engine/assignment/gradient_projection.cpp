#include "engine/assignment/gradient_projection.hpp"

#include <algorithm>

#include "engine/assignment/all_or_nothing.hpp"

namespace citytwin {

namespace {

struct path {
  std::vector<segment_id> links;
  double flow = 0;
};

struct od_pair {
  node_index destination;
  double demand;
  std::vector<path> paths;
};

std::vector<segment_id> tree_path(const city_graph& g, const tree_scratch& tree, node_index origin, node_index dest) {
  std::vector<segment_id> links;
  for (node_index n = dest; n != origin; n = g.segments[tree.parent[n]].from) links.push_back(tree.parent[n]);
  std::reverse(links.begin(), links.end());
  return links;
}

double path_cost(const std::vector<link_cost>& costs, const std::vector<double>& x, const std::vector<segment_id>& p) {
  double c = 0;
  for (auto e : p) c += costs[e].time(x[e]);
  return c;
}

// Moves flow of one OD pair from its costlier paths onto `best` (index in paths), Newton step per path.
void equilibrate(const std::vector<link_cost>& costs, std::vector<double>& x, od_pair& od, std::size_t best,
                 std::vector<std::uint32_t>& mark, std::uint32_t& stamp) {
  ++stamp;
  for (auto e : od.paths[best].links) mark[e] = stamp;
  double best_cost = path_cost(costs, x, od.paths[best].links);
  for (std::size_t k = 0; k < od.paths.size(); ++k) {
    auto& p = od.paths[k];
    if (k == best || p.flow <= 0) continue;
    double difference = path_cost(costs, x, p.links) - best_cost;
    if (difference <= 0) continue;
    // Second derivative along the move: links on exactly one of the two paths.
    double curvature = 0;
    ++stamp;
    for (auto e : p.links) {
      if (mark[e] == stamp - 1) {
        mark[e] = stamp;  // shared link: cancels out
        continue;
      }
      curvature += costs[e].derivative(x[e]);
    }
    for (auto e : od.paths[best].links)
      if (mark[e] != stamp) curvature += costs[e].derivative(x[e]);
    for (auto e : od.paths[best].links) mark[e] = stamp;  // restore the marking of `best` for the next path
    double shift = curvature > 0 ? std::min(p.flow, difference / curvature) : p.flow;
    p.flow -= shift;
    od.paths[best].flow += shift;
    for (auto e : p.links) x[e] -= shift;
    for (auto e : od.paths[best].links) x[e] += shift;
    best_cost = path_cost(costs, x, od.paths[best].links);
  }
  std::vector<path> kept;
  for (std::size_t k = 0; k < od.paths.size(); ++k)
    if (k == best || od.paths[k].flow > 0) kept.push_back(std::move(od.paths[k]));
  od.paths = std::move(kept);
}

// Warm start: the previous solution's paths that avoid closed links, with their flows.
void keep_usable_paths(const assignment_result& previous, const std::vector<link_cost>& costs,
                       const std::vector<origin_demand>& origins, std::vector<std::vector<od_pair>>& pairs,
                       std::vector<double>& x) {
  auto usable = [&](const std::vector<segment_id>& links) {
    return std::none_of(links.begin(), links.end(), [&](segment_id e) { return costs[e].closed; });
  };
  for (std::size_t o = 0; o < origins.size(); ++o)
    for (auto& od : pairs[o]) {
      auto it = std::lower_bound(previous.paths.begin(), previous.paths.end(), std::pair(origins[o].origin, od.destination),
                                 [](const od_paths& p, const std::pair<node_index, node_index>& key) {
                                   return std::pair(p.origin, p.destination) < key;
                                 });
      if (it == previous.paths.end() || it->origin != origins[o].origin || it->destination != od.destination) continue;
      double room = od.demand;
      for (const auto& [links, flow] : it->paths) {
        if (!usable(links) || room <= 0) continue;
        double kept = std::min(flow, room);
        room -= kept;
        od.paths.push_back({links, kept});
        for (auto e : links) x[e] += kept;
      }
    }
}

}  // namespace

assignment_result solve_by_gradient_projection(const city_graph& graph, const std::vector<link_cost>& costs,
                                               const assignment_options& options,
                                               const std::function<void(const assignment_iteration&)>& on_iteration,
                                               const assignment_result* previous) {
  assignment_result result;
  const auto origins = group_by_origin(graph);
  const std::size_t m = graph.segments.size();
  std::vector<std::vector<od_pair>> pairs(origins.size());
  for (std::size_t o = 0; o < origins.size(); ++o)
    for (const auto& [dest, demand] : origins[o].destinations) pairs[o].push_back({dest, demand, {}});
  std::vector<double> x(m, 0);
  if (previous != nullptr) keep_usable_paths(*previous, costs, origins, pairs, x);
  std::vector<std::uint32_t> mark(m, 0);
  std::uint32_t stamp = 0;
  tree_scratch tree;
  for (int k = 1;; ++k) {
    // One sweep: each origin's tree on the current flows, then every OD pair of that origin.
    for (std::size_t o = 0; o < origins.size(); ++o) {
      shortest_tree(graph, travel_times_at(costs, x), origins[o].origin, tree);
      for (auto& od : pairs[o]) {
        if (tree.distance[od.destination] == unreachable) continue;
        auto shortest = tree_path(graph, tree, origins[o].origin, od.destination);
        auto it = std::find_if(od.paths.begin(), od.paths.end(), [&](const path& p) { return p.links == shortest; });
        std::size_t best = static_cast<std::size_t>(it - od.paths.begin());
        if (it == od.paths.end()) od.paths.push_back({std::move(shortest), 0});
        // Demand not yet on any path (first sweep, or paths lost to a closure) goes on the shortest.
        double assigned = 0;
        for (const auto& p : od.paths) assigned += p.flow;
        if (double missing = od.demand - assigned; missing > 0) {
          od.paths[best].flow += missing;
          for (auto e : od.paths[best].links) x[e] += missing;
        }
        equilibrate(costs, x, od, best, mark, stamp);
      }
    }
    record_iteration(k, graph, costs, x, origins, options, on_iteration, result);
    if (result.converged || k >= options.max_iterations) break;
  }
  for (std::size_t o = 0; o < origins.size(); ++o)
    for (auto& od : pairs[o]) {
      od_paths out{origins[o].origin, od.destination, {}};
      for (auto& p : od.paths)
        if (p.flow > 0) out.paths.push_back({std::move(p.links), p.flow});
      result.paths.push_back(std::move(out));
    }
  std::sort(result.paths.begin(), result.paths.end(), [](const od_paths& a, const od_paths& b) {
    return std::pair(a.origin, a.destination) < std::pair(b.origin, b.destination);
  });
  finish_result(costs, std::move(x), result);
  return result;
}

}  // namespace citytwin
