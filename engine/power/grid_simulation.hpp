#pragma once
// A city's grid over a day: building actors draw their profiles, the utility node actors solve
// the load flow every step, overloaded branches trip after their tolerance (taking everything
// below them out), breakers open and close on schedule, and buildings count the energy they
// could not get.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/clock/sim_time.hpp"
#include "engine/grid/city_grid.hpp"
#include "engine/power/load_flow.hpp"

namespace citytwin {

struct breaker_action {
  sim_time at = 0;
  std::int64_t bus = 0;  // the breaker on the branch feeding this bus
  bool close = false;
};

struct grid_simulation_options {
  sim_time start_time_of_day = 0;      // the clock time at t = 0
  sim_time duration = 24 * ms_per_hour;
  sim_time step = 15 * 60 * ms_per_second;
  // How long a line or transformer may carry more than its rating before it trips.
  sim_time overload_tolerance = 20 * 60 * ms_per_second;
  double load_scale = 1;  // every building's draw times this (a heat wave, a design margin)
  std::vector<breaker_action> actions;
  std::uint32_t threads = 0;
  load_flow_options load_flow;
};

enum class grid_event_kind { tripped, opened, closed };

struct grid_event {
  sim_time at = 0;
  std::int64_t bus = 0;
  grid_event_kind kind = grid_event_kind::tripped;
  double loading = 0;  // when it tripped
};

// A bus without power from `from` until `to` (the end of the run if never restored).
struct bus_outage {
  std::int64_t bus = 0;
  sim_time from = 0;
  sim_time to = 0;
};

struct grid_step {
  sim_time at = 0;
  double load_kw = 0;
  double losses_kw = 0;
  double min_voltage_pu = 0;
  double max_loading = 0;  // the most loaded line or transformer, as a fraction of its rating
  std::uint32_t de_energized_buses = 0;
  bool converged = false;
};

struct grid_simulation_result {
  std::vector<grid_step> steps;
  std::vector<grid_event> events;
  std::vector<bus_outage> outages;
  std::vector<building_snapshot> buildings;  // at the end: unserved energy, hours without power
  double unserved_kwh = 0;
  double building_hours_without_power = 0;
  double peak_load_kw = 0;
  double wall_seconds = 0;
};

grid_simulation_result run_grid_simulation(const city_grid& grid, const grid_simulation_options& options);

// The network of a city grid as the actors use it: bus loads come from the buildings.
power_case network_without_building_loads(const city_grid& grid);

}  // namespace citytwin
