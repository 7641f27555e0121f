#include "engine/demand/trip_generator.hpp"

#include <gtest/gtest.h>

#include "tests/support/toy_city.hpp"

namespace citytwin {

namespace {
city_graph two_zones(double flow) {
  return testing::make_city(2, {{0, 1, 100, 10, 1000}, {1, 0, 100, 10, 1000}}, {{0, 1, flow}, {1, 1, 5}});
}
}  // namespace

TEST(trip_generator, spreads_whole_flows_evenly_over_the_period) {
  auto plan = generate_trips(two_zones(60), {7, 1, ms_per_hour, 0});
  ASSERT_EQ(plan.trips.size(), 60u);
  for (std::size_t i = 1; i < plan.trips.size(); ++i)
    EXPECT_NEAR(plan.trips[i].departure - plan.trips[i - 1].departure, 60'000, 1);
  EXPECT_EQ(plan.skipped_intrazonal, 5u);
}

TEST(trip_generator, fractional_flows_round_by_a_seeded_draw) {
  std::size_t total = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) total += generate_trips(two_zones(0.25), {seed, 1, ms_per_hour, 0}).trips.size();
  EXPECT_NEAR(static_cast<double>(total) / 400, 0.25, 0.07);
}

TEST(trip_generator, is_a_pure_function_of_the_seed) {
  auto a = generate_trips(two_zones(33.3), {11, 1, ms_per_hour, 0});
  auto b = generate_trips(two_zones(33.3), {11, 1, ms_per_hour, 0});
  auto c = generate_trips(two_zones(33.3), {12, 1, ms_per_hour, 0});
  ASSERT_EQ(a.trips.size(), b.trips.size());
  for (std::size_t i = 0; i < a.trips.size(); ++i) EXPECT_EQ(a.trips[i].departure, b.trips[i].departure);
  EXPECT_NE(a.trips.front().departure, c.trips.front().departure);
}

TEST(trip_generator, scale_multiplies_and_ids_follow_departure_order) {
  auto plan = generate_trips(two_zones(100), {3, 0.5, ms_per_hour, 0});
  EXPECT_EQ(plan.trips.size(), 50u);
  for (std::size_t i = 0; i < plan.trips.size(); ++i) EXPECT_EQ(plan.trips[i].vehicle_id, i);
}

TEST(trip_generator, synthesizes_trips_between_zones_when_there_is_no_table) {
  auto g = two_zones(1);
  g.demand.clear();
  auto plan = generate_trips(g, {5, 1, ms_per_hour, 300});
  EXPECT_TRUE(plan.synthetic);
  EXPECT_EQ(plan.trips.size() + plan.skipped_intrazonal, 300u);
  for (const auto& t : plan.trips) EXPECT_NE(t.origin, t.destination);
}

}  // namespace citytwin
