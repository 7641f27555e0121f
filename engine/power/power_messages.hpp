#pragma once
// The messages of the backward/forward sweep between utility node actors: voltages travel down
// the feeder tree, currents and subtree summaries travel up.

#include <algorithm>
#include <caf/all.hpp>
#include <cstdint>
#include <vector>

#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

// Voltage of the parent bus for this iteration; `energized` is false below an open breaker.
struct forward_sweep {
  std::uint32_t iteration = 0;
  double voltage_re = 0;
  double voltage_im = 0;
  bool energized = true;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forward_sweep& x) {
  return f(caf::meta::type_name("forward_sweep"), x.iteration, x.voltage_re, x.voltage_im, x.energized);
}

// What a subtree reports upwards after each sweep, combined child by child in a fixed order.
struct subtree_summary {
  double loss_p = 0;  // series losses of the branches in the subtree (p.u.)
  double loss_q = 0;
  double served_p = 0;  // power drawn by loads and shunts (p.u.)
  double served_q = 0;
  double max_voltage_change = 0;
  double min_voltage = 1e300;
  std::int64_t min_voltage_bus = 0;
  std::uint32_t energized_buses = 0;
  std::uint32_t de_energized_buses = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subtree_summary& x) {
  return f(caf::meta::type_name("subtree_summary"), x.loss_p, x.loss_q, x.served_p, x.served_q,
           x.max_voltage_change, x.min_voltage, x.min_voltage_bus, x.energized_buses, x.de_energized_buses);
}

// Adds one subtree to another; equal minimum voltages go to the lower bus number so the answer
// does not depend on the order subtrees are merged in.
inline void merge_summaries(subtree_summary& into, const subtree_summary& other) {
  into.loss_p += other.loss_p;
  into.loss_q += other.loss_q;
  into.served_p += other.served_p;
  into.served_q += other.served_q;
  into.max_voltage_change = std::max(into.max_voltage_change, other.max_voltage_change);
  if (other.energized_buses > 0 &&
      (other.min_voltage < into.min_voltage ||
       (other.min_voltage == into.min_voltage && other.min_voltage_bus < into.min_voltage_bus))) {
    into.min_voltage = other.min_voltage;
    into.min_voltage_bus = other.min_voltage_bus;
  }
  into.energized_buses += other.energized_buses;
  into.de_energized_buses += other.de_energized_buses;
}

struct backward_sweep {
  std::uint32_t iteration = 0;
  std::uint32_t child_slot = 0;  // position among the parent's children
  double current_re = 0;         // current drawn from the parent bus (p.u.)
  double current_im = 0;
  subtree_summary summary;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backward_sweep& x) {
  return f(caf::meta::type_name("backward_sweep"), x.iteration, x.child_slot, x.current_re, x.current_im,
           x.summary);
}

// The root's answer to a solve request.
struct sweep_outcome {
  std::uint32_t root = 0;  // node index of the source that answers
  bool converged = false;
  bool diverged = false;
  std::uint32_t iterations = 0;
  double slack_p = 0;
  double slack_q = 0;
  subtree_summary summary;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sweep_outcome& x) {
  return f(caf::meta::type_name("sweep_outcome"), x.root, x.converged, x.diverged, x.iterations, x.slack_p, x.slack_q,
           x.summary);
}

// One node's state after a solve.
struct utility_node_snapshot {
  std::int64_t bus = 0;
  double voltage_re = 0;
  double voltage_im = 0;
  double branch_p = 0;  // power entering the upstream branch at the parent end (p.u.)
  double branch_q = 0;
  double loading = 0;  // |S| over the branch rating; 0 when unrated
  bool energized = true;
  bool breaker_closed = true;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, utility_node_snapshot& x) {
  return f(caf::meta::type_name("utility_node_snapshot"), x.bus, x.voltage_re, x.voltage_im, x.branch_p,
           x.branch_q, x.loading, x.energized, x.breaker_closed);
}

// A building's draw for the coming step, in p.u. of the grid's base, answered to its feeding node.
struct building_load {
  double p = 0;
  double q = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, building_load& x) {
  return f(caf::meta::type_name("building_load"), x.p, x.q);
}

// A node's answer to a protection check after a solve.
struct protection_report {
  std::int64_t bus = 0;
  bool tripped = false;  // its breaker opened just now
  double loading = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, protection_report& x) {
  return f(caf::meta::type_name("protection_report"), x.bus, x.tripped, x.loading);
}

struct building_snapshot {
  std::uint64_t building = 0;
  double load_kw = 0;
  double load_kvar = 0;
  bool supplied = true;
  double voltage_pu = 1;
  double unserved_kwh = 0;
  double hours_without_power = 0;
  bool metered = false;  // the load comes from a meter reading rather than the profile
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, building_snapshot& x) {
  return f(caf::meta::type_name("building_snapshot"), x.building, x.load_kw, x.load_kvar, x.supplied, x.voltage_pu,
           x.unserved_kwh, x.hours_without_power, x.metered);
}

}  // namespace citytwin

CAF_BEGIN_TYPE_ID_BLOCK(citytwin_power, caf::id_block::citytwin::end)
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::forward_sweep))
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::subtree_summary))
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::backward_sweep))
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::sweep_outcome))
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::utility_node_snapshot))
  CAF_ADD_ATOM(citytwin_power, citytwin, connect_atom, "connect")
  CAF_ADD_ATOM(citytwin_power, citytwin, solve_atom, "solve")
  CAF_ADD_ATOM(citytwin_power, citytwin, breaker_atom, "breaker")
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::building_load))
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::protection_report))
  CAF_ADD_TYPE_ID(citytwin_power, (citytwin::building_snapshot))
  CAF_ADD_ATOM(citytwin_power, citytwin, set_load_atom, "setload")
  CAF_ADD_ATOM(citytwin_power, citytwin, attach_atom, "attach")
  CAF_ADD_ATOM(citytwin_power, citytwin, step_atom, "step")
  CAF_ADD_ATOM(citytwin_power, citytwin, protect_atom, "protect")
  CAF_ADD_ATOM(citytwin_power, citytwin, supply_atom, "supply")
  CAF_ADD_ATOM(citytwin_power, citytwin, meter_atom, "meter")
  CAF_ADD_ATOM(citytwin_power, citytwin, source_voltage_atom, "sourcev")
CAF_END_TYPE_ID_BLOCK(citytwin_power)
