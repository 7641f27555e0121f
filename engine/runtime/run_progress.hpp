#pragma once
// Where the coordinator of a run stands at a window boundary: its routing view, counters, the
// bookings it holds for the next orders and the result so far. Together with the shards' and
// segments' shares of the cut (simulation_state.hpp) it lets the same run continue exactly as if it
// had never stopped (a checkpoint), unlike a fork, whose counters start afresh at the cut.

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/routing/router.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct run_progress {
  sim_time time = 0;  // the boundary: every window ending at or before it has run, none after

  // The coordinator's routing view and totals.
  std::uint32_t next_vehicle_id = 0;
  std::uint64_t next_control = 0;  // timed controls already applied
  std::vector<bool> closed;
  std::vector<sim_time> estimates;
  travel_times times;
  std::uint64_t next_serial = 1;
  std::uint64_t closure_version = 1;
  std::int64_t last_refresh_epoch = 0;
  std::int64_t departed = 0, arrived = 0, unroutable_before = 0;

  // The window loop.
  std::vector<std::vector<booking>> bookings;  // by shard: to hand out with its next order
  std::vector<window_index> shard_next;        // by shard: the earliest window it has work in
  std::int64_t in_flight = 0;
  sim_time departure_sum = 0;
  std::int64_t departed_before = 0, arrived_before = 0;

  // The result so far.
  sim_time start_time = 0;
  std::int64_t carried_over = 0;
  std::int64_t unroutable = 0, forced_moves = 0, reroutes = 0, activations = 0, windows = 0;
  std::vector<trip_record> trips;  // completed, in arrival order
};

// Coordinated checkpoints: every `every` of simulated time (at the first window boundary at or after
// each multiple), the coordinator hands its progress to `take` between windows, while every shard
// and segment is idle; `take` captures the rest of the cut before it returns.
struct checkpoint_hooks {
  sim_time every = 0;
  std::function<void(run_progress&& progress)> take;
};

}  // namespace citytwin
