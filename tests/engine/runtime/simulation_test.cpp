#include "engine/runtime/simulation.hpp"

#include <gtest/gtest.h>

#include <set>

#include "actors/road_segment.hpp"
#include "engine/assignment/user_equilibrium.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/report/kpi_report.hpp"
#include "tests/support/toy_city.hpp"

namespace citytwin {

namespace {

simulation_result simulate(const city_graph& g, simulation_options o) {
  auto plan = generate_trips(g, {o.seed, o.demand_scale, o.duration, o.synthetic_trips_per_hour});
  return run_simulation(g, plan, o);
}

std::string report_text(const city_graph& g, const simulation_result& r, const simulation_options& o) {
  auto report = build_report(g, r, o, run_info{});
  return report["kpi"].dump() + report["segments"].dump();
}

}  // namespace

// A 1800 veh/h bottleneck fed at 2700 veh/h for 30 minutes: a point queue (D/D/1) grows at
// 0.25 veh/s to 450 vehicles, then drains in 900 s; total delay is 1/2 * 450 * 2700 s.
TEST(simulation, bottleneck_delay_and_queue_match_point_queue_theory) {
  auto g = testing::make_city(4,
                              {{0, 1, 100, 10, 10'000, 3},      // feeder
                               {1, 2, 3'000, 15, 1'800, 3},     // bottleneck: 200 s, storage 1200
                               {2, 3, 100, 10, 10'000, 3}},     // exit
                              {{0, 3, 2'700}});
  simulation_options o;
  o.duration = 30 * 60 * ms_per_second;
  o.clear = true;
  auto r = simulate(g, o);
  ASSERT_EQ(r.arrived, 1'350);
  sim_time delay = 0;
  for (const auto& t : r.trips) delay += t.arrival - t.departure - t.freeflow;
  const double expected_delay_s = 0.5 * 450 * 2'700;
  EXPECT_NEAR(to_seconds(delay), expected_delay_s, 0.02 * expected_delay_s);
  EXPECT_NEAR(r.segments[1].max_queue, 450, 0.02 * 450);
  EXPECT_EQ(r.segments[0].max_queue, 0);
}

TEST(simulation, conserves_vehicles_in_every_window) {
  auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Friedrichshain");
  simulation_options o;
  o.duration = 20 * 60 * ms_per_second;
  o.clear = true;
  o.threads = 2;
  o.check_invariants = true;
  std::int64_t windows = 0;
  o.on_window = [&](const window_check& c) {
    ++windows;
    EXPECT_EQ(c.departed, c.arrived + c.on_segments + c.in_flight) << "window " << c.window;
    EXPECT_GE(c.on_segments, 0);
    EXPECT_GE(c.in_flight, 0);
    EXPECT_EQ(c.duplicate_vehicles, 0) << "window " << c.window;
  };
  auto r = simulate(city.graph, o);
  EXPECT_GT(windows, 1'000);
  EXPECT_GT(r.departed, 3'000);
  EXPECT_EQ(r.arrived + r.en_route, r.departed);
  std::set<std::uint32_t> ids;
  for (const auto& t : r.trips) EXPECT_TRUE(ids.insert(t.vehicle).second) << "vehicle " << t.vehicle << " arrived twice";
}

// 0 -> 1 -> 2 -> 3; segment 1 is short (storage 13). Its exit is blocked from 10 to 25 minutes.
TEST(simulation, a_blocked_segment_fills_then_spills_back_and_drains_on_reopening) {
  auto g = testing::make_city(4, {{0, 1, 500, 10, 1'800}, {1, 2, 100, 10, 1'800}, {2, 3, 100, 10, 1'800}}, {{0, 3, 600}});
  simulation_options o;
  o.duration = ms_per_hour;
  o.clear = true;
  o.model.stuck_time = ms_per_hour;  // no stuck-rule moves while the exit is blocked
  o.controls = {{10 * 60 * ms_per_second, 1, control_kind::capacity_factor, 0},
                {25 * 60 * ms_per_second, 1, control_kind::capacity_factor, 1}};
  std::int32_t blocked_storage = 13;  // 100 m x 1 lane / 7.5 m
  auto r = simulate(g, o);
  EXPECT_EQ(r.arrived, r.departed);
  EXPECT_EQ(r.en_route, 0);
  // The blocked segment filled to its storage (a window's inflow may overshoot by one)...
  EXPECT_GE(r.segments[1].max_queue, blocked_storage - 1);
  EXPECT_LE(r.segments[1].max_queue, blocked_storage + 1);
  // ...and the queue spilled back onto the upstream segment: 15 minutes at 600 veh/h is 150 vehicles.
  EXPECT_GT(r.segments[0].max_queue, 100);
  EXPECT_EQ(r.forced_moves, 0);
  // Stopping at 20 minutes shows the spillback state itself.
  o.duration = 20 * 60 * ms_per_second;
  o.clear = false;
  auto mid = simulate(g, o);
  EXPECT_NEAR(mid.segments[1].vehicles, blocked_storage, 1);
  EXPECT_GT(mid.segments[0].vehicles, 50);
}

// Two branches of 1000 veh/h merge into a trunk of 2400 veh/h; every segment is 14 m (one vehicle
// of storage, 1 s free-flow time). Below capacity everywhere, so nobody should queue, whatever the
// window: room freed downstream reaches upstream a window late, and a vehicle taken and passed on
// within one window must still be announced.
TEST(simulation, short_segments_and_a_merge_carry_their_flow_at_any_window_length) {
  auto g = testing::make_city(8,
                              {{0, 2, 14, 14, 2'400}, {2, 4, 14, 14, 2'400},    // branch A
                               {1, 3, 14, 14, 2'400}, {3, 4, 14, 14, 2'400},    // branch B
                               {4, 5, 14, 14, 2'400}, {5, 6, 14, 14, 2'400}, {6, 7, 14, 14, 2'400}},  // trunk
                              {{0, 7, 1'000}, {1, 7, 1'000}});
  for (sim_time window : {250, 1'000, 2'000}) {
    simulation_options o;
    o.duration = 30 * 60 * ms_per_second;
    o.clear = true;
    o.window_length = window;
    auto r = simulate(g, o);
    ASSERT_EQ(r.arrived, r.departed) << "window " << window << " ms";
    sim_time delay = 0;
    for (const auto& t : r.trips) delay += t.arrival - t.departure - t.freeflow;
    EXPECT_LT(to_seconds(delay) / static_cast<double>(r.arrived), 10.0) << "window " << window << " ms";
    EXPECT_EQ(r.forced_moves, 0) << "window " << window << " ms";
  }
}

// Vehicles head for 9 -> 0 -> 1 -> 3; at 10 minutes 0 -> 1 closes. Those on the feeder must detour by 2.
TEST(simulation, vehicles_reroute_around_a_segment_closed_mid_run) {
  auto g = testing::make_city(10,
                              {{9, 0, 1'000, 10, 3'600},   // 0: feeder, 100 s
                               {0, 1, 200, 10, 3'600},     // 1: short way (closed later)
                               {1, 3, 200, 10, 3'600},     // 2
                               {0, 2, 600, 10, 3'600},     // 3: detour
                               {2, 3, 600, 10, 3'600}},    // 4
                              {{9, 3, 720}});
  simulation_options o;
  o.duration = 30 * 60 * ms_per_second;
  o.clear = true;
  const sim_time closure = 10 * 60 * ms_per_second;
  o.controls = {{closure, 1, control_kind::close, 0}};
  auto r = simulate(g, o);
  EXPECT_EQ(r.arrived, r.departed);
  EXPECT_GT(r.reroutes, 0) << "vehicles already on the feeder must change route";
  // Before the closure about 120 vehicles departed; those still 100 s away reroute.
  EXPECT_LE(r.segments[1].inflow, 125);
  EXPECT_GE(r.segments[3].inflow, 240);
  EXPECT_EQ(r.segments[1].inflow + r.segments[3].inflow, r.arrived);
}

TEST(simulation, report_is_identical_for_1_2_and_4_threads_on_sioux_falls) {
  auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls");
  simulation_options o;
  o.duration = 20 * 60 * ms_per_second;
  o.demand_scale = 0.1;
  o.seed = 7;
  std::string reference;
  for (std::uint32_t threads : {1u, 2u, 4u, 4u, 1u}) {
    o.threads = threads;
    auto text = report_text(city.graph, simulate(city.graph, o), o);
    if (reference.empty()) reference = text;
    EXPECT_EQ(text, reference) << threads << " threads";
  }
  EXPECT_NE(reference.find("\"departed\""), std::string::npos);
}

TEST(simulation, report_is_identical_for_1_2_and_4_threads_on_an_osm_town) {
  auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/osm/monaco.osm.pbf");
  simulation_options o;
  o.duration = 15 * 60 * ms_per_second;
  o.synthetic_trips_per_hour = 4'000;
  o.seed = 3;
  std::string reference;
  for (std::uint32_t threads : {1u, 2u, 4u, 2u}) {
    o.threads = threads;
    auto r = simulate(city.graph, o);
    EXPECT_GT(r.departed, 500);
    auto text = report_text(city.graph, r, o);
    if (reference.empty()) reference = text;
    EXPECT_EQ(text, reference) << threads << " threads";
  }
}

// With equilibrium routes, each vehicle draws one of its OD pair's paths in proportion to the
// path's flow, so link volumes over the run reproduce the equilibrium link flows.
TEST(simulation, equilibrium_routes_reproduce_equilibrium_link_flows) {
  auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/SiouxFalls");
  const double scale = 0.05;
  city_graph scaled = city.graph;
  for (auto& d : scaled.demand) d.vehicles_per_hour *= scale;
  assignment_options a;
  a.relative_gap = 1e-8;
  a.time_unit_seconds = city.units.seconds_per_time_unit;
  auto ue = solve_user_equilibrium(scaled, link_costs(scaled, a), a);
  ASSERT_FALSE(ue.paths.empty());
  simulation_options o;
  o.demand_scale = scale;
  o.clear = true;
  o.threads = 2;
  o.fixed_routes = std::make_shared<route_table>(ue.paths);
  auto r = simulate(city.graph, o);
  EXPECT_EQ(r.arrived, r.departed);
  double difference = 0, total = 0;
  for (std::size_t e = 0; e < ue.flows.size(); ++e) {
    difference += std::abs(static_cast<double>(r.segments[e].inflow) - ue.flows[e]);
    total += ue.flows[e];
  }
  EXPECT_LT(difference / total, 0.01) << "link volumes stray from the equilibrium flows";
}

TEST(simulation, different_seeds_give_different_runs) {
  auto city = load_city(std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Friedrichshain");
  simulation_options o;
  o.duration = 10 * 60 * ms_per_second;
  o.seed = 1;
  auto a = report_text(city.graph, simulate(city.graph, o), o);
  o.seed = 2;
  auto b = report_text(city.graph, simulate(city.graph, o), o);
  EXPECT_NE(a, b);
}

// A four-node roundabout (ring 0 -> 1 -> 2 -> 3 -> 0). 1000 veh/h come in at node 0 and leave at
// node 2, so they circulate past node 1, where 700 veh/h enter (6 -> 1) for the same exit. The HCM
// entry capacity against 1000 veh/h circulating is 498 veh/h: the entry queues by about 200 veh/h
// for the half hour of demand (D/D/1: 101 vehicles), while the circulating traffic passes freely.
// Without the ring's priority the same junction passes everyone.
TEST(simulation, an_entry_yields_to_traffic_circulating_on_a_roundabout) {
  auto g = testing::make_city(7,
                              {{0, 1, 30, 8, 2'400}, {1, 2, 30, 8, 2'400}, {2, 3, 30, 8, 2'400}, {3, 0, 30, 8, 2'400},
                               {4, 0, 200, 14, 2'400},   // 4: approach of the circulating traffic
                               {6, 1, 200, 14, 1'800},   // 5: the entry that yields
                               {2, 5, 200, 14, 3'600}},  // 6: the common exit
                              {{4, 5, 1'000}, {6, 5, 700}});
  for (segment_id ring = 0; ring < 4; ++ring) g.segments[ring].on_roundabout = true;
  simulation_options o;
  o.duration = 30 * 60 * ms_per_second;
  o.clear = true;
  auto r = simulate(g, o);
  ASSERT_EQ(r.arrived, r.departed);
  const double theory = (700 - roundabout_entry_capacity(1, 1, 1'000)) / 2;
  EXPECT_NEAR(r.segments[5].max_queue, theory, 0.25 * theory);
  EXPECT_LE(r.segments[4].max_queue, 2) << "circulating traffic has priority";
  EXPECT_EQ(r.forced_moves, 0);
  o.threads = 4;
  EXPECT_EQ(report_text(g, simulate(g, o), o), report_text(g, r, o)) << "same result at any thread count";

  for (segment_id ring = 0; ring < 4; ++ring) g.segments[ring].on_roundabout = false;
  auto plain = simulate(g, o);
  EXPECT_LE(plain.segments[5].max_queue, 2) << "without the ring's priority nobody waits";
}

}  // namespace citytwin
