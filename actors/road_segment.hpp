#pragma once
// The twin state and queue model of one directed road segment (mesoscopic, in the spirit of
// MATSim's QSim and SUMO's meso): vehicles need the free-flow time to reach the exit, leave
// at most at the flow capacity, and enter only while the next segment has storage left;
// a head vehicle blocked longer than the stuck time moves anyway, so gridlock resolves.
// Priority vehicles keep their own list: they take neither exit capacity nor downstream room.
// Pure model: no actor code, so it can be tested step by step.

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"
#include "engine/routing/router.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

// Equal specs: every attribute the model reads (for comparing restored segments).
inline bool operator==(const road_segment_spec& a, const road_segment_spec& b) {
  return a.id == b.id && a.from == b.from && a.to == b.to && a.length_m == b.length_m &&
         a.freeflow_speed_mps == b.freeflow_speed_mps && a.freeflow_time_s == b.freeflow_time_s &&
         a.capacity_veh_per_h == b.capacity_veh_per_h && a.lanes == b.lanes && a.unlimited == b.unlimited &&
         a.on_roundabout == b.on_roundabout;
}

struct segment_model_options {
  sim_time stuck_time = 10 * ms_per_second;  // MATSim's default stuck time
  // Room a leaving vehicle frees reaches the upstream end only after a backward wave has crossed
  // the segment (MATSim's "holes"); 0 frees it at once.
  double hole_speed_kmh = 0;
  // Priority vehicles (emergency units) drive the free part of a segment at free-flow speed and
  // pass its queue at this speed (or free flow, if lower) instead of waiting in it.
  double priority_passing_speed_kmh = 20;
  bool operator==(const segment_model_options&) const = default;
};

// Vehicles circulating past a roundabout node: a count that decays with a one-minute time constant,
// so per_s estimates the recent flow per second. Exact between updates: value(t) = per_s e^-(t-as_of)/60 s.
struct circulating_flow {
  double per_s = 0;
  sim_time as_of = 0;
  [[nodiscard]] double at(sim_time t) const;  // veh/s
  void count_one(sim_time t);
  bool operator==(const circulating_flow&) const = default;
};

// Entry capacity (veh/h, all entry lanes) of a roundabout entry facing `circulating_veh_h` on the
// ring: the HCM's gap-acceptance regressions (Highway Capacity Manual, 6th edition, chapter 22), for
// one or two entry and circulating lanes (more count as two).
double roundabout_entry_capacity(double entry_lanes, double circulating_lanes, double circulating_veh_h);

// What a downstream segment last said about its room, corrected for what we sent since.
struct downstream_room {
  segment_id segment = no_segment;
  bool near_full = false;
  std::int32_t free = 0;
  bool eager = false;
  window_index last_send_window = -1;
  std::int32_t sent_in_last_window = 0;
  double ring_lanes = 0;          // > 0: a roundabout's ring we enter, yielding to its circulating flow
  circulating_flow circulating;   // as the ring last announced it
  bool operator==(const downstream_room&) const = default;
};

struct handoff_out {
  segment_id to = no_segment;
  bool wake_next_window = false;  // the receiver is near full or held: it must count the vehicle now
  vehicle v;
};

struct advance_result {
  std::vector<handoff_out> handoffs;  // in exit order
  std::vector<trip_record> arrivals;
  sim_time next_due = never;
  std::int32_t forced = 0;
  std::int32_t reroutes = 0;
  void clear() {
    handoffs.clear();
    arrivals.clear();
    next_due = never;
    forced = reroutes = 0;
  }
};

// How many vehicles a segment holds, and how close to full it may get before it must announce.
struct segment_room {
  std::int32_t storage = 0;
  std::int32_t announce_margin = 0;
};

class road_segment {
 public:
  road_segment() = default;  // an empty placeholder, e.g. for a state being filled in
  // `downstream` holds every segment leaving this one's end node with the room it starts with.
  road_segment(const road_segment_spec& spec, segment_room room, std::vector<downstream_room> downstream,
               segment_model_options options = {});

  // Inputs, applied by the caller in canonical order.
  // v.entered is when it left the previous segment (or departed); `from_ring`: it came from a ring
  // segment, so if we are on the ring too it passed our upstream node circulating.
  void accept(vehicle v, bool from_ring = false);
  void apply_space_update(const space_update& update);
  void set_closed(bool closed) { closed_ = closed; }
  void set_capacity_factor(double factor);
  // A detector's speed replaces the travel estimate; its count steers inflow: where the model let in
  // more vehicles than counted since the previous reading, routing sees the segment dearer (fewer
  // choose it), where fewer, cheaper: the factor is sqrt((modelled + 60) / (counted + 60)) veh/h,
  // kept within [0.5, 2]. A reading of trust t < 1 (an unhealthy sensor, engine/analytics/README.md)
  // counts only that far: the estimate uses the speed t * observed + (1 - t) * modelled, and the
  // count factor is raised to the power t.
  void observe(const detector_observation& reading);

  // Moves every vehicle whose exit falls in [start, end).
  void advance(window_index window, sim_time start, sim_time end, const router& routes, const travel_times& times,
               advance_result& out);

  // Room to announce upstream after a window ending at `end`, if it changed in a way they must hear
  // (a ring segment's circulating flow included); `took_vehicles`: vehicles were accepted in this window.
  [[nodiscard]] std::optional<space_update> take_announcement(window_index window, sim_time end, bool took_vehicles);

  [[nodiscard]] segment_snapshot snapshot(sim_time now) const;
  // Starts the worst-queue record afresh at `now` (a fork reports the worst queue since its cut).
  void restart_queue_record(sim_time now) {
    max_queue_ = queued_at(now);
    max_queue_at_ = now;
  }
  [[nodiscard]] const road_segment_spec& spec() const { return spec_; }
  [[nodiscard]] std::int32_t vehicle_count() const {
    return static_cast<std::int32_t>(vehicles_.size() + priority_.size());
  }
  [[nodiscard]] const std::deque<vehicle>& vehicles() const { return vehicles_; }
  [[nodiscard]] std::vector<std::uint32_t> priority_vehicle_ids() const;
  [[nodiscard]] sim_time travel_estimate() const;
  // The model's own travel time, ignoring detector readings.
  [[nodiscard]] sim_time modelled_travel() const;
  [[nodiscard]] bool closed() const { return closed_; }
  // Every field, the queue included: a restored copy behaves exactly like the original.
  bool operator==(const road_segment&) const = default;
  // Every field, in the CAF inspect style: checkpoints write and read a segment with it.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, road_segment& x) {
    return f(x.spec_, x.options_, x.freeflow_ms_, x.storage_, x.announce_margin_, x.headway_us_, x.next_exit_us_,
             x.blocked_since_, x.closed_, x.capacity_factor_, x.vehicles_, x.priority_, x.holes_, x.hole_travel_ms_,
             x.downstream_, x.announced_near_full_, x.announced_free_, x.announced_eager_, x.inflow_, x.outflow_,
             x.travel_time_sum_, x.recent_travel_ms_, x.max_queue_, x.max_queue_at_, x.observation_, x.has_observation_,
             x.inflow_at_observation_, x.count_steering_, x.last_headway_us_, x.circulating_, x.announced_circulating_);
  }

 private:
  [[nodiscard]] std::int32_t queued_at(sim_time t) const;
  [[nodiscard]] sim_time exit_slot() const;  // earliest time the capacity allows the next exit
  // Time the next vehicle waits behind one leaving at `t` into `room`: the flow capacity's headway,
  // or, entering a roundabout, the entry capacity's if longer.
  [[nodiscard]] std::int64_t headway_into(const downstream_room* room, sim_time t) const;
  [[nodiscard]] bool circulating_news(sim_time end) const;
  downstream_room* room_for(segment_id next);
  enum class route_check { unchanged, rerouted, no_way_round };
  route_check plan_around_closures(vehicle& v, const router& routes, const travel_times& times);
  [[nodiscard]] sim_time priority_exit(sim_time entered) const;
  void advance_priority(sim_time start, sim_time end, const router& routes, const travel_times& times,
                        advance_result& out);

  road_segment_spec spec_;
  segment_model_options options_;
  sim_time freeflow_ms_ = 0;
  std::int32_t storage_ = 0;
  std::int32_t announce_margin_ = 0;
  std::int64_t headway_us_ = 0;        // 0: unlimited; INT64_MAX: exit blocked
  std::int64_t next_exit_us_ = 0;    // flow-capacity slot, in microseconds for precision
  std::int64_t last_headway_us_ = 0; // the headway behind the last vehicle out (roundabout entries vary it)
  sim_time blocked_since_ = never;
  bool closed_ = false;
  double capacity_factor_ = 1;
  std::deque<vehicle> vehicles_;     // FIFO; the front reaches the exit first
  std::vector<std::pair<sim_time, vehicle>> priority_;  // with their exit times, in (exit, id) order
  std::deque<sim_time> holes_;       // when the room freed by each leaver reaches the upstream end
  sim_time hole_travel_ms_ = 0;
  std::vector<downstream_room> downstream_;
  circulating_flow circulating_;            // on a ring: traffic passing our upstream node on the ring
  circulating_flow announced_circulating_;  // what the segments entering there last heard

  // Announcement state: what upstream segments believe about us.
  bool announced_near_full_ = false;
  std::int32_t announced_free_ = 0;
  bool announced_eager_ = false;

  // Counters and recent behaviour for the twin state.
  std::int64_t inflow_ = 0, outflow_ = 0;
  sim_time travel_time_sum_ = 0;
  sim_time recent_travel_ms_ = 0;      // moving average of recent traversal times
  std::int32_t max_queue_ = 0;
  sim_time max_queue_at_ = 0;
  detector_observation observation_{};
  bool has_observation_ = false;
  std::int64_t inflow_at_observation_ = 0;  // inflow_ when the last observation arrived
  double count_steering_ = 1;               // multiplies the travel estimate (see observe)
};

// Time the room freed by a leaving vehicle takes to reach the upstream end (0 without backward waves).
sim_time hole_travel_time(const road_segment_spec& spec, const segment_model_options& options);
// Vehicles a segment holds: length x lanes / 7.5 m, but never fewer than it needs to pass its flow
// capacity. A slot stays taken from when a vehicle is sent until the sender hears it is free again:
// the free-flow time, the backward wave's crossing and up to one window; at least two windows.
// (MATSim enlarges links too short for their capacity alike, by free-flow and hole travel times.)
std::int32_t storage_slots(const road_segment_spec& spec, sim_time window_length, const segment_model_options& options);
// Its storage, and as margin the most its upstream segments can send in one window, plus one.
segment_room room_of(const city_graph& graph, segment_id segment, sim_time window_length,
                     const segment_model_options& options);
std::vector<downstream_room> initial_downstream(const city_graph& graph, segment_id segment, sim_time window_length,
                                                const segment_model_options& options);

}  // namespace citytwin
