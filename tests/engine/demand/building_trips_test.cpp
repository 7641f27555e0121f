// Commuting demand from a real building stock (north of Bayreuth): homes to jobs in the morning,
// back in the evening, in the numbers the rates give, deterministic for a seed.

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "engine/demand/building_trips.hpp"
#include "engine/grid/footprint_geometry.hpp"
#include "engine/import/city_loader.hpp"

namespace citytwin {

namespace {

struct town {
  loaded_city city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/osm/north-bayreuth.osm.gz");
  std::vector<building_spec> buildings = read_osm_buildings(city.source, city.graph);
};

const town& bayreuth() {
  static const town t;
  return t;
}

std::set<node_index> nodes_with(const town& t, bool residential) {
  std::set<node_index> out;
  for (const auto& b : t.buildings)
    if ((b.type == building_type::residential) == residential && b.occupants > 0) out.insert(b.nearest_road_node);
  return out;
}

double mean_distance_m(const town& t, const trip_plan& plan) {
  const graph_frame frame(t.city.graph);
  double sum = 0;
  for (const trip& x : plan.trips) {
    const auto a = frame.to_metres(t.city.graph.nodes[x.origin].x, t.city.graph.nodes[x.origin].y);
    const auto b = frame.to_metres(t.city.graph.nodes[x.destination].x, t.city.graph.nodes[x.destination].y);
    sum += std::hypot(a.x - b.x, a.y - b.y);
  }
  return sum / static_cast<double>(plan.trips.size());
}

}  // namespace

TEST(building_trips, mornings_go_from_homes_to_jobs_in_the_numbers_the_rates_give) {
  const town& t = bayreuth();
  building_trip_options options;
  options.start_time_of_day = 7 * ms_per_hour;
  options.period = ms_per_hour;
  const trip_plan plan = building_trips(t.city.graph, t.buildings, options);
  double residents = 0;
  for (const auto& b : t.buildings)
    if (b.type == building_type::residential) residents += b.occupants;
  const auto homes = nodes_with(t, true);
  const auto jobs = nodes_with(t, false);
  // 07:00-08:00 holds 30 % of the day's departures to work; each home node rounds its count once.
  const double expected = residents * options.car_commuters_per_resident * 0.30;
  EXPECT_NEAR(static_cast<double>(plan.trips.size()), expected, static_cast<double>(homes.size()));
  EXPECT_GT(plan.trips.size(), 100u);
  for (const trip& x : plan.trips) {
    EXPECT_TRUE(homes.count(x.origin));
    EXPECT_TRUE(jobs.count(x.destination));
    EXPECT_NE(x.origin, x.destination);
    EXPECT_GE(x.departure, 0);
    EXPECT_LT(x.departure, options.period);
  }
}

TEST(building_trips, evenings_go_from_jobs_to_homes) {
  const town& t = bayreuth();
  building_trip_options options;
  options.start_time_of_day = 17 * ms_per_hour;
  const trip_plan plan = building_trips(t.city.graph, t.buildings, options);
  ASSERT_GT(plan.trips.size(), 100u);
  const auto homes = nodes_with(t, true);
  const auto jobs = nodes_with(t, false);
  for (const trip& x : plan.trips) {
    EXPECT_TRUE(jobs.count(x.origin));
    EXPECT_TRUE(homes.count(x.destination));
  }
  options.start_time_of_day = 2 * ms_per_hour;  // nobody commutes at 2 a.m.
  EXPECT_TRUE(building_trips(t.city.graph, t.buildings, options).trips.empty());
}

TEST(building_trips, the_same_seed_gives_the_same_trips_and_distance_deters) {
  const town& t = bayreuth();
  building_trip_options options;
  const trip_plan a = building_trips(t.city.graph, t.buildings, options);
  const trip_plan b = building_trips(t.city.graph, t.buildings, options);
  ASSERT_EQ(a.trips.size(), b.trips.size());
  for (std::size_t i = 0; i < a.trips.size(); ++i) {
    EXPECT_EQ(a.trips[i].origin, b.trips[i].origin);
    EXPECT_EQ(a.trips[i].destination, b.trips[i].destination);
    EXPECT_EQ(a.trips[i].departure, b.trips[i].departure);
    EXPECT_EQ(a.trips[i].vehicle_id, i);
  }
  options.distance_decay_per_km = 1.0;
  const trip_plan steep = building_trips(t.city.graph, t.buildings, options);
  EXPECT_LT(mean_distance_m(t, steep), mean_distance_m(t, a));
}

}  // namespace citytwin
