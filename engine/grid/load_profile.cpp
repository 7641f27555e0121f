// The load densities, power factors, occupancies and daily profiles per building type, with their reasons.
#include "engine/grid/load_profile.hpp"

#include <cmath>

namespace citytwin {

namespace {

// Load densities are per m2 of gross floor area at the building's own peak, after diversity within the
// building (not the sum of nameplates), for buildings without electric space heating:
//  - residential 15 W/m2: distribution planners use an after-diversity maximum demand (ADMD) of roughly
//    1-2 kW per dwelling for homes without electric heating (UK ENA/DNO practice, German VDN planning
//    figures); a 90 m2 dwelling at 15 W/m2 is 1.35 kW.
//  - commercial 40 W/m2: offices and shops with lighting, IT and cooling; CIBSE Guide F and BSRIA "Rules of
//    Thumb" give 25-60 W/m2 of total electrical demand for offices and 40-60 W/m2 for retail.
//  - industrial 30 W/m2: a mix of warehouses (10-15 W/m2) and light manufacturing (30-50 W/m2).
//  - public 25 W/m2: schools and administration 15-30 W/m2; hospitals higher (40-60) but rarer.
// Power factors: homes with mostly resistive and electronic loads 0.95; commercial tariffs require at
// least 0.9 (0.92 assumed); motor-heavy industry 0.88; public buildings 0.93.
// Floor per occupant: EU dwelling floor per person ~40 m2; offices ~12 m2 per workplace, shops fewer
// people, so 20 m2 for commercial; industry 60 m2; schools ~10 m2 per pupil, so 15 m2 for public.
//
// Daily profiles are weekday shapes normalized to 1 at the peak hour. Residential follows the shape of the
// BDEW standard load profile H0 (winter weekday: morning shoulder, evening peak 18-21 h); commercial
// follows G1/G0 (business hours 8-18 h); industrial is a two-shift plant (6-22 h) with a night base load;
// public follows school and office hours. Values are rounded shapes, not copies of the published tables.
// Occupancy profiles are the matching presence patterns (people at home at night, at work by day).
const building_type_parameters residential{
    15,
    0.95,
    40,
    {0.45, 0.38, 0.34, 0.32, 0.32, 0.35, 0.45, 0.60, 0.62, 0.58, 0.56, 0.58,
     0.64, 0.62, 0.56, 0.54, 0.58, 0.72, 0.90, 1.00, 0.96, 0.86, 0.72, 0.56},
    {0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.93, 0.80, 0.50, 0.40, 0.38, 0.38,
     0.40, 0.40, 0.38, 0.40, 0.50, 0.65, 0.80, 0.88, 0.90, 0.92, 0.94, 0.95}};

const building_type_parameters commercial{
    40,
    0.92,
    20,
    {0.30, 0.28, 0.28, 0.28, 0.28, 0.30, 0.38, 0.55, 0.78, 0.92, 0.98, 1.00,
     0.97, 0.96, 0.98, 0.96, 0.90, 0.80, 0.66, 0.52, 0.44, 0.38, 0.34, 0.32},
    {0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.15, 0.55, 0.90, 0.90, 0.90,
     0.75, 0.85, 0.90, 0.90, 0.90, 0.60, 0.30, 0.15, 0.10, 0.05, 0.05, 0.05}};

const building_type_parameters industrial{
    30,
    0.88,
    60,
    {0.42, 0.42, 0.42, 0.42, 0.42, 0.50, 0.80, 0.95, 1.00, 1.00, 1.00, 0.98,
     0.90, 0.97, 0.98, 0.96, 0.92, 0.88, 0.85, 0.80, 0.72, 0.62, 0.50, 0.45},
    {0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.80, 0.90, 0.90, 0.90, 0.90, 0.90,
     0.90, 0.90, 0.85, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70, 0.20, 0.10}};

const building_type_parameters public_use{
    25,
    0.93,
    15,
    {0.22, 0.22, 0.22, 0.22, 0.22, 0.25, 0.35, 0.65, 0.92, 1.00, 1.00, 0.98,
     0.90, 0.92, 0.88, 0.78, 0.62, 0.48, 0.40, 0.35, 0.30, 0.26, 0.24, 0.22},
    {0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.20, 0.80, 0.95, 0.95, 0.95,
     0.95, 0.85, 0.80, 0.60, 0.35, 0.20, 0.12, 0.08, 0.08, 0.02, 0.02, 0.02}};

double interpolate_hourly(const std::array<double, 24>& hourly, sim_time_of_day time_of_day) {
  sim_time t = time_of_day % ms_per_day;
  if (t < 0) t += ms_per_day;
  // Hour h's value sits at h:30; find the two midpoints around t.
  const double hours = static_cast<double>(t) / static_cast<double>(ms_per_hour) - 0.5;
  const double floor_hours = std::floor(hours);
  const double weight = hours - floor_hours;
  const int before = (static_cast<int>(floor_hours) + 24) % 24;
  const int after = (before + 1) % 24;
  return hourly[before] * (1 - weight) + hourly[after] * weight;
}

}  // namespace

const building_type_parameters& parameters_of(building_type type) {
  switch (type) {
    case building_type::residential:
      return residential;
    case building_type::commercial:
      return commercial;
    case building_type::industrial:
      return industrial;
    case building_type::public_use:
      return public_use;
  }
  return residential;
}

double peak_kw_for(building_type type, double floor_area_m2) {
  return parameters_of(type).load_density_w_per_m2 * floor_area_m2 / 1000.0;
}

double occupants_for(building_type type, double floor_area_m2) {
  return floor_area_m2 / parameters_of(type).floor_m2_per_occupant;
}

double reactive_kvar(double kw, double power_factor) {
  if (power_factor >= 1) return 0;
  return kw * std::sqrt(1 - power_factor * power_factor) / power_factor;
}

double load_factor_at(building_type type, sim_time_of_day time_of_day) {
  return interpolate_hourly(parameters_of(type).hourly_load, time_of_day);
}

double occupancy_factor_at(building_type type, sim_time_of_day time_of_day) {
  return interpolate_hourly(parameters_of(type).hourly_occupancy, time_of_day);
}

double load_kw_at(const building_spec& building, sim_time_of_day time_of_day) {
  return building.peak_kw * load_factor_at(building.type, time_of_day);
}

double occupants_at(const building_spec& building, sim_time_of_day time_of_day) {
  return building.occupants * occupancy_factor_at(building.type, time_of_day);
}

}  // namespace citytwin
