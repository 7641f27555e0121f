#pragma once
// How much power a building draws and how many people are in it, by type and hour of the day.

#include <array>

#include "engine/clock/sim_time.hpp"
#include "engine/grid/building_stock.hpp"

namespace citytwin {

// Milliseconds since local midnight. Any value is taken modulo one day (negative ones too), so a run that
// starts at 06:00 passes 6 * ms_per_hour + its sim_time.
using sim_time_of_day = sim_time;
inline constexpr sim_time ms_per_day = 24 * ms_per_hour;

struct building_type_parameters {
  double load_density_w_per_m2 = 0;  // the building's own peak per m2 of floor, after diversity inside it
  double power_factor = 1;           // lagging
  double floor_m2_per_occupant = 0;  // design occupancy
  // Fractions of peak load and of design occupants present in hour h (h:00 to h+1:00) of a weekday.
  // Each load profile's largest value is exactly 1, so peak_kw is the building's largest draw.
  std::array<double, 24> hourly_load{};
  std::array<double, 24> hourly_occupancy{};
};

// The documented table (sources and reasoning in load_profile.cpp).
const building_type_parameters& parameters_of(building_type type);

double peak_kw_for(building_type type, double floor_area_m2);
double occupants_for(building_type type, double floor_area_m2);

// Reactive power drawn with `kw` at a lagging power factor.
double reactive_kvar(double kw, double power_factor);

// The hourly value applies at the middle of its hour; in between, linear interpolation (wrapping at
// midnight), so profiles have no steps. At hh:30 the value is exactly hourly_load[hh].
double load_factor_at(building_type type, sim_time_of_day time_of_day);
double occupancy_factor_at(building_type type, sim_time_of_day time_of_day);

double load_kw_at(const building_spec& building, sim_time_of_day time_of_day);
double occupants_at(const building_spec& building, sim_time_of_day time_of_day);

}  // namespace citytwin
