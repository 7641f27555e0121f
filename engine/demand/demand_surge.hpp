#pragma once
// A localized demand surge: a crowd leaving one place (a stadium emptying) as extra trips on top of
// the ordinary demand. Departures are spread evenly over the surge's duration; each vehicle's
// destination is a counter-based draw keyed by (seed, vehicle id), so a surge is reproducible.

#include <cstdint>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"
#include "engine/demand/trip_generator.hpp"

namespace citytwin {

struct demand_surge {
  node_index origin = 0;
  std::uint32_t vehicles = 0;
  sim_time start = 0;      // absolute simulated time of the first departure
  sim_time duration = 0;   // departures in [start, start + duration)
};

// Where the crowd goes, as weights by node: the trip table's flows out of the origin (people go
// where the origin's ordinary trips go); if it has none, every node's total attraction in the trip
// table; without a trip table, every node other than the origin that a road reaches, equally.
std::vector<double> surge_destination_weights(const city_graph& graph, node_index origin);

// The surge's trips, vehicle ids from `first_vehicle_id` up in departure order. Throws
// std::invalid_argument when no destination can be reached.
std::vector<trip> surge_trips(const city_graph& graph, const demand_surge& surge, std::uint64_t seed,
                              std::uint32_t first_vehicle_id);

}  // namespace citytwin
