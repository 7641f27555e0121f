#include "actors/utility_node_actor.hpp"

#include <cmath>

namespace citytwin {

namespace {

constexpr complex_pu j{0, 1};

const radial_node& spec(const utility_node_actor_state& st) { return st.network->nodes[st.index]; }

std::uint32_t slot_in_parent(const radial_network& net, std::uint32_t index) {
  const auto& siblings = net.nodes[net.nodes[index].parent].children;
  for (std::uint32_t s = 0; s < siblings.size(); ++s)
    if (siblings[s] == index) return s;
  return 0;
}

void start_iteration(utility_node_actor_type* self);

// All children have answered (or there are none): add this node and report upwards.
void finish_backward(utility_node_actor_type* self) {
  auto& st = self->state;
  const radial_node& node = spec(st);
  subtree_summary summary;
  complex_pu current{0, 0};
  if (st.energized) {
    const complex_pu v = st.voltage;
    current = std::conj(st.load / v) + node.shunt_admittance * v;
    const complex_pu consumed = st.load + std::norm(v) * std::conj(node.shunt_admittance);
    summary.served_p = consumed.real();
    summary.served_q = consumed.imag();
    summary.min_voltage = std::abs(v);
    summary.min_voltage_bus = node.bus_number;
    summary.energized_buses = 1;
  } else {
    summary.de_energized_buses = 1;
  }
  summary.max_voltage_change = st.voltage_change;
  for (const backward_sweep& child : st.from_children) {
    current += complex_pu(child.current_re, child.current_im);
    merge_summaries(summary, child.summary);
  }

  if (node.parent == no_parent) {
    const complex_pu slack = st.voltage * std::conj(current);
    const double change = summary.max_voltage_change;
    const bool diverged = !std::isfinite(change) || !std::isfinite(slack.real()) || !std::isfinite(slack.imag());
    const bool converged = !diverged && change < st.tolerance;
    if (converged || diverged || st.iteration >= st.max_iterations) {
      st.solve_promise.deliver(
          sweep_outcome{st.index, converged, diverged, st.iteration, slack.real(), slack.imag(), summary});
      return;
    }
    start_iteration(self);
    return;
  }

  if (st.energized) {
    const complex_pu t = node.tap;
    const double bh = node.charging_half;
    if (node.tap_at_parent) {
      st.series_current = current + j * bh * st.voltage;
      const complex_pu series_side = st.voltage + node.impedance * st.series_current;
      st.drawn_from_parent = (st.series_current + j * bh * series_side) / std::conj(t);
    } else {
      const complex_pu series_side = st.voltage / t;
      st.series_current = std::conj(t) * current + j * bh * series_side;
      st.drawn_from_parent = st.series_current + j * bh * st.parent_voltage;
    }
    const double squared = std::norm(st.series_current);
    summary.loss_p += squared * node.impedance.real();
    summary.loss_q += squared * node.impedance.imag();
  } else {
    st.series_current = st.drawn_from_parent = complex_pu{0, 0};
  }
  self->send(st.parent, backward_sweep{st.iteration, slot_in_parent(*st.network, st.index),
                                       st.drawn_from_parent.real(), st.drawn_from_parent.imag(), summary});
}

void send_forward(utility_node_actor_type* self) {
  auto& st = self->state;
  st.waiting = static_cast<std::uint32_t>(st.children.size());
  st.from_children.assign(st.children.size(), backward_sweep{});
  if (st.children.empty()) {
    finish_backward(self);
    return;
  }
  for (const caf::actor& child : st.children)
    self->send(child, forward_sweep{st.iteration, st.voltage.real(), st.voltage.imag(), st.energized});
}

void start_iteration(utility_node_actor_type* self) {
  auto& st = self->state;
  ++st.iteration;
  complex_pu v = spec(st).source_voltage;
  if (st.measured_source_voltage >= 0) v = std::polar(st.measured_source_voltage, std::arg(v));
  st.energized = st.measured_source_voltage < 0 || st.measured_source_voltage >= dead_bus_voltage_pu;
  if (!st.energized) v = complex_pu{0, 0};
  st.voltage_change = std::abs(v - st.voltage);
  st.voltage = v;
  send_forward(self);
}

void on_forward(utility_node_actor_type* self, const forward_sweep& message) {
  auto& st = self->state;
  const radial_node& node = spec(st);
  st.iteration = message.iteration;
  st.parent_voltage = complex_pu(message.voltage_re, message.voltage_im);
  st.energized = message.energized && st.breaker_closed;
  complex_pu v{0, 0};
  if (st.energized) {
    if (node.tap_at_parent) v = st.parent_voltage / node.tap - node.impedance * st.series_current;
    else v = node.tap * (st.parent_voltage - node.impedance * st.series_current);
  }
  st.voltage_change = std::abs(v - st.voltage);
  st.voltage = v;
  send_forward(self);
}

}  // namespace

caf::behavior utility_node_actor(utility_node_actor_type* self, const radial_network* network, std::uint32_t index) {
  auto& st = self->state;
  st.network = network;
  st.index = index;
  st.base_load = st.load = network->nodes[index].load;
  return {
      [=](connect_atom, caf::actor parent, std::vector<caf::actor> children) {
        self->state.parent = std::move(parent);
        self->state.children = std::move(children);
      },
      [=](solve_atom, double tolerance, std::uint32_t max_iterations) -> caf::result<sweep_outcome> {
        auto& s = self->state;
        if (spec(s).parent != no_parent) return caf::make_error(caf::sec::unexpected_message);
        s.tolerance = tolerance;
        s.max_iterations = max_iterations;
        s.iteration = 0;
        s.solve_promise = self->make_response_promise<sweep_outcome>();
        start_iteration(self);
        return s.solve_promise;
      },
      [=](const forward_sweep& message) { on_forward(self, message); },
      [=](const backward_sweep& message) {
        auto& s = self->state;
        if (message.iteration != s.iteration || message.child_slot >= s.from_children.size()) return;
        s.from_children[message.child_slot] = message;
        if (--s.waiting == 0) finish_backward(self);
      },
      [=](breaker_atom, bool closed) {
        self->state.breaker_closed = closed;
        self->state.overloaded_for = 0;
      },
      [=](source_voltage_atom, double magnitude_pu) { self->state.measured_source_voltage = magnitude_pu; },
      [=](set_load_atom, double p, double q) {
        self->state.base_load = complex_pu(p, q);
        self->state.load = self->state.base_load + self->state.buildings_total;
      },
      [=](attach_atom, std::vector<caf::actor> buildings) {
        self->state.buildings = std::move(buildings);
        self->state.building_loads.assign(self->state.buildings.size(), building_load{});
      },
      [=](step_atom, sim_time time_of_day, sim_time step) -> caf::result<bool> {
        auto& s = self->state;
        if (s.buildings.empty()) return true;
        auto promise = self->make_response_promise<bool>();
        s.buildings_pending = static_cast<std::uint32_t>(s.buildings.size());
        for (std::size_t k = 0; k < s.buildings.size(); ++k)
          self->request(s.buildings[k], caf::infinite, step_atom_v, time_of_day, step)
              .then([=](building_load l) mutable {
                auto& n = self->state;
                n.building_loads[k] = l;
                if (--n.buildings_pending > 0) return;
                complex_pu total{0, 0};
                for (const building_load& b : n.building_loads) total += complex_pu(b.p, b.q);
                n.buildings_total = total;
                n.load = n.base_load + total;
                promise.deliver(true);
              });
        return promise;
      },
      [=](protect_atom, sim_time step, sim_time tolerance, bool advance) {
        auto& s = self->state;
        const radial_node& node = spec(s);
        protection_report report{node.bus_number, false, 0};
        if (node.parent == no_parent || node.rating_pu <= 0 || !s.energized) return report;
        report.loading = std::abs(s.parent_voltage * std::conj(s.drawn_from_parent)) / node.rating_pu;
        if (report.loading <= 1) {
          if (advance) s.overloaded_for = 0;
          return report;
        }
        if (s.overloaded_for >= tolerance) {
          s.breaker_closed = false;
          s.overloaded_for = 0;
          report.tripped = true;
        } else if (advance) {
          s.overloaded_for += step;
        }
        return report;
      },
      [=](supply_atom) -> caf::result<bool> {
        auto& s = self->state;
        const double v = std::abs(s.voltage);
        if ((s.published_energized == s.energized && s.published_voltage == v) || s.buildings.empty()) return true;
        s.published_energized = s.energized;
        s.published_voltage = v;
        // Answers once every building has taken it in, so a snapshot taken afterwards shows it.
        auto promise = self->make_response_promise<bool>();
        auto pending = std::make_shared<std::size_t>(s.buildings.size());
        for (const caf::actor& b : s.buildings)
          self->request(b, caf::infinite, supply_atom_v, s.energized, v).then([=](bool) mutable {
            if (--*pending == 0) promise.deliver(true);
          });
        return promise;
      },
      [=](get_state_atom) {
        const auto& s = self->state;
        const radial_node& node = spec(s);
        utility_node_snapshot snap;
        snap.bus = node.bus_number;
        snap.voltage_re = s.voltage.real();
        snap.voltage_im = s.voltage.imag();
        const complex_pu flow = s.parent_voltage * std::conj(s.drawn_from_parent);
        snap.branch_p = flow.real();
        snap.branch_q = flow.imag();
        snap.loading = node.rating_pu > 0 ? std::abs(flow) / node.rating_pu : 0;
        snap.energized = s.energized;
        snap.breaker_closed = s.breaker_closed;
        return snap;
      },
  };
}

}  // namespace citytwin
