#include "engine/demand/trip_generator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

#include "engine/random/counter_rng.hpp"

namespace citytwin {

namespace {

// Separate entity spaces so table rows and synthetic trips never share a random stream.
constexpr std::uint64_t table_stream = 1ULL << 40;
constexpr std::uint64_t synthetic_stream = 2ULL << 40;

// Each OD flow gives floor(n) trips plus one with probability frac(n), evenly spaced
// over the period with a random phase, so a flow's headways are regular (D/D/1 friendly).
void from_table(const city_graph& g, const demand_options& o, trip_plan& plan) {
  const double hours = static_cast<double>(o.period) / ms_per_hour;
  for (std::size_t i = 0; i < g.demand.size(); ++i) {
    const auto& od = g.demand[i];
    double expected = od.vehicles_per_hour * o.scale * hours;
    auto count = static_cast<std::uint64_t>(std::floor(expected));
    if (random_unit(o.seed, table_stream + i, 0) < expected - std::floor(expected)) ++count;
    if (count == 0) continue;
    if (od.origin == od.destination) {
      plan.skipped_intrazonal += count;
      continue;
    }
    double phase = random_unit(o.seed, table_stream + i, 1);
    double spacing = static_cast<double>(o.period) / static_cast<double>(count);
    for (std::uint64_t k = 0; k < count; ++k) {
      auto t = static_cast<sim_time>((static_cast<double>(k) + phase) * spacing);
      plan.trips.push_back({0, od.origin, od.destination, std::min(t, o.period - 1)});
    }
  }
}

// Cities without a trip table (OSM) get uniform random trips between zones.
void synthetic(const city_graph& g, const demand_options& o, trip_plan& plan) {
  std::vector<node_index> zones;
  for (node_index n = 0; n < g.nodes.size(); ++n)
    if (g.nodes[n].is_zone) zones.push_back(n);
  if (zones.size() < 2) throw std::invalid_argument("the city has no trip table and fewer than two zones");
  plan.synthetic = true;
  auto count = static_cast<std::uint64_t>(
      std::llround(o.synthetic_trips_per_hour * o.scale * static_cast<double>(o.period) / ms_per_hour));
  for (std::uint64_t k = 0; k < count; ++k) {
    auto origin = zones[random_bits(o.seed, synthetic_stream + k, 0) % zones.size()];
    auto destination = zones[random_bits(o.seed, synthetic_stream + k, 1) % zones.size()];
    if (origin == destination) {
      ++plan.skipped_intrazonal;
      continue;
    }
    auto t = static_cast<sim_time>(random_unit(o.seed, synthetic_stream + k, 2) * static_cast<double>(o.period));
    plan.trips.push_back({0, origin, destination, t});
  }
}

}  // namespace

trip_plan generate_trips(const city_graph& graph, const demand_options& options) {
  if (!(options.scale >= 0) || !std::isfinite(options.scale)) throw std::invalid_argument("demand scale must be >= 0");
  if (options.period <= 0) throw std::invalid_argument("demand period must be positive");
  trip_plan plan;
  if (graph.demand.empty()) synthetic(graph, options, plan);
  else from_table(graph, options, plan);
  std::stable_sort(plan.trips.begin(), plan.trips.end(), [](const trip& a, const trip& b) {
    return std::tie(a.departure, a.origin, a.destination) < std::tie(b.departure, b.origin, b.destination);
  });
  for (std::size_t i = 0; i < plan.trips.size(); ++i) plan.trips[i].vehicle_id = static_cast<std::uint32_t>(i);
  return plan;
}

}  // namespace citytwin
