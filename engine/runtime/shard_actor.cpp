#include "engine/runtime/shard_actor.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "engine/random/counter_rng.hpp"

namespace citytwin {

namespace {

constexpr std::uint64_t route_choice_stream = 3ULL << 40;  // random entities: vehicles choosing a fixed route

void book(shard_actor_state& st, const simulation_context& ctx, const booking& b) {
  if (ctx.shard_of[b.segment] == st.index) st.calendar->book(b.segment, b.window);
  else st.report.remote_bookings.push_back(b);
}

const std::vector<segment_id>* fixed_route(const simulation_context& ctx, const trip& t) {
  if (!ctx.fixed_routes) return nullptr;
  return ctx.fixed_routes->pick(t.origin, t.destination, random_unit(ctx.seed, route_choice_stream + t.vehicle_id, 0));
}

// The least-time route of departure `i` on the current travel times. Building the origin's tree also
// routes that origin's later departures up to the next refresh of the times, so each origin needs one
// search per refresh, and the search stops once all their destinations are settled.
std::vector<segment_id> route_for(shard_actor_state& st, const simulation_context& ctx, std::size_t i,
                                  sim_time window_start) {
  const std::uint64_t serial = ctx.times->serial;
  if (st.route_serial[i] == serial) return std::move(st.planned_routes[i]);
  const trip& t = st.departures[i];
  const sim_time until = (window_start / ctx.reroute_interval + 1) * ctx.reroute_interval;
  thread_local std::vector<std::size_t> ahead;
  thread_local std::vector<node_index> destinations;
  ahead.clear();
  destinations.assign(1, t.destination);
  for (auto j = st.next_from_origin[i]; j < st.departures.size() && st.departures[j].departure < until;
       j = st.next_from_origin[j])
    if (fixed_route(ctx, st.departures[j]) == nullptr) {
      ahead.push_back(j);
      destinations.push_back(st.departures[j].destination);
    }
  ctx.routes.build_tree(t.origin, *ctx.times, st.tree, destinations);
  for (auto j : ahead) {
    st.planned_routes[j] = ctx.routes.path(st.tree, st.departures[j].destination);
    st.route_serial[j] = serial;
  }
  return ctx.routes.path(st.tree, t.destination);
}

// Departures in [.., end) enter their first segment as handoffs from no segment.
void release_departures(shard_actor_type* self, const simulation_context& ctx, const window_order& order) {
  auto& st = self->state;
  std::vector<std::pair<segment_id, vehicle_handoff>> outgoing;
  while (st.next_departure < st.departures.size() && st.departures[st.next_departure].departure < order.end) {
    const std::size_t i = st.next_departure++;
    const trip& t = st.departures[i];
    std::vector<segment_id> route;
    if (const auto* fixed = fixed_route(ctx, t)) route = *fixed;
    else route = route_for(st, ctx, i, order.start);
    if (route.empty()) {
      ++st.report.unroutable;
      continue;
    }
    vehicle v;
    v.id = t.vehicle_id;
    v.destination = t.destination;
    v.departure = t.departure;
    v.entered = t.departure;
    v.route_version = ctx.times->closure_version;
    v.route = std::move(route);
    segment_id first = v.route.front();
    auto it = std::find_if(outgoing.begin(), outgoing.end(), [&](auto& o) { return o.first == first; });
    if (it == outgoing.end()) {
      outgoing.push_back({first, vehicle_handoff{order.window, no_segment, {}}});
      it = std::prev(outgoing.end());
    }
    it->second.vehicles.push_back(std::move(v));
    ++st.report.departed;
    st.report.departure_time_sum += t.departure;
    ++st.report.handed_out;
  }
  for (auto& [first, handoff] : outgoing) {
    // Like any handoff to a segment with room: it counts the vehicles when the first is due at its exit.
    sim_time due = handoff.vehicles.front().entered + ctx.freeflow[first];
    self->send(ctx.segment_actors[first], std::move(handoff));
    book(st, ctx, {first, std::max(order.window + 1, ctx.window_of(due))});
  }
}

void finish_window(shard_actor_type* self) {
  auto& st = self->state;
  st.report.next_window = st.calendar->earliest();
  st.report.vehicles_on_segments = st.vehicles_total;
  for (const auto& [segment, ids] : st.vehicle_ids)  // filled only when invariant checks are on
    st.report.vehicle_ids.insert(st.report.vehicle_ids.end(), ids.begin(), ids.end());
  self->send(st.coordinator, std::move(st.report));
  st.report = shard_report{};
}

}  // namespace

caf::behavior shard_actor(shard_actor_type* self, std::uint32_t index, std::vector<segment_id> owned,
                          std::vector<trip> departures, const simulation_context* context,
                          const simulation_state* resume) {
  auto& st = self->state;
  st.index = index;
  st.owned = std::move(owned);
  st.departures = std::move(departures);
  st.next_from_origin.assign(st.departures.size(), static_cast<std::uint32_t>(st.departures.size()));
  {
    std::unordered_map<node_index, std::size_t> last_from;
    for (std::size_t i = 0; i < st.departures.size(); ++i) {
      auto [it, first] = last_from.try_emplace(st.departures[i].origin, i);
      if (!first) st.next_from_origin[it->second] = static_cast<std::uint32_t>(i);
      it->second = i;
    }
  }
  st.route_serial.assign(st.departures.size(), 0);
  st.planned_routes.resize(st.departures.size());
  const auto n = context->graph.segments.size();
  st.calendar.emplace(n);
  st.estimates.assign(n, 0);
  st.vehicles.assign(n, 0);
  for (auto s : st.owned) st.estimates[s] = freeflow_ms(context->graph.segments[s]);
  if (resume != nullptr)
    for (auto s : st.owned) {
      if (resume->bookings[s] != no_window) st.calendar->book(s, resume->bookings[s]);
      st.estimates[s] = resume->shard_estimates[s];
      st.vehicles[s] = resume->segments[s].model.vehicle_count();
      st.vehicles_total += st.vehicles[s];
    }
  return {
      [self, context](window_order& order) {
        auto& st = self->state;
        st.coordinator = caf::actor_cast<caf::actor>(self->current_sender());
        st.report.shard = st.index;
        st.report.window = order.window;
        std::vector<segment_id> active;
        for (const auto& b : order.bookings) st.calendar->book(b.segment, b.window);
        st.calendar->take_due(order.window, active);
        for (const auto& c : order.controls) active.push_back(c.segment);
        std::sort(active.begin(), active.end());
        active.erase(std::unique(active.begin(), active.end()), active.end());
        for (auto s : active) st.calendar->cancel(s);
        // Readings, then controls: a segment applies them before moving vehicles in this window.
        for (const auto& o : order.observations) self->send(context->segment_actors[o.segment], o.observation);
        for (const auto& c : order.controls) self->send(context->segment_actors[c.segment], c);
        release_departures(self, *context, order);
        for (auto s : active) self->send(context->segment_actors[s], advance_window{order.window, order.start, order.end});
        st.report.activations = static_cast<std::int64_t>(active.size());
        st.pending = static_cast<std::int64_t>(active.size());
        if (st.pending == 0) finish_window(self);
      },
      [self, context](segment_report& r) {
        auto& st = self->state;
        if (r.next_due != never) st.calendar->book(r.segment, std::max(r.window + 1, context->window_of(r.next_due)));
        for (const auto& b : r.bookings) book(st, *context, b);
        st.report.arrivals.insert(st.report.arrivals.end(), r.arrivals.begin(), r.arrivals.end());
        st.vehicles_total += r.vehicles - st.vehicles[r.segment];
        st.vehicles[r.segment] = r.vehicles;
        st.estimates[r.segment] = r.travel_estimate;
        st.report.handed_out += r.handed_out;
        st.report.taken_in += r.taken_in;
        st.report.forced += r.forced;
        st.report.reroutes += r.reroutes;
        if (context->check_invariants) {
          if (r.vehicle_ids.empty()) st.vehicle_ids.erase(r.segment);
          else st.vehicle_ids[r.segment] = std::move(r.vehicle_ids);
        }
        if (--st.pending == 0) finish_window(self);
      },
      [self, context](estimates_atom) { return self->state.estimates; },
      [self, context](snapshots_atom, sim_time now) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        auto collected = std::make_shared<std::vector<segment_snapshot>>();
        const auto wanted = st.owned.size();
        if (wanted == 0) rp.deliver(std::vector<segment_snapshot>{});
        for (segment_id s : st.owned)
          self->request(context->segment_actors[s], caf::infinite, get_state_atom_v, now)
              .then(
                  [rp, collected, wanted](segment_snapshot& snapshot) mutable {
                    collected->push_back(std::move(snapshot));
                    if (collected->size() == wanted) rp.deliver(std::move(*collected));
                  },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](capture_atom) {
        auto& st = self->state;
        shard_state out;
        for (auto s : st.owned) {
          if (st.calendar->booked(s) != no_window) out.bookings.emplace_back(s, st.calendar->booked(s));
          out.estimates.emplace_back(s, st.estimates[s]);
        }
        out.departures.assign(st.departures.begin() + static_cast<std::ptrdiff_t>(st.next_departure), st.departures.end());
        return out;
      },
  };
}

}  // namespace citytwin
