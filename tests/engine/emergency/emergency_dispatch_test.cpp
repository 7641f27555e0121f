// Emergency units on Sioux Falls: the nearest free unit goes, a busy station's next incident waits
// or goes to another station, closures never make a response faster, vehicles are conserved, and
// the responses do not depend on the thread count.

#include <gtest/gtest.h>

#include "engine/emergency/emergency_dispatch.hpp"
#include "engine/import/city_loader.hpp"

namespace citytwin::testing {

namespace {

constexpr std::uint32_t first_unit_id = 1u << 31;

class emergency_dispatch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    city_ = new loaded_city(load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls"));
  }
  static void TearDownTestSuite() { delete city_; }

  static node_index node(std::int64_t number) {
    for (node_index n = 0; n < city_->graph.nodes.size(); ++n)
      if (city_->graph.nodes[n].external_id == number) return n;
    throw std::invalid_argument("no node " + std::to_string(number));
  }

  static segment_id segment(std::int64_t from, std::int64_t to) {
    for (const auto& s : city_->graph.segments)
      if (s.from == node(from) && s.to == node(to)) return s.id;
    throw std::invalid_argument("no segment");
  }

  struct run_outcome {
    std::vector<incident_response> responses;
    simulation_result result;
    double coverage = 0;
  };

  static run_outcome run(const emergency_plan& plan, std::vector<segment_control> controls = {},
                         std::uint32_t threads = 1, double demand_scale = 0.05) {
    simulation_options o;
    o.seed = 7;
    o.duration = ms_per_hour;
    o.demand_scale = demand_scale;
    o.threads = threads;
    o.check_invariants = true;
    o.controls = std::move(controls);
    emergency_dispatcher dispatcher(city_->graph, plan, first_unit_id);
    o.dispatch = dispatcher.hooks();
    const trip_plan trips = generate_trips(city_->graph, {o.seed, o.demand_scale, o.duration, o.synthetic_trips_per_hour});
    run_outcome out;
    out.result = run_simulation(city_->graph, trips, o);
    out.responses = dispatcher.responses(out.result);
    std::vector<node_index> all(city_->graph.nodes.size());
    for (node_index n = 0; n < all.size(); ++n) all[n] = n;
    out.coverage = dispatcher.coverage_share(all);
    return out;
  }

  static inline loaded_city* city_ = nullptr;
};

}  // namespace

TEST_F(emergency_dispatch, the_nearest_free_unit_goes_and_arrives_no_faster_than_free_flow) {
  emergency_plan plan;
  plan.stations = {{"north", node(1), 1}, {"south", node(20), 1}};
  plan.incidents = {{"i1", "fire", node(21), 10 * 60 * ms_per_second}};
  const auto out = run(plan);
  ASSERT_EQ(out.responses.size(), 1u);
  const incident_response& r = out.responses[0];
  ASSERT_TRUE(r.dispatched);
  EXPECT_EQ(r.station, "south");
  ASSERT_TRUE(r.response_time().has_value());
  sim_time freeflow = 0;
  for (segment_id s : r.route) freeflow += freeflow_ms(city_->graph.segments[s]);
  EXPECT_GE(*r.response_time(), freeflow);
  EXPECT_EQ(city_->graph.segments[r.route.back()].to, node(21));
  EXPECT_GT(out.coverage, 0);
  EXPECT_LE(out.coverage, 1);
}

TEST_F(emergency_dispatch, a_second_incident_gets_the_next_free_unit) {
  emergency_plan plan;
  plan.on_scene = 10 * 60 * ms_per_second;
  plan.stations = {{"only", node(10), 1}};
  plan.incidents = {{"a", "medical", node(16), 5 * 60 * ms_per_second}, {"b", "medical", node(15), 5 * 60 * ms_per_second}};
  const auto out = run(plan);
  ASSERT_EQ(out.responses.size(), 2u);
  const auto& first = out.responses[0];
  const auto& second = out.responses[1];
  ASSERT_TRUE(first.dispatched && second.dispatched);
  // The unit drives to "a", stays on scene, and is back before it can go to "b".
  EXPECT_EQ(second.dispatched_at / ms_per_second,
            (first.dispatched_at + 2 * first.expected_travel + plan.on_scene + ms_per_second - 1) / ms_per_second);
  EXPECT_GT(*second.response_time(), *first.response_time());
}

TEST_F(emergency_dispatch, closing_the_route_never_makes_the_response_faster) {
  emergency_plan plan;
  plan.stations = {{"station", node(10), 2}};
  plan.incidents = {{"i", "crash", node(20), 10 * 60 * ms_per_second}};
  const auto open = run(plan);
  ASSERT_TRUE(open.responses[0].response_time().has_value());
  std::vector<segment_control> closures;
  for (segment_id s : open.responses[0].route) closures.push_back({0, s, control_kind::close, 0});
  closures.pop_back();  // keep the last approach open, so the incident stays reachable
  const auto closed = run(plan, closures);
  ASSERT_TRUE(closed.responses[0].dispatched);
  ASSERT_TRUE(closed.responses[0].response_time().has_value());
  EXPECT_GE(*closed.responses[0].response_time(), *open.responses[0].response_time());
  EXPECT_NE(closed.responses[0].route, open.responses[0].route);
}

TEST_F(emergency_dispatch, responses_are_the_same_at_any_thread_count) {
  emergency_plan plan;
  plan.stations = {{"a", node(3), 1}, {"b", node(18), 2}};
  plan.incidents = {{"x", "fire", node(12), 15 * 60 * ms_per_second}, {"y", "fire", node(24), 15 * 60 * ms_per_second},
                    {"z", "fire", node(7), 20 * 60 * ms_per_second}};
  const auto one = run(plan, {}, 1, 0.2);
  const auto three = run(plan, {}, 3, 0.2);
  ASSERT_EQ(one.responses.size(), three.responses.size());
  for (std::size_t i = 0; i < one.responses.size(); ++i) {
    EXPECT_EQ(one.responses[i].arrived_at, three.responses[i].arrived_at) << one.responses[i].incident;
    EXPECT_EQ(one.responses[i].route, three.responses[i].route);
  }
  EXPECT_EQ(one.result.arrived, three.result.arrived);
}

TEST_F(emergency_dispatch, an_unknown_node_or_an_empty_station_is_refused) {
  emergency_plan plan;
  plan.stations = {{"empty", node(1), 0}};
  EXPECT_THROW(emergency_dispatcher(city_->graph, plan, first_unit_id), std::invalid_argument);
  plan.stations = {{"ok", node(1), 1}};
  plan.incidents = {{"far", "fire", 100000, 0}};
  EXPECT_THROW(emergency_dispatcher(city_->graph, plan, first_unit_id), std::invalid_argument);
}

}  // namespace citytwin::testing
