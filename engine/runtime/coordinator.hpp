#pragma once
// Drives conservative synchronous windows (YAWNS style): open a window on every shard,
// wait for all of them (the barrier), merge their reports, pick the next window with work.

#include <caf/all.hpp>

#include "engine/runtime/simulation.hpp"
#include "engine/runtime/simulation_context.hpp"

namespace citytwin {

class window_coordinator {
 public:
  window_coordinator(caf::actor_system& system, simulation_context& context, const simulation_options& options,
                     const trip_plan& plan);

  // Runs to the horizon and fills the counters and trips of `result`.
  void run(simulation_result& result);

 private:
  // The routing view and totals that forks (simulation_state) and checkpoints (run_progress) both keep.
  template <class State>
  void save_routing_view(State& state) const;
  template <class State>
  void load_routing_view(const State& state);
  void refresh_travel_times(caf::scoped_actor& self);  // asks shards for current estimates
  void refresh_travel_times_locally();                 // publishes estimates and closures
  std::vector<std::vector<segment_control>> take_controls(window_index w);
  void check_invariants(const window_check& check, std::int64_t duplicates) const;
  void pull_live_inputs(sim_time start, std::vector<std::vector<segment_control>>& controls_per_shard,
                        std::vector<std::vector<segment_observation>>& observations_per_shard);
  // Gathers every shard's segments (on any node) into one view for the live hooks.
  void publish_live_state(caf::scoped_actor& self, sim_time now);
  // The cut at `time`, a window boundary: asks every shard and segment, which are idle between windows.
  simulation_state capture(caf::scoped_actor& self, sim_time time, const std::vector<std::vector<booking>>& bookings,
                           const simulation_result& result) const;
  // The coordinator's part of a checkpoint at `time`, a window boundary (see run_progress.hpp).
  run_progress progress_at(sim_time time, const std::vector<std::vector<booking>>& bookings,
                           const std::vector<window_index>& shard_next, std::int64_t in_flight, sim_time departure_sum,
                           std::int64_t departed_before, std::int64_t arrived_before, const simulation_result& result) const;
  // Waits for every shard's report of window `w` (at most barrier_timeout_s when set).
  template <class OnReport>
  void await_reports(caf::scoped_actor& self, window_index w, OnReport on_report);

  caf::actor_system& system_;
  simulation_context& context_;
  const simulation_options& options_;
  std::vector<sim_time> departure_times_;  // sorted
  std::vector<segment_control> controls_;  // sorted by time
  std::size_t next_control_ = 0;
  std::vector<bool> closed_;
  std::vector<sim_time> estimates_;
  std::uint64_t serial_ = 1;
  std::uint64_t closure_version_ = 1;
  // Totals since the simulation began (a resumed run starts from the cut's).
  std::int64_t departed_ = 0, arrived_ = 0, unroutable_before_ = 0;
  window_index last_refresh_epoch_ = 0;
  std::uint32_t next_vehicle_id_ = 0;
};

}  // namespace citytwin
