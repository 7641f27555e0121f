// Cuts and resumes: a cut holds every vehicle exactly once, and a simulation resumed from it is a
// plain continuation, bit for bit, whatever the thread counts; a cut of the live twin too, while a
// scenario runs from the same cut beside it.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "engine/demand/trip_generator.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/runtime/simulation.hpp"
#include "scenarios/scenario.hpp"

#include "tests/support/bundled_city.hpp"

namespace citytwin {
namespace {

constexpr sim_time minute = 60 * ms_per_second;

using testing::sioux_falls;

// Every vehicle id in the cut, on segments and in flight.
std::vector<std::uint32_t> vehicle_ids(const simulation_state& state) {
  std::vector<std::uint32_t> ids;
  for (const auto& s : state.segments) {
    for (const auto& v : s.model.vehicles()) ids.push_back(v.id);
    for (const auto& h : s.pending_handoffs)
      for (const auto& v : h.vehicles) ids.push_back(v.id);
  }
  return ids;
}

// The first part in which two cuts differ, for failure messages.
std::string first_difference(const simulation_state& a, const simulation_state& b) {
  if (a.time != b.time) return "time";
  for (std::size_t s = 0; s < std::min(a.segments.size(), b.segments.size()); ++s) {
    const auto& x = a.segments[s];
    const auto& y = b.segments[s];
    if (!(x.model == y.model))
      return "segment " + std::to_string(s) + " model (vehicles " + std::to_string(x.model.vehicle_count()) + " vs " +
             std::to_string(y.model.vehicle_count()) + ")";
    if (!(x.pending_handoffs == y.pending_handoffs)) return "segment " + std::to_string(s) + " handoffs in flight";
    if (!(x.pending_space == y.pending_space)) return "segment " + std::to_string(s) + " room announcements";
  }
  for (std::size_t s = 0; s < std::min(a.bookings.size(), b.bookings.size()); ++s)
    if (a.bookings[s] != b.bookings[s])
      return "booking of segment " + std::to_string(s) + ": " + std::to_string(a.bookings[s]) + " vs " +
             std::to_string(b.bookings[s]);
  if (a.shard_estimates != b.shard_estimates) return "shard estimates";
  if (!(a.departures == b.departures)) return "departures";
  if (!(a.scheduled == b.scheduled)) return "scheduled controls";
  if (a.closed != b.closed) return "closed";
  if (a.estimates != b.estimates) return "estimates";
  if (!(a.times == b.times)) return "travel times";
  if (a.next_serial != b.next_serial) return "serial";
  if (a.closure_version != b.closure_version) return "closure version";
  if (a.last_refresh_epoch != b.last_refresh_epoch) return "refresh epoch";
  if (a.departed != b.departed || a.arrived != b.arrived || a.unroutable != b.unroutable) return "counters";
  if (!(a.demand == b.demand) || a.next_vehicle_id != b.next_vehicle_id || a.seed != b.seed) return "demand";
  return a == b ? "none" : "something else";
}

void expect_conserved(const simulation_state& state, std::size_t planned) {
  const auto ids = vehicle_ids(state);
  EXPECT_EQ(static_cast<std::int64_t>(ids.size()), state.departed - state.arrived) << "vehicles in the twin";
  EXPECT_EQ(static_cast<std::int64_t>(ids.size()), state.vehicles_on_network());
  const std::set<std::uint32_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a vehicle is in the cut twice";
  for (const auto& t : state.departures) {
    EXPECT_EQ(unique.count(t.vehicle_id), 0u) << "vehicle " << t.vehicle_id << " is both waiting and driving";
    EXPECT_GE(t.departure, state.time);
  }
  EXPECT_EQ(static_cast<std::size_t>(state.departed + state.unroutable) + state.departures.size(), planned);
}

struct fixture_run {
  trip_plan plan;
  simulation_options options;
};

fixture_run closure_day() {
  fixture_run f;
  f.plan = generate_trips(sioux_falls(), demand_options{5, 0.3, 30 * minute});
  f.options.seed = 5;
  f.options.check_invariants = true;
  f.options.capture_state = true;
  // One intervention before the cut, one after it: status and capacity cross the cut either way.
  f.options.controls = {{4 * minute, 24, control_kind::capacity_factor, 0.3},
                        {12 * minute, find_segment(sioux_falls(), "10-15"), control_kind::close, 0}};
  return f;
}

TEST(fork, a_cut_holds_every_vehicle_exactly_once) {
  auto f = closure_day();
  for (sim_time cut : {0 * minute, 7 * minute, 13 * minute}) {
    f.options.duration = cut;
    const auto r = run_simulation(sioux_falls(), f.plan, f.options);
    ASSERT_TRUE(r.state);
    SCOPED_TRACE(format_clock(cut));
    EXPECT_EQ(r.state->time, cut);
    expect_conserved(*r.state, f.plan.trips.size());
    if (cut > 0) {
      EXPECT_GT(r.state->vehicles_on_network(), 500);
      std::int64_t in_flight = 0;
      for (const auto& s : r.state->segments)
        for (const auto& h : s.pending_handoffs) in_flight += static_cast<std::int64_t>(h.vehicles.size());
      EXPECT_GT(in_flight, 0) << "the cut should catch vehicles between segments";
    }
  }
}

TEST(fork, resuming_from_a_cut_is_a_plain_continuation_at_any_thread_count) {
  auto f = closure_day();
  f.options.duration = 20 * minute;
  f.options.threads = 2;
  const auto straight = run_simulation(sioux_falls(), f.plan, f.options);
  f.options.duration = 9 * minute;
  const auto first = run_simulation(sioux_falls(), f.plan, f.options);
  ASSERT_EQ(first.state->scheduled.size(), 1u) << "the closure at 12 minutes is still to come";
  for (std::uint32_t threads : {1u, 3u}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    simulation_options resume = f.options;
    resume.controls.clear();  // the cut carries the scheduled closure
    resume.threads = threads;
    resume.duration = 20 * minute;
    resume.resume_from = first.state;
    const auto rest = run_simulation(sioux_falls(), trip_plan{first.state->departures, 0, false}, resume);
    EXPECT_TRUE(*rest.state == *straight.state) << "the state at 20 minutes differs: " << first_difference(*rest.state, *straight.state);
    EXPECT_EQ(rest.carried_over, first.state->departed - first.state->arrived);
    EXPECT_EQ(first.departed + rest.departed, straight.departed);
    EXPECT_EQ(first.arrived + rest.arrived, straight.arrived);
    EXPECT_EQ(rest.en_route, straight.en_route);
    EXPECT_GT(rest.reroutes, 0);
    std::vector<trip_record> later;
    for (const auto& t : straight.trips)
      if (t.arrival >= first.state->time) later.push_back(t);
    ASSERT_EQ(later.size(), rest.trips.size());
    for (std::size_t i = 0; i < later.size(); ++i) {
      EXPECT_EQ(later[i].vehicle, rest.trips[i].vehicle);
      EXPECT_EQ(later[i].arrival, rest.trips[i].arrival);
    }
    ASSERT_EQ(rest.segments.size(), straight.segments.size());
    for (std::size_t s = 0; s < rest.segments.size(); ++s) {
      EXPECT_EQ(rest.segments[s].outflow, straight.segments[s].outflow) << "segment " << s;
      EXPECT_EQ(rest.segments[s].max_queue, straight.segments[s].max_queue) << "segment " << s;
    }
  }
}

TEST(fork, a_cut_of_the_wrong_city_or_seed_is_refused) {
  auto f = closure_day();
  f.options.duration = 3 * minute;
  const auto first = run_simulation(sioux_falls(), f.plan, f.options);
  simulation_options resume;
  resume.resume_from = first.state;
  resume.seed = 6;
  EXPECT_THROW(run_simulation(sioux_falls(), trip_plan{}, resume), std::invalid_argument);
  resume.seed = 5;
  trip_plan early;
  early.trips.push_back(trip{999999, 1, 2, 0});
  EXPECT_THROW(run_simulation(sioux_falls(), early, resume), std::invalid_argument);
}

// The live twin runs on while a scenario runs from its cut; its later cut equals the batch continuation
// of the first one: the scenario never touched it.
TEST(fork, the_live_twin_continues_exactly_and_untouched_while_a_scenario_runs_from_its_cut) {
  live_twin_options live;
  live.seed = 9;
  live.time_scale = 300;
  live.demand_scale = 0.3;
  live.threads = 2;
  live.demand_period = ms_per_hour;
  live_twin twin(sioux_falls(), live);
  twin.start();
  while (twin.now() < 3 * minute) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto started = std::chrono::steady_clock::now();
  const auto first = twin.capture_state();
  const double capture_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  RecordProperty("capture_ms", std::to_string(capture_ms));
  ASSERT_TRUE(first);
  const std::size_t planned = generate_trips(sioux_falls(), first->demand).trips.size();
  expect_conserved(*first, planned);
  EXPECT_GT(first->vehicles_on_network(), 100);

  // A closure scenario from the same cut, beside the running twin.
  scenario s = parse_scenario(nlohmann::json::parse(R"({
    "schema_version": 1, "name": "beside", "city": "data/tntp/SiouxFalls", "horizon": "5m",
    "variants": [{"name": "closed", "interventions": [{"at": "0s", "close": "10-15"}, {"at": "0s", "close": "15-10"}]}]})"),
                              "beside.json", CITYTWIN_SOURCE_DIR);
  scenario_run_options o;
  o.parallel = 2;
  const auto outcome = run_scenario_from(sioux_falls(), first, s, o);
  EXPECT_EQ(outcome.branches.size(), 2u);

  while (twin.now() < first->time + 6 * minute) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto second = twin.capture_state();
  twin.stop();
  ASSERT_FALSE(twin.failure()) << *twin.failure();
  ASSERT_GT(second->time, first->time);

  simulation_options resume;
  resume.seed = first->seed;
  resume.threads = 1;
  resume.duration = second->time;
  resume.resume_from = first;
  resume.capture_state = true;
  const auto rest = run_simulation(sioux_falls(), trip_plan{first->departures, 0, false}, resume);
  rest.state->demand = second->demand;
  EXPECT_EQ(rest.state->time, second->time);
  EXPECT_TRUE(*rest.state == *second) << "the live twin's continuation differs from the batch continuation: "
                                      << first_difference(*rest.state, *second);
  expect_conserved(*second, planned);
}

}  // namespace
}  // namespace citytwin
