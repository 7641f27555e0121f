#include "engine/demand/demand_surge.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "engine/random/counter_rng.hpp"

namespace citytwin {

namespace {

// Draw number of the destination choice, apart from the draws the traffic model makes per vehicle.
constexpr std::uint64_t destination_draw = 0x5e'7e'de'57ULL;

}  // namespace

std::vector<double> surge_destination_weights(const city_graph& graph, node_index origin) {
  std::vector<double> weights(graph.nodes.size(), 0.0);
  for (const auto& d : graph.demand)
    if (d.origin == origin && d.destination != origin) weights[d.destination] += d.vehicles_per_hour;
  if (std::accumulate(weights.begin(), weights.end(), 0.0) > 0) return weights;
  for (const auto& d : graph.demand)
    if (d.destination != origin) weights[d.destination] += d.vehicles_per_hour;
  if (std::accumulate(weights.begin(), weights.end(), 0.0) > 0) return weights;
  for (node_index n = 0; n < graph.nodes.size(); ++n)
    if (n != origin && graph.in_begin[n + 1] > graph.in_begin[n]) weights[n] = 1;
  return weights;
}

std::vector<trip> surge_trips(const city_graph& graph, const demand_surge& surge, std::uint64_t seed,
                              std::uint32_t first_vehicle_id) {
  if (surge.origin >= graph.nodes.size()) throw std::invalid_argument("surge origin is not a node of " + graph.name);
  const auto weights = surge_destination_weights(graph, surge.origin);
  std::vector<double> cumulative(weights.size());
  std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
  const double total = cumulative.empty() ? 0 : cumulative.back();
  if (total <= 0)
    throw std::invalid_argument("a surge from node " + std::to_string(graph.nodes[surge.origin].external_id) +
                                " has nowhere to go in " + graph.name);
  std::vector<trip> trips;
  trips.reserve(surge.vehicles);
  for (std::uint32_t k = 0; k < surge.vehicles; ++k) {
    trip t;
    t.vehicle_id = first_vehicle_id + k;
    t.origin = surge.origin;
    const double u = random_unit(seed, t.vehicle_id, destination_draw) * total;
    t.destination = static_cast<node_index>(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
    t.destination = std::min<node_index>(t.destination, static_cast<node_index>(weights.size() - 1));
    t.departure = surge.start + surge.duration * static_cast<sim_time>(k) / static_cast<sim_time>(surge.vehicles);
    trips.push_back(t);
  }
  return trips;
}

}  // namespace citytwin
