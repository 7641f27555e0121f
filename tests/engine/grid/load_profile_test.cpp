// Daily load and occupancy profiles: peak exactly 1, hourly values at half past, smooth and wrapping.
#include "engine/grid/load_profile.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace citytwin {

namespace {
constexpr building_type all_types[] = {building_type::residential, building_type::commercial,
                                       building_type::industrial, building_type::public_use};
constexpr sim_time half_past(int hour) { return hour * ms_per_hour + ms_per_hour / 2; }
}  // namespace

TEST(grid_load_profile, every_profile_peaks_at_exactly_one) {
  for (building_type type : all_types) {
    const auto& p = parameters_of(type);
    EXPECT_EQ(*std::max_element(p.hourly_load.begin(), p.hourly_load.end()), 1.0) << to_string(type);
    for (double f : p.hourly_load) EXPECT_GT(f, 0);
    for (double f : p.hourly_occupancy) {
      EXPECT_GE(f, 0);
      EXPECT_LE(f, 1);
    }
    EXPECT_GT(p.load_density_w_per_m2, 0);
    EXPECT_GT(p.power_factor, 0.8);
    EXPECT_LE(p.power_factor, 1);
  }
  EXPECT_EQ(parameters_of(building_type::residential).load_density_w_per_m2, 15);
  EXPECT_EQ(parameters_of(building_type::commercial).load_density_w_per_m2, 40);
  EXPECT_EQ(parameters_of(building_type::industrial).load_density_w_per_m2, 30);
  EXPECT_EQ(parameters_of(building_type::public_use).load_density_w_per_m2, 25);
}

TEST(grid_load_profile, homes_peak_in_the_evening_and_offices_by_day) {
  building_spec home;
  home.type = building_type::residential;
  home.floor_area_m2 = 1'000;
  home.peak_kw = peak_kw_for(home.type, home.floor_area_m2);
  EXPECT_DOUBLE_EQ(home.peak_kw, 15);
  EXPECT_DOUBLE_EQ(load_kw_at(home, half_past(19)), 15);
  EXPECT_LT(load_kw_at(home, half_past(3)), 0.5 * 15);
  building_spec office = home;
  office.type = building_type::commercial;
  office.peak_kw = peak_kw_for(office.type, office.floor_area_m2);
  EXPECT_DOUBLE_EQ(load_kw_at(office, half_past(11)), 40);
  EXPECT_GT(load_kw_at(office, half_past(11)), 2 * load_kw_at(office, half_past(22)));
  office.occupants = occupants_for(office.type, office.floor_area_m2);
  EXPECT_DOUBLE_EQ(office.occupants, 50);  // 20 m2 per occupant
  EXPECT_LT(occupants_at(office, half_past(2)), 2);
  EXPECT_GT(occupants_at(office, half_past(10)), 40);
}

TEST(grid_load_profile, interpolates_between_half_hours_and_wraps_around_midnight) {
  const auto& h = parameters_of(building_type::residential).hourly_load;
  EXPECT_DOUBLE_EQ(load_factor_at(building_type::residential, 7 * ms_per_hour), (h[6] + h[7]) / 2);
  EXPECT_DOUBLE_EQ(load_factor_at(building_type::residential, 0), (h[23] + h[0]) / 2);
  EXPECT_DOUBLE_EQ(load_factor_at(building_type::residential, ms_per_day + half_past(5)), h[5]);
  EXPECT_DOUBLE_EQ(load_factor_at(building_type::residential, -ms_per_hour / 2), h[23]);
  // No steps: a minute apart never differs by more than a minute's share of the largest hourly change.
  for (building_type type : all_types)
    for (sim_time t = 0; t < ms_per_day; t += 60'000)
      EXPECT_LT(std::abs(load_factor_at(type, t + 60'000) - load_factor_at(type, t)), 0.35 / 60) << t;
}

TEST(grid_load_profile, reactive_power_follows_the_power_factor) {
  EXPECT_NEAR(reactive_kvar(100, 0.95), 32.868, 1e-3);
  EXPECT_EQ(reactive_kvar(100, 1), 0);
}

}  // namespace citytwin
