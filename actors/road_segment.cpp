#include "actors/road_segment.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace citytwin {

namespace {
constexpr std::int64_t us_per_ms = 1000;
constexpr std::int64_t blocked_headway = std::numeric_limits<std::int64_t>::max();
// Storage of unlimited segments (zone connectors): effectively infinite, still a finite int.
constexpr std::int32_t unlimited_storage = 1 << 30;

// The circulating-flow estimate's time constant: a minute of history, as fresh as gaps are judged.
constexpr double circulating_time_constant_ms = 60.0 * ms_per_second;

std::int64_t headway_for(const road_segment_spec& spec, double factor) {
  if (spec.unlimited) return 0;
  double per_hour = spec.capacity_veh_per_h * factor;
  if (!(per_hour > 0)) return blocked_headway;
  return static_cast<std::int64_t>(std::llround(3.6e9 / per_hour));  // microseconds per vehicle
}
}  // namespace

double circulating_flow::at(sim_time t) const {
  if (t <= as_of) return per_s;
  return per_s * std::exp(-static_cast<double>(t - as_of) / circulating_time_constant_ms);
}

void circulating_flow::count_one(sim_time t) {
  const double one = ms_per_second / circulating_time_constant_ms;  // one vehicle, per second
  if (t < as_of) {
    per_s += one * std::exp(-static_cast<double>(as_of - t) / circulating_time_constant_ms);
    return;
  }
  per_s = at(t) + one;
  as_of = t;
}

double roundabout_entry_capacity(double entry_lanes, double circulating_lanes, double circulating_veh_h) {
  const bool two_entry = entry_lanes >= 1.5, two_circulating = circulating_lanes >= 1.5;
  const double v = std::max(0.0, circulating_veh_h);
  if (!two_circulating) return two_entry ? 2 * 1420 * std::exp(-0.91e-3 * v) : 1380 * std::exp(-1.02e-3 * v);
  const double right_lane = 1420 * std::exp(-0.85e-3 * v);
  return two_entry ? right_lane + 1350 * std::exp(-0.92e-3 * v) : right_lane;
}

sim_time hole_travel_time(const road_segment_spec& spec, const segment_model_options& options) {
  if (!(options.hole_speed_kmh > 0) || spec.unlimited) return 0;
  return static_cast<sim_time>(spec.length_m / (options.hole_speed_kmh / 3.6) * ms_per_second + 0.5);
}

std::int32_t storage_slots(const road_segment_spec& spec, sim_time window_length, const segment_model_options& options) {
  if (spec.unlimited) return unlimited_storage;
  const sim_time slot_held =
      std::max(freeflow_ms(spec) + hole_travel_time(spec, options) + window_length, 2 * window_length);
  const double to_pass_capacity = std::ceil(spec.capacity_veh_per_h * static_cast<double>(slot_held) / ms_per_hour);
  return static_cast<std::int32_t>(std::max(std::floor(spec.storage_capacity_veh()), to_pass_capacity));
}

segment_room room_of(const city_graph& graph, segment_id segment, sim_time window_length,
                     const segment_model_options& options) {
  const auto& s = graph.segments[segment];
  std::int32_t margin = 1;
  for (auto i = graph.in_begin[s.from]; i < graph.in_begin[s.from + 1]; ++i) {
    const auto& up = graph.segments[graph.in_ids[i]];
    double per_window = up.unlimited ? 1 : up.capacity_veh_per_h * static_cast<double>(window_length) / ms_per_hour;
    margin += static_cast<std::int32_t>(std::ceil(std::max(1.0, per_window)));
  }
  return {storage_slots(s, window_length, options), margin};
}

std::vector<downstream_room> initial_downstream(const city_graph& graph, segment_id segment, sim_time window_length,
                                                const segment_model_options& options) {
  std::vector<downstream_room> rooms;
  node_index end = graph.segments[segment].to;
  for (auto i = graph.out_begin[end]; i < graph.out_begin[end + 1]; ++i) {
    segment_id d = graph.out_ids[i];
    downstream_room room;
    room.segment = d;
    const segment_room limits = room_of(graph, d, window_length, options);
    room.free = limits.storage;
    room.near_full = limits.storage < limits.announce_margin;
    const auto& next = graph.segments[d];
    if (next.on_roundabout && !graph.segments[segment].on_roundabout) room.ring_lanes = next.lanes;
    rooms.push_back(room);
  }
  return rooms;
}

road_segment::road_segment(const road_segment_spec& spec, segment_room room, std::vector<downstream_room> downstream,
                           segment_model_options options)
    : spec_(spec),
      options_(options),
      freeflow_ms_(freeflow_ms(spec)),
      storage_(room.storage),
      announce_margin_(room.announce_margin),
      headway_us_(headway_for(spec, 1)),
      last_headway_us_(headway_us_),
      hole_travel_ms_(hole_travel_time(spec, options)),
      downstream_(std::move(downstream)),
      announced_near_full_(room.storage < room.announce_margin),
      announced_free_(storage_),
      recent_travel_ms_(freeflow_ms_) {}

void road_segment::accept(vehicle v, bool from_ring) {
  ++inflow_;
  if (from_ring && spec_.on_roundabout) circulating_.count_one(v.entered);
  if (v.priority) {
    const sim_time exit = priority_exit(v.entered);
    const auto at = std::upper_bound(priority_.begin(), priority_.end(), std::pair{exit, v.id},
                                     [](const auto& key, const auto& p) { return key < std::pair{p.first, p.second.id}; });
    priority_.insert(at, {exit, std::move(v)});
    return;
  }
  vehicles_.push_back(std::move(v));
}

sim_time road_segment::priority_exit(sim_time entered) const {
  const double queued_share = spec_.unlimited ? 0 : std::min(1.0, static_cast<double>(queued_at(entered)) / std::max(1, storage_));
  const double passing_mps = std::min(spec_.freeflow_speed_mps, options_.priority_passing_speed_kmh / 3.6);
  const double passing_ms = passing_mps > 0 ? spec_.length_m * queued_share / passing_mps * ms_per_second : 0;
  return entered + static_cast<sim_time>(std::llround(static_cast<double>(freeflow_ms_) * (1 - queued_share) + passing_ms));
}

std::vector<std::uint32_t> road_segment::priority_vehicle_ids() const {
  std::vector<std::uint32_t> ids;
  for (const auto& [exit, v] : priority_) ids.push_back(v.id);
  return ids;
}

void road_segment::advance_priority(sim_time start, sim_time end, const router& routes, const travel_times& times,
                                    advance_result& out) {
  std::size_t done = 0;
  for (; done < priority_.size(); ++done) {
    auto& [exit, v] = priority_[done];
    const sim_time t = std::max(exit, start);
    if (t >= end) break;
    if (v.route_index + 1 == v.route.size()) {
      out.arrivals.push_back({v.id, v.departure, t, v.freeflow_travelled + freeflow_ms_});
    } else {
      const auto check = plan_around_closures(v, routes, times);
      if (check == route_check::no_way_round) break;  // waits, in order, until closures change
      if (check == route_check::rerouted) ++out.reroutes;
      if (room_for(v.route[v.route_index + 1]) == nullptr) break;
      v.freeflow_travelled += freeflow_ms_;
      ++v.route_index;
      v.entered = t;
      out.handoffs.push_back({v.route[v.route_index], false, std::move(v)});
    }
    ++outflow_;
  }
  priority_.erase(priority_.begin(), priority_.begin() + static_cast<std::ptrdiff_t>(done));
  if (!priority_.empty()) out.next_due = std::min(out.next_due, std::max(priority_.front().first, end));
}

void road_segment::set_capacity_factor(double factor) {
  capacity_factor_ = factor;
  headway_us_ = headway_for(spec_, factor);
  last_headway_us_ = headway_us_;
}

void road_segment::observe(const detector_observation& reading) {
  if (has_observation_ && reading.at > observation_.at && reading.flow_veh_h >= 0) {
    const double hours = static_cast<double>(reading.at - observation_.at) / ms_per_hour;
    const double modelled = static_cast<double>(inflow_ - inflow_at_observation_) / hours;
    // The 60 veh/h keep a quiet segment's few vehicles from swinging the factor.
    count_steering_ = std::pow(std::clamp(std::sqrt((modelled + 60) / (reading.flow_veh_h + 60)), 0.5, 2.0),
                               std::clamp(reading.trust, 0.0, 1.0));
  }
  inflow_at_observation_ = inflow_;
  observation_ = reading;
  has_observation_ = true;
}

downstream_room* road_segment::room_for(segment_id next) {
  for (auto& r : downstream_)
    if (r.segment == next) return &r;
  return nullptr;
}

void road_segment::apply_space_update(const space_update& update) {
  auto* room = room_for(update.from);
  if (room == nullptr) return;
  room->near_full = update.near_full;
  room->eager = update.eager;
  // The sender had not yet seen what we sent it in its own window.
  std::int32_t unseen = room->last_send_window >= update.window ? room->sent_in_last_window : 0;
  room->free = update.free - unseen;
  room->circulating = {update.circulating_per_s, update.circulating_as_of};
}

sim_time road_segment::exit_slot() const {
  return (next_exit_us_ + us_per_ms - 1) / us_per_ms;
}

std::int64_t road_segment::headway_into(const downstream_room* room, sim_time t) const {
  if (room == nullptr || !(room->ring_lanes > 0)) return headway_us_;
  const double entry_veh_h =
      roundabout_entry_capacity(spec_.lanes, room->ring_lanes, room->circulating.at(t) * ms_per_hour / ms_per_second);
  return std::max(headway_us_, static_cast<std::int64_t>(std::llround(3.6e9 / entry_veh_h)));
}

std::int32_t road_segment::queued_at(sim_time t) const {
  std::int32_t n = 0;
  for (const auto& v : vehicles_) {
    if (v.entered + freeflow_ms_ > t) break;
    ++n;
  }
  return n;
}

sim_time road_segment::travel_estimate() const {
  if (closed_) return never;
  const auto steered = [this](sim_time ms) {
    if (count_steering_ == 1) return ms;
    return std::max<sim_time>(1, static_cast<sim_time>(std::llround(static_cast<double>(ms) * count_steering_)));
  };
  // A healthy live detector's speed is the best estimate there is: it replaces the model's until the next reading.
  if (has_observation_ && observation_.speed_mps > 0) {
    const double trust = std::clamp(observation_.trust, 0.0, 1.0);
    double speed = observation_.speed_mps;
    if (trust < 1) speed = trust * speed + (1 - trust) * spec_.length_m / to_seconds(std::max<sim_time>(1, modelled_travel()));
    return steered(std::max<sim_time>(1, static_cast<sim_time>(spec_.length_m / speed * ms_per_second)));
  }
  return steered(modelled_travel());
}

sim_time road_segment::modelled_travel() const {
  if (vehicles_.empty()) return freeflow_ms_;
  sim_time queue_delay = 0;
  if (headway_us_ == blocked_headway) queue_delay = ms_per_hour;  // a blocked exit: avoid it for now
  else queue_delay = static_cast<sim_time>(vehicles_.size()) * std::max(headway_us_, last_headway_us_) / us_per_ms;
  return std::max(recent_travel_ms_, freeflow_ms_ + queue_delay / 2);
}

road_segment::route_check road_segment::plan_around_closures(vehicle& v, const router& routes,
                                                            const travel_times& times) {
  if (v.route_version == times.closure_version) return route_check::unchanged;
  v.route_version = times.closure_version;
  bool blocked = false;
  for (auto i = v.route_index + 1; i < v.route.size(); ++i)
    if (times.is_closed(v.route[i])) blocked = true;
  if (!blocked) return route_check::unchanged;
  auto detour = routes.route(spec_.to, v.destination, times);
  if (!detour) {
    v.route_version = 0;  // try again when closures change
    return route_check::no_way_round;
  }
  v.route.resize(v.route_index + 1);
  v.route.insert(v.route.end(), detour->begin(), detour->end());
  return route_check::rerouted;
}

void road_segment::advance(window_index window, sim_time start, sim_time end, const router& routes,
                           const travel_times& times, advance_result& out) {
  advance_priority(start, end, routes, times, out);
  while (!vehicles_.empty()) {
    vehicle& v = vehicles_.front();
    sim_time t = std::max({v.entered + freeflow_ms_, exit_slot(), start});
    if (headway_us_ == blocked_headway) break;  // exit blocked; a control message wakes us
    if (t >= end) {
      out.next_due = std::min(out.next_due, t);
      break;
    }
    const bool arriving = v.route_index + 1 == v.route.size();
    downstream_room* room = nullptr;
    if (!arriving) {
      auto check = plan_around_closures(v, routes, times);
      if (check == route_check::no_way_round) break;  // wait; woken when closures change
      if (check == route_check::rerouted) ++out.reroutes;
      room = room_for(v.route[v.route_index + 1]);
      if (room == nullptr) break;  // route inconsistent with the graph: hold rather than teleport
      if (room->near_full && room->free <= 0) {
        if (blocked_since_ == never) blocked_since_ = t;
        if (t - blocked_since_ < options_.stuck_time) {
          out.next_due = std::min(out.next_due, blocked_since_ + options_.stuck_time);
          break;
        }
        ++out.forced;  // stuck-time rule: the head moves on regardless of room
      }
    }
    blocked_since_ = never;
    if (hole_travel_ms_ > 0) holes_.push_back(t + hole_travel_ms_);
    last_headway_us_ = headway_into(room, t);
    next_exit_us_ = std::max(next_exit_us_, t * us_per_ms) + last_headway_us_;
    ++outflow_;
    sim_time traversal = t - v.entered;
    travel_time_sum_ += traversal;
    recent_travel_ms_ = (3 * recent_travel_ms_ + traversal) / 4;
    v.freeflow_travelled += freeflow_ms_;
    if (arriving) {
      out.arrivals.push_back({v.id, v.departure, t, v.freeflow_travelled});
    } else {
      if (room->last_send_window != window) room->sent_in_last_window = 0;
      room->last_send_window = window;
      ++room->sent_in_last_window;
      --room->free;
      ++v.route_index;
      v.entered = t;
      out.handoffs.push_back({room->segment, room->near_full || room->eager, std::move(v)});
    }
    vehicles_.pop_front();
  }
  if (vehicles_.empty()) recent_travel_ms_ = freeflow_ms_;
  while (!holes_.empty() && holes_.front() < end) holes_.pop_front();
  // While near full, upstream segments wait for each hole: run again when the next one arrives.
  if (!holes_.empty() && storage_ - vehicle_count() - static_cast<std::int32_t>(holes_.size()) < announce_margin_)
    out.next_due = std::min(out.next_due, holes_.front());
  auto queued = queued_at(end - 1);
  if (queued > max_queue_) {
    max_queue_ = queued;
    max_queue_at_ = end - 1;
  }
}

bool road_segment::circulating_news(sim_time end) const {
  if (!spec_.on_roundabout) return false;
  const double now_veh_h = circulating_.at(end) * 3600, heard_veh_h = announced_circulating_.at(end) * 3600;
  // Entries hear of changes over 36 veh/h (their capacity moves by 3.6 % per 36 veh/h) and over 5 % of the flow.
  return std::abs(now_veh_h - heard_veh_h) > std::max(36.0, 0.05 * now_veh_h);
}

std::optional<space_update> road_segment::take_announcement(window_index window, sim_time end, bool took_vehicles) {
  std::int32_t free = storage_ - vehicle_count() - static_cast<std::int32_t>(holes_.size());
  bool near_full = free < announce_margin_;
  // A held head means we run rarely: upstream must wake us so our count stays current.
  bool eager = blocked_since_ != never || (headway_us_ == blocked_headway && !vehicles_.empty());
  // Senders count down the room they use until we announce having seen their vehicles: even an
  // unchanged count must be said then, or their room shrinks for good.
  bool unchanged = eager == announced_eager_ &&
                   (near_full ? free == announced_free_ && announced_near_full_ && !took_vehicles : !announced_near_full_) &&
                   !circulating_news(end);
  if (unchanged) return std::nullopt;
  announced_near_full_ = near_full;
  announced_free_ = free;
  announced_eager_ = eager;
  announced_circulating_ = circulating_;
  return space_update{window, spec_.id, free, near_full, eager, circulating_.per_s, circulating_.as_of};
}

segment_snapshot road_segment::snapshot(sim_time now) const {
  segment_snapshot s;
  s.segment = spec_.id;
  s.closed = closed_;
  s.capacity_factor = capacity_factor_;
  s.vehicles = vehicle_count();
  s.queued = queued_at(now);
  s.inflow = inflow_;
  s.outflow = outflow_;
  s.travel_time_sum = travel_time_sum_;
  s.max_queue = max_queue_;
  s.max_queue_at = max_queue_at_;
  s.mean_speed_mps = recent_travel_ms_ > 0 ? spec_.length_m / to_seconds(recent_travel_ms_) : spec_.freeflow_speed_mps;
  s.density_veh_per_km = spec_.length_m > 0 ? vehicle_count() / (spec_.length_m / 1000) : 0;
  s.has_observation = has_observation_;
  s.observed_at = observation_.at;
  s.observed_speed_mps = observation_.speed_mps;
  s.observed_flow_veh_h = observation_.flow_veh_h;
  return s;
}

}  // namespace citytwin
