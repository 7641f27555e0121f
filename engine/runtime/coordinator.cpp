#include "engine/runtime/coordinator.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <chrono>
#include <optional>
#include <tuple>
#include <stdexcept>
#include <string>

namespace citytwin {

template <class State>
void window_coordinator::save_routing_view(State& state) const {
  state.closed = closed_;
  state.estimates = estimates_;
  state.times = *context_.times;
  state.next_serial = serial_;
  state.closure_version = closure_version_;
  state.last_refresh_epoch = last_refresh_epoch_;
  state.departed = departed_;
  state.arrived = arrived_;
}

template <class State>
void window_coordinator::load_routing_view(const State& state) {
  closed_ = state.closed;
  estimates_ = state.estimates;
  context_.times = std::make_shared<travel_times>(state.times);
  serial_ = state.next_serial;
  closure_version_ = state.closure_version;
  last_refresh_epoch_ = state.last_refresh_epoch;
  departed_ = state.departed;
  arrived_ = state.arrived;
}

window_coordinator::window_coordinator(caf::actor_system& system, simulation_context& context,
                                       const simulation_options& options, const trip_plan& plan)
    : system_(system), context_(context), options_(options) {
  for (const auto& t : plan.trips) {
    departure_times_.push_back(t.departure);
    next_vehicle_id_ = std::max(next_vehicle_id_, t.vehicle_id + 1);
  }
  const simulation_state* resume = options.resume_from.get();
  if (resume != nullptr) {
    next_vehicle_id_ = std::max(next_vehicle_id_, resume->next_vehicle_id);
    controls_ = resume->scheduled;
  }
  controls_.insert(controls_.end(), options.controls.begin(), options.controls.end());
  std::stable_sort(controls_.begin(), controls_.end(),
                   [](const segment_control& a, const segment_control& b) { return a.at < b.at; });
  for (const auto& c : controls_)
    if (c.segment >= context.graph.segments.size())
      throw std::invalid_argument("intervention names segment " + std::to_string(c.segment) + ", but the city has " +
                                  std::to_string(context.graph.segments.size()));
  if (const run_progress* from = options.continue_from.get()) {
    if (from->closed.size() != context.graph.segments.size() || from->estimates.size() != context.graph.segments.size() ||
        from->next_control > controls_.size())
      throw std::invalid_argument("cannot continue from this checkpoint: it was taken on another city or scenario");
    next_vehicle_id_ = std::max(next_vehicle_id_, from->next_vehicle_id);
    next_control_ = from->next_control;
    load_routing_view(*from);
    unroutable_before_ = from->unroutable_before;
    if (context_.on_times_published) context_.on_times_published(*context_.times);
    return;
  }
  if (resume != nullptr) {
    load_routing_view(*resume);
    unroutable_before_ = resume->unroutable;
    return;
  }
  closed_.assign(context.graph.segments.size(), false);
  estimates_ = freeflow_times(context.graph).ms;
  refresh_travel_times_locally();
}

simulation_state window_coordinator::capture(caf::scoped_actor& self, sim_time time,
                                             const std::vector<std::vector<booking>>& bookings,
                                             const simulation_result& result) const {
  const auto n = context_.segment_actors.size();
  simulation_state state;
  state.time = time;
  state.seed = context_.seed;
  state.next_vehicle_id = next_vehicle_id_;
  state.window_length = context_.window_length;
  state.reroute_interval = options_.reroute_interval;
  state.model = context_.model;
  state.bookings.assign(n, no_window);
  state.shard_estimates.assign(n, 0);
  for (const auto& list : bookings)
    for (const auto& b : list) state.bookings[b.segment] = std::min(state.bookings[b.segment], b.window);
  auto add_shard = [&](const shard_state& s) {
    for (const auto& [segment, window] : s.bookings) state.bookings[segment] = std::min(state.bookings[segment], window);
    for (const auto& [segment, estimate] : s.estimates) state.shard_estimates[segment] = estimate;
    state.departures.insert(state.departures.end(), s.departures.begin(), s.departures.end());
  };
  std::vector<std::optional<segment_state>> segments(n);
  if (context_.gather_cut) {
    for (auto& part : context_.gather_cut()) {
      add_shard(part.shard);
      for (auto& s : part.segments) {
        const auto id = s.model.spec().id;
        if (id < n) segments[id] = std::move(s);
      }
    }
  } else {
    for (const caf::actor& shard : context_.shards)
      self->request(shard, caf::infinite, capture_atom_v)
          .receive([&](shard_state& s) { add_shard(s); },
                   [&](caf::error& e) { throw std::runtime_error("shard did not answer: " + system_.render(e)); });
    for (const caf::actor& segment : context_.segment_actors) self->send(segment, capture_atom_v);
    std::size_t received = 0;
    self->receive_for(received, n)(
        [&](segment_state& s) {
          const auto id = s.model.spec().id;
          segments[id] = std::move(s);
        },
        [&](caf::error& e) { throw std::runtime_error("segment did not answer: " + system_.render(e)); });
  }
  std::sort(state.departures.begin(), state.departures.end(), [](const trip& a, const trip& b) {
    return std::tie(a.departure, a.vehicle_id) < std::tie(b.departure, b.vehicle_id);
  });
  state.segments.reserve(n);
  for (segment_id s = 0; s < n; ++s) {
    if (!segments[s]) throw std::runtime_error("the cut lacks segment " + std::to_string(s));
    state.segments.push_back(std::move(*segments[s]));
  }
  state.scheduled.assign(controls_.begin() + static_cast<std::ptrdiff_t>(next_control_), controls_.end());
  save_routing_view(state);
  state.unroutable = unroutable_before_ + result.unroutable;
  return state;
}

run_progress window_coordinator::progress_at(sim_time time, const std::vector<std::vector<booking>>& bookings,
                                             const std::vector<window_index>& shard_next, std::int64_t in_flight,
                                             sim_time departure_sum, std::int64_t departed_before,
                                             std::int64_t arrived_before, const simulation_result& result) const {
  run_progress p;
  p.time = time;
  p.next_vehicle_id = next_vehicle_id_;
  p.next_control = next_control_;
  save_routing_view(p);
  p.unroutable_before = unroutable_before_;
  p.bookings = bookings;
  p.shard_next = shard_next;
  p.in_flight = in_flight;
  p.departure_sum = departure_sum;
  p.departed_before = departed_before;
  p.arrived_before = arrived_before;
  p.start_time = result.start_time;
  p.carried_over = result.carried_over;
  p.unroutable = result.unroutable;
  p.forced_moves = result.forced_moves;
  p.reroutes = result.reroutes;
  p.activations = result.activations;
  p.windows = result.windows;
  p.trips = result.trips;
  return p;
}

template <class OnReport>
void window_coordinator::await_reports(caf::scoped_actor& self, window_index w, OnReport on_report) {
  const auto shard_count = context_.shards.size();
  auto on_error = [&](caf::error& e) { throw std::runtime_error("shard failed: " + system_.render(e)); };
  if (options_.barrier_timeout_s <= 0) {
    for (std::size_t received = 0; received < shard_count; ++received) self->receive(on_report, on_error);
    return;
  }
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options_.barrier_timeout_s * 1000));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<bool> reported(shard_count, false);
  auto stalled = [&] {
    std::vector<std::uint32_t> silent;
    std::string names;
    for (std::uint32_t i = 0; i < shard_count; ++i)
      if (!reported[i]) {
        silent.push_back(i);
        names += (names.empty() ? "" : ", ") + std::to_string(i);
      }
    throw barrier_stalled("window " + std::to_string(w) + " (from " + format_clock(w * context_.window_length) +
                              ") did not complete within " + fmt::format("{:g}", options_.barrier_timeout_s) +
                              " s (barrier timeout): no report from shard " + names,
                          w, std::move(silent));
  };
  for (std::size_t received = 0; received < shard_count; ++received) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) stalled();
    self->receive(
        [&](shard_report& r) {
          if (r.shard < shard_count) reported[r.shard] = true;
          on_report(r);
        },
        on_error, caf::after(left) >> stalled);
  }
}

void window_coordinator::refresh_travel_times_locally() {
  auto times = std::make_shared<travel_times>();
  times->ms = estimates_;
  for (std::size_t s = 0; s < closed_.size(); ++s)
    if (closed_[s]) times->ms[s] = never;
  times->closure_version = closure_version_;
  times->serial = serial_++;
  context_.times = std::move(times);
  if (context_.on_times_published) context_.on_times_published(*context_.times);
}

void window_coordinator::refresh_travel_times(caf::scoped_actor& self) {
  // One shard at a time, with ordinary messages: the answer is shard i's, and the error a lost
  // node's gateway sends the coordinator ends the wait (as in publish_live_state).
  for (std::size_t i = 0; i < context_.shards.size(); ++i) {
    self->send(context_.shards[i], estimates_atom_v);
    self->receive(
        [&](const std::vector<sim_time>& shard_estimates) {
          for (std::size_t s = 0; s < estimates_.size(); ++s)
            if (context_.shard_of[s] == i) estimates_[s] = shard_estimates[s];
        },
        [&](caf::error& e) { throw std::runtime_error("shard did not answer: " + system_.render(e)); });
  }
  refresh_travel_times_locally();
}

std::vector<std::vector<segment_control>> window_coordinator::take_controls(window_index w) {
  std::vector<std::vector<segment_control>> per_shard(context_.shards.size());
  bool closures_changed = false;
  while (next_control_ < controls_.size() && context_.window_of(controls_[next_control_].at) <= w) {
    const auto& c = controls_[next_control_++];
    per_shard[context_.shard_of[c.segment]].push_back(c);
    if (c.kind == control_kind::close || c.kind == control_kind::reopen) {
      bool closing = c.kind == control_kind::close;
      if (closed_[c.segment] != closing) closures_changed = true;
      closed_[c.segment] = closing;
    }
  }
  if (closures_changed) {
    ++closure_version_;
    refresh_travel_times_locally();
  }
  return per_shard;
}

void window_coordinator::pull_live_inputs(sim_time start, std::vector<std::vector<segment_control>>& controls_per_shard,
                                          std::vector<std::vector<segment_observation>>& observations_per_shard) {
  std::vector<segment_control> controls;
  std::vector<std::pair<segment_id, detector_observation>> observations;
  options_.live->pull(start, controls, observations);
  bool closures_changed = false;
  for (segment_control c : controls) {
    if (c.segment >= closed_.size()) continue;  // the front door validated ids; never trust twice
    c.at = start;
    controls_per_shard[context_.shard_of[c.segment]].push_back(c);
    if (c.kind == control_kind::close || c.kind == control_kind::reopen) {
      const bool closing = c.kind == control_kind::close;
      closures_changed = closures_changed || closed_[c.segment] != closing;
      closed_[c.segment] = closing;
    }
  }
  if (closures_changed) {
    ++closure_version_;
    refresh_travel_times_locally();
  }
  // Carried by the window order, so each segment has its reading before this window's advance, on any node.
  for (const auto& [segment, observation] : observations)
    if (segment < closed_.size()) observations_per_shard[context_.shard_of[segment]].push_back({segment, observation});
}

void window_coordinator::publish_live_state(caf::scoped_actor& self, sim_time now) {
  std::vector<segment_snapshot> snapshots(context_.graph.segments.size());
  // Ordinary messages, not requests: the error a lost node's gateway sends the coordinator ends this
  // wait as it ends a barrier's (a request's receive would wait for the lost node's answer forever).
  for (const caf::actor& shard : context_.shards) self->send(shard, snapshots_atom_v, now);
  for (std::size_t received = 0; received < context_.shards.size(); ++received)
    self->receive(
        [&](std::vector<segment_snapshot>& part) {
          for (auto& s : part) snapshots[s.segment] = std::move(s);
        },
        [&](caf::error& e) { throw std::runtime_error("shard did not report its segments: " + system_.render(e)); });
  options_.live->publish(now, std::move(snapshots));
}

void window_coordinator::check_invariants(const window_check& c, std::int64_t duplicates) const {
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("invariant broken in window " + std::to_string(c.window) + ": " + what);
  };
  if (c.arrived < 0 || c.on_segments < 0 || c.in_flight < 0) fail("a negative vehicle count");
  if (c.departed != c.arrived + c.on_segments + c.in_flight)
    fail("departed " + std::to_string(c.departed) + " != arrived " + std::to_string(c.arrived) + " + on segments " +
         std::to_string(c.on_segments) + " + in flight " + std::to_string(c.in_flight));
  if (duplicates > 0) fail(std::to_string(duplicates) + " vehicles are on two segments");
}

void window_coordinator::run(simulation_result& result) {
  caf::scoped_actor self{system_};
  const auto shard_count = context_.shards.size();
  const sim_time w_len = context_.window_length;
  const sim_time horizon = options_.duration + (options_.clear ? options_.clear_limit : 0);
  const simulation_state* resume = options_.resume_from.get();
  const run_progress* from = options_.continue_from.get();
  const sim_time start_time = from != nullptr ? from->start_time : resume != nullptr ? resume->time : 0;
  std::vector<std::vector<booking>> bookings(shard_count);  // to hand to each shard with its next order
  std::vector<window_index> shard_next(shard_count, no_window);
  std::int64_t on_segments = 0, in_flight = 0;
  sim_time departure_sum = 0;  // of vehicles departed, each counted from start_time at the earliest
  if (resume != nullptr) {
    for (segment_id s = 0; s < resume->bookings.size(); ++s)
      shard_next[context_.shard_of[s]] = std::min(shard_next[context_.shard_of[s]], resume->bookings[s]);
    for (const auto& seg : resume->segments)
      for (const auto& h : seg.pending_handoffs) in_flight += static_cast<std::int64_t>(h.vehicles.size());
    result.carried_over = resume->departed - resume->arrived;
    departure_sum = result.carried_over * start_time;
  }
  std::int64_t departed_before = departed_, arrived_before = arrived_;
  std::size_t next_departure = 0;
  window_index earliest = start_time / w_len;  // no window before the start runs
  window_index w = earliest - 1;
  sim_time end = start_time;
  if (from != nullptr) {  // the same run, continued from a checkpoint
    if (from->bookings.size() != shard_count || from->shard_next.size() != shard_count)
      throw std::invalid_argument("cannot continue from this checkpoint: it has " + std::to_string(from->shard_next.size()) +
                                  " shards, this run " + std::to_string(shard_count));
    bookings = from->bookings;
    shard_next = from->shard_next;
    in_flight = from->in_flight;
    departure_sum = from->departure_sum;
    departed_before = from->departed_before;
    arrived_before = from->arrived_before;
    result.carried_over = from->carried_over;
    result.unroutable = from->unroutable;
    result.forced_moves = from->forced_moves;
    result.reroutes = from->reroutes;
    result.activations = from->activations;
    result.windows = from->windows;
    result.trips = from->trips;
    earliest = from->time / w_len;
    w = earliest - 1;
    end = from->time;
  }
  const sim_time checkpoint_every = options_.checkpoint ? options_.checkpoint->every : 0;
  sim_time checkpoint_epoch = checkpoint_every > 0 ? end / checkpoint_every : 0;
  const bool live = options_.live != nullptr;
  while (true) {
    if (options_.cancel != nullptr && options_.cancel->load()) throw simulation_cancelled();
    // The next window with work: booked segments, pending wakes, departures or interventions.
    window_index next = *std::min_element(shard_next.begin(), shard_next.end());
    for (const auto& list : bookings)
      for (const auto& b : list) next = std::min(next, b.window);
    while (next_departure < departure_times_.size() && departure_times_[next_departure] < end) ++next_departure;
    if (next_departure < departure_times_.size()) next = std::min(next, context_.window_of(departure_times_[next_departure]));
    if (next_control_ < controls_.size()) next = std::min(next, context_.window_of(controls_[next_control_].at));
    if (options_.dispatch) {
      const sim_time due = options_.dispatch->next_due();
      if (due != never) next = std::min(next, context_.window_of(due));
    }
    next = std::max(next, earliest);
    if (live) next = w + 1;  // the live twin keeps every window, busy or not
    bool work_left = departed_ > arrived_ || next_departure < departure_times_.size();
    if (live) {
      if (!options_.live->keep_running(next * w_len)) break;
    } else {
      if (next == no_window || next * w_len >= horizon) break;
      if (next * w_len >= options_.duration && !(options_.clear && work_left)) break;
    }
    w = next;
    earliest = w + 1;
    const sim_time start = w * w_len;
    end = start + w_len;
    if (auto epoch = start / options_.reroute_interval; epoch != last_refresh_epoch_) {
      last_refresh_epoch_ = epoch;
      refresh_travel_times(self);
    }
    auto controls = take_controls(w);
    std::vector<std::vector<segment_observation>> observations(shard_count);
    if (live) pull_live_inputs(start, controls, observations);
    if (options_.dispatch && options_.dispatch->next_due() < end) {
      for (auto& d : options_.dispatch->dispatch(start, end, context_.routes, *context_.times)) {
        if (d.route.empty()) {
          ++result.unroutable;
          continue;
        }
        vehicle v;
        v.id = d.id;
        v.destination = d.destination;
        v.departure = v.entered = std::max(d.departure, start);
        v.route_version = context_.times->closure_version;
        v.route = std::move(d.route);
        v.priority = true;
        const segment_id first = v.route.front();
        const sim_time due = v.entered + freeflow_ms(context_.graph.segments[first]);
        bookings[context_.shard_of[first]].push_back({first, std::max(w + 1, context_.window_of(due))});
        ++departed_;
        departure_sum += v.departure;
        ++in_flight;  // handed out; the segment counts it in when it takes it
        self->send(context_.segment_actors[first], vehicle_handoff{w, no_segment, {std::move(v)}});
      }
    }
    for (std::size_t i = 0; i < shard_count; ++i) {
      for (const auto& c : controls[i]) {
        // Upstream segments may be holding vehicles for a segment that just reopened.
        node_index from = context_.graph.segments[c.segment].from;
        for (auto k = context_.graph.in_begin[from]; k < context_.graph.in_begin[from + 1]; ++k) {
          auto up = context_.graph.in_ids[k];
          bookings[context_.shard_of[up]].push_back({up, w});
        }
      }
    }
    const auto barrier_start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < shard_count; ++i) {
      self->send(context_.shards[i],
                 window_order{w, start, end, std::move(bookings[i]), std::move(controls[i]), std::move(observations[i])});
      bookings[i].clear();
    }
    std::vector<std::uint32_t> ids;
    on_segments = 0;
    await_reports(self, w, [&](shard_report& r) {
      departed_ += r.departed;
      departure_sum += r.departure_time_sum;
      arrived_ += static_cast<std::int64_t>(r.arrivals.size());
      on_segments += r.vehicles_on_segments;
      in_flight += r.handed_out - r.taken_in;
      result.unroutable += r.unroutable;
      result.forced_moves += r.forced;
      result.reroutes += r.reroutes;
      result.activations += r.activations;
      for (const auto& b : r.remote_bookings) bookings[context_.shard_of[b.segment]].push_back(b);
      result.trips.insert(result.trips.end(), r.arrivals.begin(), r.arrivals.end());
      ids.insert(ids.end(), r.vehicle_ids.begin(), r.vehicle_ids.end());
      shard_next[r.shard] = r.next_window;
    });
    options_.metrics.observe_barrier(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - barrier_start).count());
    ++result.windows;
    std::int64_t duplicates = 0;
    if (context_.check_invariants) {
      std::sort(ids.begin(), ids.end());
      duplicates = static_cast<std::int64_t>(ids.size()) -
                   static_cast<std::int64_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
    }
    window_check check{w, end, departed_, arrived_, on_segments, in_flight, duplicates};
    check_invariants(check, duplicates);
    if (options_.on_window) options_.on_window(check);
    if (live && end / options_.live->publish_every != start / options_.live->publish_every)
      publish_live_state(self, end);
    if (live && options_.live->wants_state && options_.live->wants_state())
      options_.live->take_state(capture(self, end, bookings, result));
    if (options_.on_progress) options_.on_progress({end, horizon, departed_, arrived_, departed_ - arrived_});
    if (checkpoint_every > 0 && end / checkpoint_every > checkpoint_epoch) {
      checkpoint_epoch = end / checkpoint_every;
      options_.checkpoint->take(
          progress_at(end, bookings, shard_next, in_flight, departure_sum, departed_before, arrived_before, result));
    }
  }
  result.start_time = start_time;
  result.end_time = live || options_.clear ? end : std::max(end, options_.duration);  // a live twin ends where it stopped
  result.departed = departed_ - departed_before;
  result.arrived = arrived_ - arrived_before;
  result.en_route = departed_ - arrived_;
  sim_time arrived_departures = 0;
  for (const auto& t : result.trips) arrived_departures += std::max(t.departure, start_time);
  result.en_route_time = result.en_route * result.end_time - (departure_sum - arrived_departures);
  if (options_.capture_state) {
    const sim_time at = (result.end_time + w_len - 1) / w_len * w_len;
    result.state = std::make_shared<simulation_state>(capture(self, at, bookings, result));
  }
}

}  // namespace citytwin
