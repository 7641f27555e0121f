#pragma once
// One simulation run: spawns a segment actor per road segment and a shard per worker thread,
// then advances conservative time windows until the horizon.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/road_segment.hpp"
#include "engine/city/city_graph.hpp"
#include "engine/demand/route_table.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/live/logged_inputs.hpp"
#include "engine/metrics/metric_handles.hpp"
#include "engine/runtime/run_progress.hpp"
#include "engine/runtime/simulation_context.hpp"
#include "engine/runtime/simulation_state.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct simulation_progress {
  sim_time now = 0;
  sim_time horizon = 0;  // duration, or duration + clearing limit
  std::int64_t departed = 0, arrived = 0, en_route = 0;
};

// Checked after every window; a test can look at each one.
struct window_check {
  window_index window = 0;
  sim_time end = 0;
  std::int64_t departed = 0, arrived = 0, on_segments = 0, in_flight = 0;
  std::int64_t duplicate_vehicles = 0;  // vehicles seen on two segments (invariant checks only)
};

// Live mode: windows run back to back (none is skipped) until keep_running says stop; inputs that
// arrived from outside are pulled before each window and the segments' state is published regularly.
struct live_hooks {
  // Called before window [start, start + length): fill in what arrived since the last call.
  std::function<void(sim_time start, std::vector<segment_control>& controls,
                     std::vector<std::pair<segment_id, detector_observation>>& observations)>
      pull;
  std::function<void(sim_time now, std::vector<segment_snapshot>&& segments)> publish;
  sim_time publish_every = 5 * ms_per_second;
  // Called before each window; may sleep to pace the run to the wall clock.
  std::function<bool(sim_time start)> keep_running;
  // Asked at every window boundary; when true, the cut at that boundary goes to take_state.
  std::function<bool()> wants_state;
  std::function<void(simulation_state&& state)> take_state;
  std::int64_t epoch_at_start_ms = 0;  // the wall-clock time simulated time 0 stands for (a cluster tells its nodes)
  // What a cluster's node 0 saves with its checkpoint at `time`, so that a new process resumes the twin.
  std::function<live_resume_point(sim_time time)> resume_point;
  // A cluster's checkpoint at `time` is complete: a rollback may return there, never further back.
  std::function<void(sim_time time)> checkpointed;
  // The cluster rolled back to the checkpoint at `time`; the windows from there run again. Returns
  // how many of them take inputs again (those they took the first time).
  std::function<std::size_t(sim_time time)> rolled_back;
};

// Thrown by run_simulation when options.cancel is set.
struct simulation_cancelled : std::runtime_error {
  simulation_cancelled() : std::runtime_error("the simulation was cancelled") {}
};

// Thrown when a window's barrier does not complete within simulation_options::barrier_timeout_s.
struct barrier_stalled : std::runtime_error {
  barrier_stalled(const std::string& what, window_index w, std::vector<std::uint32_t> silent)
      : std::runtime_error(what), window(w), silent_shards(std::move(silent)) {}
  window_index window;
  std::vector<std::uint32_t> silent_shards;  // the shards that had not reported
};

// A vehicle that joins during the run, such as an emergency unit sent to an incident.
struct dispatched_vehicle {
  std::uint32_t id = 0;  // must not collide with the trip plan's vehicle ids
  node_index destination = 0;
  sim_time departure = 0;
  std::vector<segment_id> route;  // empty: unroutable
};

// Asked by the coordinator between windows, with the run's current travel times and closures.
struct dispatch_hooks {
  // The earliest time the dispatcher wants to act; never when nothing waits.
  std::function<sim_time()> next_due;
  // Called before each window [start, end) with next_due() < end; returns priority vehicles
  // departing in that window.
  std::function<std::vector<dispatched_vehicle>(sim_time start, sim_time end, const router& routes,
                                                const travel_times& times)>
      dispatch;
};

struct simulation_options {
  std::uint64_t seed = 1;
  sim_time duration = ms_per_hour;          // demand is spread over it; the run lasts at least this long
  bool clear = false;                       // then keep going until every vehicle has arrived...
  sim_time clear_limit = 4 * ms_per_hour;   // ...or this much longer
  std::uint32_t threads = 1;
  sim_time window_length = ms_per_second;
  sim_time reroute_interval = 5 * 60 * ms_per_second;  // how often routing sees new travel times
  double demand_scale = 1;
  double synthetic_trips_per_hour = 2000;
  segment_model_options model;
  bool check_invariants = false;            // also verify no vehicle is on two segments (slow)
  std::vector<segment_control> controls;    // timed interventions
  std::shared_ptr<const route_table> fixed_routes;  // e.g. equilibrium paths; least current time otherwise
  std::function<void(const simulation_progress&)> on_progress;
  std::function<void(const window_check&)> on_window;
  std::shared_ptr<live_hooks> live;  // null for a batch run
  std::shared_ptr<dispatch_hooks> dispatch;  // null when nothing joins during the run
  runtime_metrics metrics;           // barrier latency, actors alive (inert by default)
  // Resume from this cut, in a new actor system of its own; the plan then holds only the departures
  // not yet released (state->departures, possibly changed) and `duration` is the absolute end time.
  std::shared_ptr<const simulation_state> resume_from;
  bool capture_state = false;               // put the cut at the end of the run in result.state
  std::shared_ptr<checkpoint_hooks> checkpoint;       // null: no checkpoints (run_progress.hpp)
  // Continue the same run from a checkpoint: its shards and segments must hold the checkpoint's cut.
  std::shared_ptr<const run_progress> continue_from;
  double barrier_timeout_s = 0;             // > 0: a window not complete after this long throws barrier_stalled
  const std::atomic<bool>* cancel = nullptr;  // checked before every window
};

// Counters cover this run only: a resumed run counts from its start (the cut).
struct simulation_result {
  sim_time start_time = 0;             // 0, or the cut's time when resumed
  std::int64_t carried_over = 0;       // vehicles on the network at the start
  std::uint64_t planned_trips = 0;
  std::uint64_t skipped_intrazonal = 0;
  bool synthetic_demand = false;
  std::int64_t unroutable = 0, departed = 0, arrived = 0, en_route = 0;
  sim_time end_time = 0;
  sim_time en_route_time = 0;          // summed over vehicles still driving at the end, since start_time
  std::vector<trip_record> trips;      // completed, by vehicle id
  std::vector<segment_snapshot> segments;
  std::int64_t forced_moves = 0, reroutes = 0, activations = 0, windows = 0;
  double wall_seconds = 0;
  std::shared_ptr<simulation_state> state;  // with capture_state: the cut at end_time (rounded up to a window)
};

// Copies what the actors of one run read from the options (window, model, seed, routes) into its context.
void configure_context(simulation_context& context, const simulation_options& options);

// Throws simulation_cancelled when cancelled, std::runtime_error if an invariant breaks (a conservation bug is never reported as a result).
simulation_result run_simulation(const city_graph& graph, const trip_plan& plan, const simulation_options& options);

}  // namespace citytwin
