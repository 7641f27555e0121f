#include "actors/road_segment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "tests/support/toy_city.hpp"

namespace citytwin {

namespace {

// 0 -> 1 (100 m at 10 m/s, 1800 veh/h) -> 2 (a short segment: 15 m, 2 vehicles of storage).
city_graph corridor() {
  return testing::make_city(3, {{0, 1, 100, 10, 1800}, {1, 2, 15, 10, 1800}}, {});
}

vehicle make_vehicle(std::uint32_t id, sim_time entered) {
  vehicle v;
  v.id = id;
  v.destination = 2;
  v.entered = entered;
  v.route = {0, 1};
  return v;
}

struct fixture {
  city_graph graph = corridor();
  router routes{graph};
  travel_times times = freeflow_times(graph);
  segment_model_options options{30 * ms_per_second};
  road_segment segment{graph.segments[0], room_of(graph, 0, ms_per_second, options),
                       initial_downstream(graph, 0, ms_per_second, options), options};
  advance_result out;

  void run(window_index w) {
    out.clear();
    segment.advance(w, w * ms_per_second, (w + 1) * ms_per_second, routes, times, out);
  }
};

}  // namespace

TEST(road_segment, a_vehicle_leaves_after_its_free_flow_time) {
  fixture f;
  f.segment.accept(make_vehicle(1, 500));
  f.run(0);
  EXPECT_TRUE(f.out.handoffs.empty());
  EXPECT_EQ(f.out.next_due, 10'500);
  f.run(10);
  ASSERT_EQ(f.out.handoffs.size(), 1u);
  EXPECT_EQ(f.out.handoffs[0].to, 1u);
  EXPECT_EQ(f.out.handoffs[0].v.entered, 10'500);
  EXPECT_EQ(f.out.handoffs[0].v.route_index, 1u);
}

TEST(road_segment, flow_capacity_spaces_exits_by_the_headway) {
  fixture f;
  f.segment.accept(make_vehicle(1, 0));
  f.segment.accept(make_vehicle(2, 0));
  f.run(10);
  ASSERT_EQ(f.out.handoffs.size(), 1u);
  EXPECT_EQ(f.out.next_due, 12'000);  // 1800 veh/h: one every 2 s
  f.run(12);
  ASSERT_EQ(f.out.handoffs.size(), 1u);
  EXPECT_EQ(f.out.handoffs[0].v.entered, 12'000);
}

TEST(road_segment, waits_for_room_downstream_then_the_stuck_rule_moves_it) {
  fixture f;
  // The short segment says it is full.
  f.segment.apply_space_update({0, 1, 0, true});
  f.segment.accept(make_vehicle(1, 0));
  f.run(10);
  EXPECT_TRUE(f.out.handoffs.empty());
  EXPECT_EQ(f.out.next_due, 40'000);  // blocked since 10 s, stuck time 30 s
  f.segment.apply_space_update({35, 1, 1, true});  // room again
  f.run(36);
  ASSERT_EQ(f.out.handoffs.size(), 1u);
  EXPECT_EQ(f.out.forced, 0);
  f.segment.apply_space_update({40, 1, 0, true});
  f.segment.accept(make_vehicle(2, 40'000));
  f.run(50);
  EXPECT_TRUE(f.out.handoffs.empty());
  f.run(80);  // 30 s after it first found no room
  ASSERT_EQ(f.out.handoffs.size(), 1u);
  EXPECT_EQ(f.out.forced, 1);
}

TEST(road_segment, counts_what_it_sent_but_the_sender_had_not_seen) {
  fixture f;
  f.segment.apply_space_update({0, 1, 2, true});
  f.segment.accept(make_vehicle(1, 0));
  f.run(10);
  ASSERT_EQ(f.out.handoffs.size(), 1u);
  // The downstream's update from window 10 was made before our vehicle reached it.
  f.segment.apply_space_update({10, 1, 1, true});
  f.segment.accept(make_vehicle(2, 10'000));
  f.run(20);
  EXPECT_TRUE(f.out.handoffs.empty()) << "room 1 minus the unseen vehicle leaves none";
  // A later update has seen it: the room it counts is all there is.
  f.segment.apply_space_update({11, 1, 1, true});
  f.run(21);
  EXPECT_EQ(f.out.handoffs.size(), 1u) << "room 1, nothing unseen";
}

TEST(road_segment, announces_room_only_when_upstream_must_hear) {
  auto g = corridor();
  road_segment shorty(g.segments[1], room_of(g, 1, ms_per_second, {}), initial_downstream(g, 1, ms_per_second, {}));
  // Storage 2, margin 2: it starts near full; an unchanged state is not re-announced.
  EXPECT_FALSE(shorty.take_announcement(0, 0, false));
  vehicle v = make_vehicle(1, 0);
  v.route_index = 1;
  shorty.accept(v);
  auto a = shorty.take_announcement(1, 0, true);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->free, 1);
  EXPECT_TRUE(a->near_full);
}

TEST(road_segment, a_vehicle_taken_and_passed_on_in_one_window_is_still_announced) {
  // A sender counts its room down by one per vehicle sent; if one vehicle comes and another goes
  // within a window, the count we announce is unchanged, but the sender must still hear it, or its
  // room shrinks for good.
  auto g = corridor();
  road_segment shorty(g.segments[1], room_of(g, 1, ms_per_second, {}), initial_downstream(g, 1, ms_per_second, {}));
  router routes(g);
  auto times = freeflow_times(g);
  auto on_shorty = [](std::uint32_t id, sim_time entered) {
    vehicle v = make_vehicle(id, entered);
    v.route_index = 1;
    return v;
  };
  shorty.accept(on_shorty(1, 0));
  ASSERT_EQ(shorty.take_announcement(0, 0, true)->free, 1);
  shorty.accept(on_shorty(2, 600));  // due at 2.1 s
  advance_result out;
  shorty.advance(1, 1'000, 2'000, routes, times, out);  // vehicle 1 leaves at 1.5 s
  ASSERT_EQ(out.arrivals.size(), 1u);
  auto a = shorty.take_announcement(1, 0, true);
  ASSERT_TRUE(a) << "room is as last announced, but a vehicle was taken";
  EXPECT_EQ(a->free, 1);
  EXPECT_FALSE(shorty.take_announcement(2, 0, false)) << "nothing taken, nothing changed";
}

TEST(road_segment, blocked_exit_holds_vehicles_until_capacity_returns) {
  fixture f;
  f.segment.set_capacity_factor(0);
  f.segment.accept(make_vehicle(1, 0));
  f.run(20);
  EXPECT_TRUE(f.out.handoffs.empty());
  EXPECT_EQ(f.out.next_due, never);
  f.segment.set_capacity_factor(1);
  f.run(21);
  EXPECT_EQ(f.out.handoffs.size(), 1u);
}

TEST(road_segment, a_priority_vehicle_passes_the_queue_at_the_passing_speed) {
  fixture f;
  f.segment.set_capacity_factor(0);  // exit blocked: everything that reaches the end queues
  for (std::uint32_t id = 1; id <= 10; ++id) f.segment.accept(make_vehicle(id, 0));
  vehicle unit = make_vehicle(99, 20 * ms_per_second);
  unit.priority = true;
  f.segment.accept(std::move(unit));
  // 10 of the 13 slots queued: 3/13 of the length at free flow (10 m/s), 10/13 at 20 km/h.
  const double storage = storage_slots(f.graph.segments[0], ms_per_second, f.options);
  ASSERT_GT(storage, 10);
  const double expected = 20'000 + 10'000 * (1 - 10 / storage) + 100 * (10 / storage) / (20 / 3.6) * 1000;
  std::optional<sim_time> left;
  for (window_index w = 20; w < 60 && !left; ++w) {
    f.run(w);
    for (const auto& h : f.out.handoffs) {
      EXPECT_EQ(h.v.id, 99u);  // the queue itself never moves
      left = h.v.entered;
    }
  }
  ASSERT_TRUE(left.has_value());
  EXPECT_NEAR(static_cast<double>(*left), expected, 1.0);
  EXPECT_EQ(f.segment.vehicle_count(), 10);
}

TEST(road_segment, detector_counts_steer_the_travel_estimate_routing_sees) {
  fixture f;
  f.segment.observe({0, 10, 600});
  const sim_time plain = f.segment.travel_estimate();  // 100 m at the observed 10 m/s
  EXPECT_EQ(plain, 10 * ms_per_second);
  // 40 vehicles let in over the next 6 minutes is 400 veh/h modelled; the detector counted 1,540 veh/h.
  for (std::uint32_t id = 1; id <= 40; ++id) f.segment.accept(make_vehicle(id, 0));
  f.segment.observe({6 * 60 * ms_per_second, 10, 1540});
  EXPECT_EQ(f.segment.travel_estimate(), std::llround(10'000 * std::sqrt(460.0 / 1600.0)));  // cheaper: more choose it
  // 100 let in over the next 6 minutes (1,000 veh/h) against 100 counted: dearer, by at most a factor of 2.
  for (std::uint32_t id = 41; id <= 140; ++id) f.segment.accept(make_vehicle(id, 0));
  f.segment.observe({12 * 60 * ms_per_second, 10, 100});
  EXPECT_EQ(f.segment.travel_estimate(), 20'000);
  // A reading without an interval carries no count: the factor stays.
  f.segment.observe({18 * 60 * ms_per_second, 10, -1});
  EXPECT_EQ(f.segment.travel_estimate(), 20'000);
}

TEST(road_segment, a_distrusted_reading_moves_the_estimate_less_than_a_trusted_one) {
  // Empty segment: the model says free flow, 100 m at 10 m/s = 10 s. A detector reports 2 m/s (50 s).
  fixture trusted, flagged;
  trusted.segment.observe({0, 2, -1, 1.0});
  flagged.segment.observe({0, 2, -1, 0.25});
  EXPECT_EQ(trusted.segment.travel_estimate(), 50 * ms_per_second);
  // 0.25 * 2 + 0.75 * 10 = 8 m/s: 12.5 s.
  EXPECT_EQ(flagged.segment.travel_estimate(), 12'500);
  const sim_time model = flagged.segment.modelled_travel();
  EXPECT_LT(std::abs(flagged.segment.travel_estimate() - model), std::abs(trusted.segment.travel_estimate() - model));
  // Trust 0: the model alone.
  fixture ignored;
  ignored.segment.observe({0, 2, -1, 0.0});
  EXPECT_EQ(ignored.segment.travel_estimate(), model);
}

TEST(road_segment, freed_room_reaches_upstream_at_the_hole_speed) {
  auto g = corridor();
  segment_model_options options;
  options.hole_speed_kmh = 36;  // 10 m/s: 1.5 s to cross the 15 m segment
  road_segment shorty(g.segments[1], room_of(g, 1, ms_per_second, options), initial_downstream(g, 1, ms_per_second, options),
                      options);
  router routes(g);
  auto times = freeflow_times(g);
  vehicle v = make_vehicle(1, 0);
  v.route_index = 1;
  shorty.accept(v);
  ASSERT_EQ(shorty.take_announcement(0, 0, true)->free, 1);
  advance_result out;
  shorty.advance(1, 1'000, 2'000, routes, times, out);  // leaves at 1.5 s (free-flow time)
  ASSERT_EQ(out.arrivals.size(), 1u);
  EXPECT_FALSE(shorty.take_announcement(1, 0, false)) << "the hole is still on its way upstream";
  EXPECT_EQ(out.next_due, 3'000) << "run again when the hole arrives";
  out.clear();
  shorty.advance(3, 3'000, 4'000, routes, times, out);
  auto a = shorty.take_announcement(3, 0, false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->free, 2);
  EXPECT_FALSE(a->near_full);
}

TEST(road_segment, snapshot_reports_twin_state) {
  fixture f;
  f.segment.accept(make_vehicle(1, 0));
  f.segment.accept(make_vehicle(2, 0));
  auto s = f.segment.snapshot(10'000);
  EXPECT_EQ(s.vehicles, 2);
  EXPECT_EQ(s.queued, 2);
  EXPECT_EQ(s.inflow, 2);
  EXPECT_NEAR(s.density_veh_per_km, 20, 1e-9);
  f.segment.set_closed(true);
  EXPECT_TRUE(f.segment.snapshot(0).closed);
  EXPECT_EQ(f.segment.travel_estimate(), never);
}

// HCM 6th edition, chapter 22: c = A exp(-B v_c) per entry lane, v_c the circulating flow.
TEST(road_segment, roundabout_entry_capacity_follows_the_hcm_regressions) {
  EXPECT_NEAR(roundabout_entry_capacity(1, 1, 0), 1'380, 1e-9);
  EXPECT_NEAR(roundabout_entry_capacity(1, 1, 1'000), 1'380 * std::exp(-1.02), 1e-9);
  EXPECT_NEAR(roundabout_entry_capacity(2, 1, 1'000), 2 * 1'420 * std::exp(-0.91), 1e-9);
  EXPECT_NEAR(roundabout_entry_capacity(1, 2, 1'000), 1'420 * std::exp(-0.85), 1e-9);
  EXPECT_NEAR(roundabout_entry_capacity(3, 2, 1'000), 1'420 * std::exp(-0.85) + 1'350 * std::exp(-0.92), 1e-9);
  EXPECT_GT(roundabout_entry_capacity(1, 1, 500), roundabout_entry_capacity(1, 1, 600)) << "busier ring, fewer gaps";
}

TEST(road_segment, circulating_flow_estimates_a_steady_flow_and_decays_without_one) {
  circulating_flow flow;
  for (sim_time t = 0; t <= 20 * 60 * ms_per_second; t += 3 * ms_per_second) flow.count_one(t);  // 1200 veh/h
  const sim_time last = 20 * 60 * ms_per_second;
  EXPECT_NEAR(flow.at(last) * 3600, 1'200, 0.03 * 1'200);
  EXPECT_NEAR(flow.at(last + 60 * ms_per_second) / flow.at(last), std::exp(-1), 1e-12) << "a minute's time constant";
  circulating_flow late = flow;
  late.count_one(last - 30 * ms_per_second);  // counted out of order: as if it had come in time
  EXPECT_NEAR(late.at(last) - flow.at(last), std::exp(-0.5) / 60, 1e-12);
}

// Segment 1 is a roundabout's ring: segment 0 enters it and yields to the circulating flow.
TEST(road_segment, an_entry_passes_what_the_gaps_in_the_circulating_flow_allow) {
  for (double circulating_veh_h : {0.0, 1'000.0}) {
    fixture f;
    f.graph.segments[1].on_roundabout = true;
    f.segment = road_segment(f.graph.segments[0], room_of(f.graph, 0, ms_per_second, f.options),
                             initial_downstream(f.graph, 0, ms_per_second, f.options), f.options);
    for (std::uint32_t id = 1; id <= 400; ++id) f.segment.accept(make_vehicle(id, 0));
    std::size_t passed = 0;
    for (window_index w = 10; w < 10 + 600; ++w) {
      // The ring announces a steady flow and plenty of room.
      f.segment.apply_space_update({w - 1, 1, 100, false, false, circulating_veh_h / 3600, w * ms_per_second});
      f.run(w);
      passed += f.out.handoffs.size();
    }
    // The first at once, then ten minutes at the entry capacity; the segment itself would pass 1800 veh/h.
    const double expected = 1 + roundabout_entry_capacity(1, 1, circulating_veh_h) / 6;
    EXPECT_NEAR(static_cast<double>(passed), expected, 2) << circulating_veh_h << " veh/h circulating";
  }
}

}  // namespace citytwin
