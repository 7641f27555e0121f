#include "engine/assignment/all_or_nothing.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <queue>
#include <thread>

namespace citytwin {

namespace {
// Origins are split into this many fixed batches whatever the thread count, and batch results
// are added in batch order: the sums, and so the solution, never depend on the threads.
constexpr std::size_t origin_batches = 64;
}  // namespace

std::vector<origin_demand> group_by_origin(const city_graph& g) {
  std::vector<origin_demand> out;
  std::vector<std::int64_t> slot(g.nodes.size(), -1);
  for (const auto& d : g.demand) {
    if (d.vehicles_per_hour <= 0 || d.origin == d.destination) continue;  // intrazonal trips use no link
    if (slot[d.origin] < 0) {
      slot[d.origin] = static_cast<std::int64_t>(out.size());
      out.push_back({d.origin, {}});
    }
    out[slot[d.origin]].destinations.push_back({d.destination, d.vehicles_per_hour});
  }
  std::sort(out.begin(), out.end(), [](const origin_demand& a, const origin_demand& b) { return a.origin < b.origin; });
  return out;
}

void shortest_tree(const city_graph& g, const std::vector<double>& times, node_index origin, tree_scratch& s) {
  const auto n = g.nodes.size();
  s.distance.assign(n, unreachable);
  s.parent.assign(n, no_segment);
  s.settled.clear();
  using entry = std::pair<double, node_index>;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> frontier;
  s.distance[origin] = 0;
  frontier.push({0, origin});
  while (!frontier.empty()) {
    auto [d, u] = frontier.top();
    frontier.pop();
    if (d > s.distance[u]) continue;
    s.settled.push_back(u);
    if (u != origin && !g.nodes[u].through_allowed) continue;
    for (auto i = g.out_begin[u]; i < g.out_begin[u + 1]; ++i) {
      segment_id e = g.out_ids[i];
      double t = times[e];
      if (t == unreachable) continue;
      node_index v = g.segments[e].to;
      if (d + t < s.distance[v]) {
        s.distance[v] = d + t;
        s.parent[v] = e;
        frontier.push({d + t, v});
      }
    }
  }
}

namespace {

// Loads one origin's demand on its shortest paths; returns its share of the shortest-path travel time.
double load_origin(const city_graph& g, const std::vector<double>& times, const origin_demand& od, tree_scratch& s,
                   std::vector<double>& flows, std::uint64_t& unroutable) {
  shortest_tree(g, times, od.origin, s);
  s.node_load.assign(g.nodes.size(), 0);
  double sptt = 0;
  for (const auto& [dest, demand] : od.destinations) {
    if (s.distance[dest] == unreachable) {
      unroutable += static_cast<std::uint64_t>(std::ceil(demand));
      continue;
    }
    s.node_load[dest] += demand;
    sptt += demand * s.distance[dest];
  }
  // Push loads from the farthest nodes back to the origin along the tree.
  for (auto it = s.settled.rbegin(); it != s.settled.rend(); ++it) {
    node_index v = *it;
    if (s.node_load[v] == 0 || v == od.origin) continue;
    segment_id e = s.parent[v];
    flows[e] += s.node_load[v];
    s.node_load[g.segments[e].from] += s.node_load[v];
  }
  return sptt;
}

}  // namespace

all_or_nothing assign_all_or_nothing(const city_graph& g, const std::vector<double>& times,
                                     const std::vector<origin_demand>& origins, unsigned threads) {
  const std::size_t m = g.segments.size();
  const std::size_t batches = std::min(origin_batches, std::max<std::size_t>(1, origins.size()));
  std::vector<std::vector<double>> batch_flows(batches, std::vector<double>(m, 0));
  std::vector<double> batch_sptt(batches, 0);
  std::vector<std::uint64_t> batch_unroutable(batches, 0);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    tree_scratch scratch;
    for (std::size_t b = next++; b < batches; b = next++) {
      for (std::size_t o = b; o < origins.size(); o += batches)
        batch_sptt[b] += load_origin(g, times, origins[o], scratch, batch_flows[b], batch_unroutable[b]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  all_or_nothing result;
  result.flows.assign(m, 0);
  for (std::size_t b = 0; b < batches; ++b) {
    for (std::size_t e = 0; e < m; ++e) result.flows[e] += batch_flows[b][e];
    result.sptt += batch_sptt[b];
    result.unroutable += batch_unroutable[b];
  }
  return result;
}

std::vector<double> travel_times_at(const std::vector<link_cost>& costs, const std::vector<double>& flows) {
  std::vector<double> t(costs.size());
  for (std::size_t e = 0; e < costs.size(); ++e) t[e] = costs[e].closed ? unreachable : costs[e].time(flows[e]);
  return t;
}

double objective_at(const std::vector<link_cost>& costs, const std::vector<double>& flows) {
  double z = 0;
  for (std::size_t e = 0; e < costs.size(); ++e)
    if (!costs[e].closed) z += costs[e].integral(flows[e]);
  return z;
}

all_or_nothing record_iteration(int k, const city_graph& g, const std::vector<link_cost>& costs,
                                const std::vector<double>& x, const std::vector<origin_demand>& origins,
                                const assignment_options& options,
                                const std::function<void(const assignment_iteration&)>& on_iteration,
                                assignment_result& result) {
  auto times = travel_times_at(costs, x);
  auto aon = assign_all_or_nothing(g, times, origins, options.threads);
  double tstt = 0, total_demand = 0;
  for (std::size_t e = 0; e < costs.size(); ++e)
    if (!costs[e].closed) tstt += times[e] * x[e];
  for (const auto& o : origins)
    for (const auto& d : o.destinations) total_demand += d.second;
  result.relative_gap = tstt > 0 ? (tstt - aon.sptt) / tstt : 0;
  result.average_excess_cost = total_demand > 0 ? (tstt - aon.sptt) / total_demand : 0;
  result.unroutable_trips = aon.unroutable;
  result.iterations = k;
  result.converged = result.relative_gap <= options.relative_gap;
  if (on_iteration) on_iteration({k, objective_at(costs, x), result.relative_gap, result.average_excess_cost});
  return aon;
}

void finish_result(const std::vector<link_cost>& costs, std::vector<double> x, assignment_result& result) {
  result.costs = travel_times_at(costs, x);
  result.objective = objective_at(costs, x);
  result.total_system_travel_time = 0;
  for (std::size_t e = 0; e < costs.size(); ++e)
    if (!costs[e].closed) result.total_system_travel_time += result.costs[e] * x[e];
  result.flows = std::move(x);
}

}  // namespace citytwin
