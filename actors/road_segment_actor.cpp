#include "actors/road_segment_actor.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace citytwin {

namespace {

struct entering {
  sim_time at;
  segment_id from;
  std::uint32_t vehicle_id;
  vehicle* v;
};

// Vehicles handed over before `window`, in canonical order: time, sender, vehicle id.
std::int32_t apply_handoffs(road_segment_actor_state& st, const city_graph& graph, window_index window) {
  if (st.pending_handoffs.empty()) return 0;
  thread_local std::vector<entering> batch;  // scratch shared by the segments a worker thread runs
  batch.clear();
  auto ready = [&](const vehicle_handoff& h) { return h.window < window; };
  for (auto& h : st.pending_handoffs)
    if (ready(h))
      for (auto& v : h.vehicles) batch.push_back({v.entered, h.from, v.id, &v});
  std::sort(batch.begin(), batch.end(), [](const entering& a, const entering& b) {
    return std::tie(a.at, a.from, a.vehicle_id) < std::tie(b.at, b.from, b.vehicle_id);
  });
  for (auto& e : batch) st.model->accept(std::move(*e.v), e.from != no_segment && graph.segments[e.from].on_roundabout);
  std::erase_if(st.pending_handoffs, ready);
  return static_cast<std::int32_t>(batch.size());
}

void apply_space_updates(road_segment_actor_state& st, window_index window) {
  if (st.pending_space.empty()) return;
  auto ready = [&](const space_update& u) { return u.window < window; };
  if (st.pending_space.size() > 1)
    std::stable_sort(st.pending_space.begin(), st.pending_space.end(),
                   [](const space_update& a, const space_update& b) { return a.window < b.window; });
  for (const auto& u : st.pending_space)
    if (ready(u)) st.model->apply_space_update(u);
  std::erase_if(st.pending_space, ready);
}

// The actor's share of a cut, in an order that does not depend on message timing: handoffs merged per
// (window, sender) with their vehicles in (entry time, id) order, as apply_handoffs takes them anyway.
segment_state canonical_state(const road_segment_actor_state& st) {
  segment_state out{*st.model, {}, st.pending_space};
  std::map<std::pair<window_index, segment_id>, std::vector<vehicle>> merged;
  for (const auto& h : st.pending_handoffs) {
    auto& list = merged[{h.window, h.from}];
    list.insert(list.end(), h.vehicles.begin(), h.vehicles.end());
  }
  for (auto& [key, vehicles] : merged) {
    std::sort(vehicles.begin(), vehicles.end(), [](const vehicle& a, const vehicle& b) {
      return std::tie(a.entered, a.id) < std::tie(b.entered, b.id);
    });
    out.pending_handoffs.push_back(vehicle_handoff{key.first, key.second, std::move(vehicles)});
  }
  std::sort(out.pending_space.begin(), out.pending_space.end(), [](const space_update& a, const space_update& b) {
    return std::tie(a.window, a.from) < std::tie(b.window, b.from);
  });
  return out;
}

}  // namespace

caf::behavior road_segment_actor(road_segment_actor_type* self, segment_id id, const simulation_context* context,
                                 const segment_state* restore) {
  const auto& graph = context->graph;  // not captured below: [=] would copy the whole graph
  if (restore != nullptr) {
    self->state.model = std::make_unique<road_segment>(restore->model);
    self->state.pending_handoffs = restore->pending_handoffs;
    self->state.pending_space = restore->pending_space;
  } else {
    self->state.model = std::make_unique<road_segment>(
        graph.segments[id], room_of(graph, id, context->window_length, context->model),
        initial_downstream(graph, id, context->window_length, context->model), context->model);
  }
  return {
      [self, id, context](vehicle_handoff& handoff) { self->state.pending_handoffs.push_back(std::move(handoff)); },
      [self, id, context](const space_update& update) { self->state.pending_space.push_back(update); },
      [self, id, context](const segment_control& control) {
        auto& model = *self->state.model;
        switch (control.kind) {
          case control_kind::close: model.set_closed(true); break;
          case control_kind::reopen: model.set_closed(false); break;
          case control_kind::capacity_factor: model.set_capacity_factor(control.value); break;
        }
      },
      [self, id, context](const detector_observation& reading) { self->state.model->observe(reading); },
      [self, id, context](const advance_window& w) {
        auto& st = self->state;
        segment_report report;
        report.window = w.window;
        report.segment = id;
        report.taken_in = apply_handoffs(st, context->graph, w.window);
        apply_space_updates(st, w.window);
        thread_local advance_result outcome;  // scratch shared by the segments a worker thread runs
        outcome.clear();
        st.model->advance(w.window, w.start, w.end, context->routes, *context->times, outcome);
        // One message per receiving segment, vehicles in exit order.
        thread_local std::vector<std::pair<segment_id, vehicle_handoff>> outgoing;
        outgoing.clear();
        for (auto& h : outcome.handoffs) {
          // A receiver with room counts the vehicle lazily, when it is due at its exit.
          window_index due = h.wake_next_window
                                 ? w.window + 1
                                 : std::max(w.window + 1, context->window_of(h.v.entered + context->freeflow[h.to]));
          report.bookings.push_back({h.to, due});
          auto it = std::find_if(outgoing.begin(), outgoing.end(), [&](auto& o) { return o.first == h.to; });
          if (it == outgoing.end()) {
            outgoing.push_back({h.to, vehicle_handoff{w.window, id, {}}});
            it = std::prev(outgoing.end());
          }
          it->second.vehicles.push_back(std::move(h.v));
        }
        for (auto& [to, handoff] : outgoing) {
          report.handed_out += static_cast<std::int32_t>(handoff.vehicles.size());
          self->send(context->segment_actors[to], std::move(handoff));
        }
        if (auto announcement = st.model->take_announcement(w.window, w.end, report.taken_in > 0)) {
          const auto& graph = context->graph;
          node_index start = graph.segments[id].from;
          for (auto i = graph.in_begin[start]; i < graph.in_begin[start + 1]; ++i) {
            segment_id up = graph.in_ids[i];
            self->send(context->segment_actors[up], *announcement);
            // Upstream segments only need waking when there is room to use; otherwise the
            // update waits for their next window.
            if (announcement->free > 0 || !announcement->near_full) report.bookings.push_back({up, w.window + 1});
          }
        }
        report.next_due = outcome.next_due;
        report.arrivals = std::move(outcome.arrivals);
        report.vehicles = st.model->vehicle_count();
        report.forced = outcome.forced;
        report.reroutes = outcome.reroutes;
        report.travel_estimate = st.model->travel_estimate();
        if (context->check_invariants)
          for (const auto& v : st.model->vehicles()) report.vehicle_ids.push_back(v.id);
        if (context->check_invariants)
          for (std::uint32_t v : st.model->priority_vehicle_ids()) report.vehicle_ids.push_back(v);
        self->send(caf::actor_cast<caf::actor>(self->current_sender()), std::move(report));
      },
      [self, id, context](get_state_atom, sim_time now) { return self->state.model->snapshot(now); },
      [self](capture_atom) { return canonical_state(self->state); },
  };
}

}  // namespace citytwin
