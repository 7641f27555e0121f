#pragma once
// The messages that move vehicles and time between actors. Every message that carries
// simulation state names the window it was sent in: a receiver applies it only in a later
// window, which makes results independent of thread timing.

#include <caf/all.hpp>
#include <cstdint>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"

namespace citytwin {

using window_index = std::int64_t;
inline constexpr window_index no_window = INT64_MAX;

struct vehicle {
  std::uint32_t id = 0;
  node_index destination = 0;
  sim_time departure = 0;
  sim_time entered = 0;             // when it entered its current segment
  sim_time freeflow_travelled = 0;  // free-flow time of the segments it has left, for delay
  std::uint64_t route_version = 0;  // closure version the route was planned with
  std::uint32_t route_index = 0;    // position of its current segment in `route`
  std::vector<segment_id> route;
  bool priority = false;            // an emergency unit: passes queues instead of joining them
  bool operator==(const vehicle&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vehicle& x) {
  return f(caf::meta::type_name("vehicle"), x.id, x.destination, x.departure, x.entered, x.freeflow_travelled,
           x.route_version, x.route_index, x.route, x.priority);
}

// Vehicles entering `to` from one sender in one window, in exit order.
struct vehicle_handoff {
  window_index window = 0;
  segment_id from = no_segment;  // no_segment for departures
  std::vector<vehicle> vehicles;
  bool operator==(const vehicle_handoff&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, vehicle_handoff& x) {
  return f(caf::meta::type_name("vehicle_handoff"), x.window, x.from, x.vehicles);
}

// A downstream segment telling its upstream segments how much room it has left.
struct space_update {
  window_index window = 0;
  segment_id from = no_segment;
  std::int32_t free = 0;
  bool near_full = false;  // false: plenty of room, send freely
  bool eager = false;      // its head is held: wake it in the next window when sending to it
  // A roundabout's ring segment: the flow circulating past its upstream node, per second, as of
  // `circulating_as_of` (it decays from then on); segments entering the ring yield to it.
  double circulating_per_s = 0;
  sim_time circulating_as_of = 0;
  bool operator==(const space_update&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, space_update& x) {
  return f(caf::meta::type_name("space_update"), x.window, x.from, x.free, x.near_full, x.eager, x.circulating_per_s,
           x.circulating_as_of);
}

enum class control_kind : std::uint8_t { close, reopen, capacity_factor };

struct segment_control {
  sim_time at = 0;
  segment_id segment = no_segment;
  control_kind kind = control_kind::close;
  double value = 0;  // the factor, for capacity_factor
  bool operator==(const segment_control&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, segment_control& x) {
  return f(caf::meta::type_name("segment_control"), x.at, x.segment, x.kind, x.value);
}

struct advance_window {
  window_index window = 0;
  sim_time start = 0;
  sim_time end = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advance_window& x) {
  return f(caf::meta::type_name("advance_window"), x.window, x.start, x.end);
}

// A completed trip.
struct trip_record {
  std::uint32_t vehicle = 0;
  sim_time departure = 0;
  sim_time arrival = 0;
  sim_time freeflow = 0;  // free-flow time of the route it drove
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trip_record& x) {
  return f(caf::meta::type_name("trip_record"), x.vehicle, x.departure, x.arrival, x.freeflow);
}

// A segment that must run in `window` (or earlier, if already booked earlier).
struct booking {
  segment_id segment = no_segment;
  window_index window = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, booking& x) {
  return f(caf::meta::type_name("booking"), x.segment, x.window);
}

// What a segment tells its shard after each window it ran.
struct segment_report {
  window_index window = 0;
  segment_id segment = no_segment;
  sim_time next_due = never;              // next time it must run without a new message
  std::vector<booking> bookings;          // segments it sent something to, and when they must run
  std::vector<trip_record> arrivals;
  std::int32_t vehicles = 0;              // on the segment after the window
  std::int32_t taken_in = 0;              // vehicles applied from handoffs in this window
  std::int32_t handed_out = 0;            // vehicles sent on in this window
  std::int32_t forced = 0;                // moves made by the stuck-time rule
  std::int32_t reroutes = 0;
  sim_time travel_estimate = 0;           // current traversal time estimate, for routing
  std::vector<std::uint32_t> vehicle_ids; // only when invariant checks are on
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, segment_report& x) {
  return f(caf::meta::type_name("segment_report"), x.window, x.segment, x.next_due, x.bookings, x.arrivals,
           x.vehicles, x.taken_in, x.handed_out, x.forced, x.reroutes, x.travel_estimate, x.vehicle_ids);
}

// The twin state of one segment, as answered to a query.
struct segment_snapshot {
  segment_id segment = no_segment;
  bool closed = false;
  double capacity_factor = 1;
  std::int32_t vehicles = 0;
  std::int32_t queued = 0;            // at the downstream end, ready to leave
  std::int64_t inflow = 0;            // vehicles entered since the start
  std::int64_t outflow = 0;           // vehicles left since the start
  sim_time travel_time_sum = 0;       // over vehicles that left
  std::int32_t max_queue = 0;
  sim_time max_queue_at = 0;
  double mean_speed_mps = 0;          // recent traversals, free-flow speed when empty
  double density_veh_per_km = 0;
  bool has_observation = false;       // last detector reading, if any
  sim_time observed_at = 0;
  double observed_speed_mps = 0;
  double observed_flow_veh_h = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, segment_snapshot& x) {
  return f(caf::meta::type_name("segment_snapshot"), x.segment, x.closed, x.capacity_factor, x.vehicles, x.queued,
           x.inflow, x.outflow, x.travel_time_sum, x.max_queue, x.max_queue_at, x.mean_speed_mps,
           x.density_veh_per_km, x.has_observation, x.observed_at, x.observed_speed_mps, x.observed_flow_veh_h);
}

// A loop-detector reading assimilated into a segment's twin state.
struct detector_observation {
  sim_time at = 0;
  double speed_mps = 0;
  double flow_veh_h = 0;  // the count over its interval as a rate; negative when the reading gave no interval
  double trust = 1;       // in [0, 1]: how far the reading overrides the model (sensor health, engine/analytics)
  bool operator==(const detector_observation&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, detector_observation& x) {
  return f(caf::meta::type_name("detector_observation"), x.at, x.speed_mps, x.flow_veh_h, x.trust);
}

// A live reading on its way to the segment it is for.
struct segment_observation {
  segment_id segment = no_segment;
  detector_observation observation;
  bool operator==(const segment_observation&) const = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, segment_observation& x) {
  return f(caf::meta::type_name("segment_observation"), x.segment, x.observation);
}

// Coordinator -> shard: run window `window`; wake these segments; hand them these live readings,
// then these controls, before the window moves any vehicle (the shard's own segments only).
struct window_order {
  window_index window = 0;
  sim_time start = 0;
  sim_time end = 0;
  std::vector<booking> bookings;  // for this shard's segments, this window or later
  std::vector<segment_control> controls;
  std::vector<segment_observation> observations;  // live mode
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_order& x) {
  return f(caf::meta::type_name("window_order"), x.window, x.start, x.end, x.bookings, x.controls, x.observations);
}

// Shard -> coordinator: the window is done on this shard.
struct shard_report {
  std::uint32_t shard = 0;
  window_index window = 0;
  window_index next_window = no_window;    // earliest window this shard has work in
  std::vector<booking> remote_bookings;    // for segments of other shards
  std::vector<trip_record> arrivals;
  std::int64_t departed = 0;               // vehicles that entered the network in this window
  std::int64_t departure_time_sum = 0;     // of those vehicles, in ms (for en-route hours)
  std::int64_t unroutable = 0;             // trips dropped: no route from origin to destination
  std::int64_t vehicles_on_segments = 0;   // all vehicles on this shard's segments now
  std::int64_t handed_out = 0;             // vehicles put in flight (including departures)
  std::int64_t taken_in = 0;               // vehicles taken out of flight
  std::int64_t forced = 0;
  std::int64_t reroutes = 0;
  std::int64_t activations = 0;
  std::vector<std::uint32_t> vehicle_ids;  // only when invariant checks are on
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_report& x) {
  return f(caf::meta::type_name("shard_report"), x.shard, x.window, x.next_window, x.remote_bookings, x.arrivals, x.departed, x.departure_time_sum,
           x.unroutable, x.vehicles_on_segments, x.handed_out, x.taken_in, x.forced, x.reroutes, x.activations,
           x.vehicle_ids);
}

}  // namespace citytwin

CAF_BEGIN_TYPE_ID_BLOCK(citytwin, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(citytwin, (citytwin::vehicle))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::vehicle_handoff))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::space_update))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::segment_control))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::advance_window))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::trip_record))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::segment_report))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::segment_snapshot))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::detector_observation))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::booking))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::window_order))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::shard_report))
  CAF_ADD_TYPE_ID(citytwin, (std::vector<citytwin::sim_time>))
  CAF_ADD_TYPE_ID(citytwin, (citytwin::segment_observation))
  CAF_ADD_TYPE_ID(citytwin, (std::vector<citytwin::segment_snapshot>))
  CAF_ADD_ATOM(citytwin, citytwin, get_state_atom, "getstate")
  CAF_ADD_ATOM(citytwin, citytwin, estimates_atom, "estimates")
  CAF_ADD_ATOM(citytwin, citytwin, capture_atom, "capture")
  CAF_ADD_ATOM(citytwin, citytwin, snapshots_atom, "snapshots")
CAF_END_TYPE_ID_BLOCK(citytwin)
