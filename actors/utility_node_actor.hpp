#pragma once
// A utility node (substation, feeder bus, transformer) as a CAF actor. It owns its twin state:
// voltage, load, the breaker on the branch from its parent, and whether it is energized. Load
// flow is a backward/forward sweep carried out by these actors themselves: each iteration the
// root sends its voltage down the tree, every node computes its own voltage from its parent's
// and the current its branch carried last time, and the leaves start sending currents, losses
// and voltage changes back up. The root repeats until the largest voltage change is small.

#include <caf/all.hpp>

#include "engine/power/power_messages.hpp"
#include "engine/power/radial_network.hpp"

namespace citytwin {

struct utility_node_actor_state {
  static inline const char* name = "utility_node";
  const radial_network* network = nullptr;
  std::uint32_t index = 0;
  caf::actor parent;
  std::vector<caf::actor> children;
  complex_pu base_load;      // the case's own load at this bus
  complex_pu buildings_total;  // what its buildings asked for this step
  complex_pu load;           // base + buildings: what the sweep uses
  std::vector<caf::actor> buildings;
  std::vector<building_load> building_loads;  // by building slot, summed in that order
  std::uint32_t buildings_pending = 0;
  bool published_energized = true;  // what the buildings were last told
  double published_voltage = -1;
  sim_time overloaded_for = 0;  // time the upstream branch has been above its rating
  bool breaker_closed = true;
  bool energized = false;
  double measured_source_voltage = -1;  // roots only: SCADA's voltage magnitude, p.u.; < 0 = use the setpoint
  complex_pu voltage{0, 0};
  complex_pu parent_voltage{0, 0};
  complex_pu series_current{0, 0};  // through the upstream branch, from the last backward sweep
  complex_pu drawn_from_parent{0, 0};
  double voltage_change = 0;
  std::uint32_t iteration = 0;
  std::uint32_t waiting = 0;
  std::vector<backward_sweep> from_children;  // by child slot
  // Only the root uses these: the pending solve request and its limits.
  caf::response_promise solve_promise;
  double tolerance = 1e-8;
  std::uint32_t max_iterations = 100;
};

using utility_node_actor_type = caf::stateful_actor<utility_node_actor_state>;

// Handles: connect_atom (parent, children), attach_atom (buildings), solve_atom (tolerance,
// max iterations; root only, replies sweep_outcome), forward_sweep, backward_sweep, breaker_atom
// (closed), set_load_atom (p, q in p.u.), step_atom (time of day, step: collects its buildings'
// loads, replies true), protect_atom (step, tolerance, advance: -> protection_report),
// supply_atom (tells its buildings whether they are supplied; -> true once they all have), get_state_atom (-> snapshot),
// source_voltage_atom (measured magnitude in p.u., negative to forget it; roots only).
//
// A root with a measured voltage sweeps from that magnitude (at its setpoint's angle); one measured
// below dead_bus_voltage_pu has lost its supply, and everything below it is de-energized.
//
// Protection: after each solve, a branch above its rating counts the step towards its overload
// time; one that has already been overloaded for the tolerance opens its breaker.
inline constexpr double dead_bus_voltage_pu = 0.1;

caf::behavior utility_node_actor(utility_node_actor_type* self, const radial_network* network, std::uint32_t index);

}  // namespace citytwin
