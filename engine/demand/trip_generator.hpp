#pragma once
// Turns an hourly trip table into individual departures, deterministically for a seed.

#include <cstdint>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"

namespace citytwin {

struct trip {
  std::uint32_t vehicle_id = 0;  // rank in (departure, origin, destination) order
  node_index origin = 0;
  node_index destination = 0;
  sim_time departure = 0;
  bool operator==(const trip&) const = default;
};

struct demand_options {
  std::uint64_t seed = 1;
  double scale = 1;                       // multiplies every flow (veh/h)
  sim_time period = ms_per_hour;          // departures are spread over [0, period)
  double synthetic_trips_per_hour = 2000; // used only when the city has no trip table (OSM)
  bool operator==(const demand_options&) const = default;
};

struct trip_plan {
  std::vector<trip> trips;
  std::uint64_t skipped_intrazonal = 0;  // trips whose origin is their destination
  bool synthetic = false;
};

trip_plan generate_trips(const city_graph& graph, const demand_options& options);

}  // namespace citytwin
