#pragma once
// Trips from a city's building stock: people drive from home to work in the morning and back in
// the evening; each commuter's workplace is drawn with a gravity model (jobs at a place, damped
// by distance). This is how an OSM city, which has buildings but no trip table, gets demand.

#include <array>
#include <cstdint>
#include <vector>

#include "engine/demand/trip_generator.hpp"
#include "engine/grid/building_stock.hpp"

namespace citytwin {

struct building_trip_options {
  std::uint64_t seed = 1;
  sim_time start_time_of_day = 7 * ms_per_hour;  // the clock time of the window's start
  sim_time period = ms_per_hour;                 // departures fall in [start, start + period)
  // Commuters who drive, per resident: about half of residents work (EU employment rate ~0.5 of all
  // residents) and a third of them commute by car in a mid-sized European city.
  double car_commuters_per_resident = 0.5 * 0.35;
  double distance_decay_per_km = 0.1;  // gravity deterrence exp(-b d): typical urban commute models
  // Share of the day's home-to-work departures in each hour (and of work-to-home ones); each sums to 1.
  std::array<double, 24> to_work_by_hour{0, 0, 0, 0, 0, 0.02, 0.10, 0.30, 0.28, 0.14, 0.06, 0.03,
                                         0.02, 0.02, 0.01, 0.01, 0.01, 0, 0, 0, 0, 0, 0, 0};
  std::array<double, 24> to_home_by_hour{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.02,
                                         0.04, 0.04, 0.05, 0.10, 0.20, 0.25, 0.16, 0.08, 0.04, 0.02, 0, 0};
};

// Residents live in residential buildings; jobs are the design occupants of all other buildings.
// Deterministic for a seed; vehicle ids as generate_trips gives them.
trip_plan building_trips(const city_graph& graph, const std::vector<building_spec>& buildings,
                         const building_trip_options& options);

}  // namespace citytwin
