#pragma once
// A consistent cut of a simulation at a window boundary, and what a new, isolated simulation needs to
// resume from it. Every vehicle is in it exactly once: on a segment (moving or queued) or in flight, in
// a handoff its next segment has received but not yet applied. It also holds each segment's status,
// capacity factor and assimilated observation, the wake-up bookings, the departures not yet released,
// the routing times and the counters. Random draws are keyed by (seed, vehicle id, draw), so the seed
// and the vehicle ids are the whole state of the random-number generator.

#include <caf/allowed_unsafe_message_type.hpp>
#include <cstdint>
#include <vector>

#include "actors/road_segment.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/routing/router.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

inline bool operator==(const travel_times& a, const travel_times& b) {
  return a.ms == b.ms && a.closure_version == b.closure_version && a.serial == b.serial;
}

// One segment actor's share of the cut.
struct segment_state {
  road_segment model;                              // vehicles moving and queued, status, capacity, observation
  std::vector<vehicle_handoff> pending_handoffs;  // vehicles in flight to this segment
  std::vector<space_update> pending_space;        // room announcements not yet applied
  bool operator==(const segment_state&) const = default;
};

// One shard's share: its segments' bookings and estimates, its departures not yet released.
struct shard_state {
  std::vector<std::pair<segment_id, window_index>> bookings;
  std::vector<std::pair<segment_id, sim_time>> estimates;
  std::vector<trip> departures;
};

// One process's share of a cut: its shard's and its segments' (a cluster node's, or all of them).
struct node_cut {
  shard_state shard;
  std::vector<segment_state> segments;  // by segment id
};

struct simulation_state {
  sim_time time = 0;  // the boundary: every window ending at or before it has run, none after
  std::uint64_t seed = 1;
  demand_options demand;               // how the departures were generated; forks regenerate changed demand
  std::uint32_t next_vehicle_id = 0;   // above every id the demand used
  sim_time window_length = ms_per_second;
  sim_time reroute_interval = 0;
  segment_model_options model;

  std::vector<segment_state> segments;       // by segment id
  std::vector<window_index> bookings;        // by segment id: the window it must next run in (no_window: none)
  std::vector<sim_time> shard_estimates;     // by segment id: last reported travel-time estimate
  std::vector<trip> departures;              // not yet released, in (departure, vehicle id) order
  std::vector<segment_control> scheduled;    // timed controls not yet applied, by time

  // The coordinator's routing view and counters.
  std::vector<bool> closed;                  // by segment id
  std::vector<sim_time> estimates;           // by segment id, as last published to routing
  travel_times times;                        // what routing sees now
  std::uint64_t next_serial = 1;
  std::uint64_t closure_version = 1;
  std::int64_t last_refresh_epoch = 0;
  std::int64_t departed = 0, arrived = 0, unroutable = 0;  // since the simulation began

  // Vehicles on segments plus vehicles in flight.
  [[nodiscard]] std::int64_t vehicles_on_network() const {
    std::int64_t n = 0;
    for (const auto& s : segments) {
      n += s.model.vehicle_count();
      for (const auto& h : s.pending_handoffs) n += static_cast<std::int64_t>(h.vehicles.size());
    }
    return n;
  }
  bool operator==(const simulation_state&) const = default;
};

}  // namespace citytwin

// Local messages only: a cut never leaves the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::segment_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::shard_state)
