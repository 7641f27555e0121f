#include "engine/power/load_flow.hpp"

#include <chrono>
#include <cmath>
#include <map>
#include <stdexcept>

#include "actors/building_actor.hpp"
#include "actors/utility_node_actor.hpp"
#include "engine/grid/building_stock.hpp"

#include <algorithm>
#include <unordered_map>

namespace citytwin {

caf::actor_system_config make_grid_config(std::uint32_t threads) {
  caf::actor_system_config config;
  if (threads > 0) config.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  config.set("logger.console", caf::atom("none"));
  config.add_message_types<caf::id_block::citytwin>();
  config.add_message_types<caf::id_block::citytwin_power>();
  return config;
}

grid_actors::grid_actors(caf::actor_system& system, const radial_network& network,
                         const std::vector<building_spec>* buildings)
    : system_(system), network_(network) {
  actors_.reserve(network.nodes.size());
  for (std::uint32_t i = 0; i < network.nodes.size(); ++i)
    actors_.push_back(system.spawn(utility_node_actor, &network_, i));
  caf::scoped_actor self{system};
  if (buildings) {
    std::unordered_map<std::int64_t, std::uint32_t> node_of_bus;
    for (std::uint32_t i = 0; i < network.nodes.size(); ++i) node_of_bus[network.nodes[i].bus_number] = i;
    std::vector<std::vector<caf::actor>> attached(network.nodes.size());
    buildings_.reserve(buildings->size());
    for (const building_spec& b : *buildings) {
      const auto node = node_of_bus.find(b.feeder_bus);
      if (node == node_of_bus.end())
        throw std::invalid_argument("building " + std::to_string(b.id) + " is fed from bus " +
                                    std::to_string(b.feeder_bus) + ", which is not energizable in the network");
      buildings_.push_back(system.spawn(building_actor, &b, network.base_mva));
      attached[node->second].push_back(buildings_.back());
    }
    for (std::uint32_t i = 0; i < network.nodes.size(); ++i)
      if (!attached[i].empty()) self->send(actors_[i], attach_atom_v, std::move(attached[i]));
  }
  for (std::uint32_t i = 0; i < network.nodes.size(); ++i) {
    const radial_node& node = network.nodes[i];
    std::vector<caf::actor> children;
    for (std::uint32_t c : node.children) children.push_back(actors_[c]);
    self->send(actors_[i], connect_atom_v, node.parent == no_parent ? caf::actor{} : actors_[node.parent],
               std::move(children));
  }
}

grid_actors::~grid_actors() {
  caf::scoped_actor self{system_};
  for (const caf::actor& a : actors_) self->send_exit(a, caf::exit_reason::user_shutdown);
  for (const caf::actor& a : buildings_) self->send_exit(a, caf::exit_reason::user_shutdown);
}

void grid_actors::collect_building_loads(sim_time time_of_day, sim_time step) {
  caf::scoped_actor self{system_};
  std::size_t asked = 0;
  for (std::uint32_t i = 0; i < actors_.size(); ++i) {
    self->send(actors_[i], step_atom_v, time_of_day, step);
    ++asked;
  }
  std::size_t received = 0;
  self->receive_for(received, asked)([](bool) {},
                                     [&](caf::error& e) { throw std::runtime_error("grid step failed: " + system_.render(e)); });
}

std::vector<protection_report> grid_actors::protect(sim_time step, sim_time tolerance, bool advance) {
  caf::scoped_actor self{system_};
  for (const caf::actor& a : actors_) self->send(a, protect_atom_v, step, tolerance, advance);
  std::vector<protection_report> tripped;
  std::size_t received = 0;
  self->receive_for(received, actors_.size())(
      [&](protection_report& r) {
        if (r.tripped) tripped.push_back(r);
      },
      [&](caf::error& e) { throw std::runtime_error("protection check failed: " + system_.render(e)); });
  // Replies arrive in any order; the report is in bus order so runs are reproducible.
  std::sort(tripped.begin(), tripped.end(),
            [](const protection_report& a, const protection_report& b) { return a.bus < b.bus; });
  return tripped;
}

void grid_actors::publish_supply() {
  caf::scoped_actor self{system_};
  for (const caf::actor& a : actors_) self->send(a, supply_atom_v);
  std::size_t received = 0;
  self->receive_for(received, actors_.size())(
      [&](bool) {}, [&](caf::error& e) { throw std::runtime_error("utility node did not answer: " + system_.render(e)); });
}

void grid_actors::send_meter(std::size_t building, double kw, double kvar) {
  caf::anon_send(buildings_.at(building), meter_atom_v, kw, kvar);
}

std::vector<building_snapshot> grid_actors::building_snapshots() {
  caf::scoped_actor self{system_};
  for (const caf::actor& b : buildings_) self->send(b, get_state_atom_v);
  std::vector<building_snapshot> out(buildings_.size());
  std::size_t received = 0;
  self->receive_for(received, buildings_.size())(
      [&](building_snapshot& s) { out[s.building] = s; },
      [&](caf::error& e) { throw std::runtime_error("building did not answer: " + system_.render(e)); });
  return out;
}

void grid_actors::set_breaker(std::uint32_t node, bool closed) {
  caf::anon_send(actors_.at(node), breaker_atom_v, closed);
}

void grid_actors::set_source_voltage(std::uint32_t node, double magnitude_pu) {
  caf::anon_send(actors_.at(node), source_voltage_atom_v, magnitude_pu);
}

void grid_actors::set_load(std::uint32_t node, complex_pu load) {
  caf::anon_send(actors_.at(node), set_load_atom_v, load.real(), load.imag());
}

std::vector<utility_node_snapshot> grid_actors::snapshots() {
  caf::scoped_actor self{system_};
  for (const caf::actor& a : actors_) self->send(a, get_state_atom_v);
  std::unordered_map<std::int64_t, std::size_t> position;
  for (std::size_t i = 0; i < network_.nodes.size(); ++i) position[network_.nodes[i].bus_number] = i;
  std::vector<utility_node_snapshot> out(actors_.size());
  std::size_t received = 0;
  self->receive_for(received, actors_.size())(
      [&](utility_node_snapshot& s) { out[position.at(s.bus)] = s; },
      [&](caf::error& e) { throw std::runtime_error("utility node did not answer: " + system_.render(e)); });
  return out;
}

load_flow_result grid_actors::solve(const load_flow_options& options) {
  const auto started = std::chrono::steady_clock::now();
  // Each source's tree is solved by its own root, all at once; outcomes are combined in root order.
  std::vector<sweep_outcome> outcomes(network_.roots.size());
  {
    caf::scoped_actor self{system_};
    // Breaker and load changes sent before this call are already in their actors' mailboxes
    // (enqueueing is synchronous), so they are handled before this sweep's forward message.
    std::map<std::uint32_t, std::size_t> position;
    for (std::size_t r = 0; r < network_.roots.size(); ++r) {
      position[network_.roots[r]] = r;
      self->send(actors_[network_.roots[r]], solve_atom_v, options.tolerance_pu, options.max_iterations);
    }
    std::size_t received = 0;
    self->receive_for(received, outcomes.size())(
        [&](sweep_outcome& o) { outcomes[position.at(o.root)] = o; },
        [&](caf::error& e) { throw std::runtime_error("load flow failed: " + system_.render(e)); });
  }
  sweep_outcome outcome = outcomes.front();
  for (std::size_t r = 1; r < outcomes.size(); ++r) {
    const sweep_outcome& o = outcomes[r];
    outcome.converged = outcome.converged && o.converged;
    outcome.diverged = outcome.diverged || o.diverged;
    outcome.iterations = std::max(outcome.iterations, o.iterations);
    outcome.slack_p += o.slack_p;
    outcome.slack_q += o.slack_q;
    merge_summaries(outcome.summary, o.summary);
  }
  const double kilo = network_.base_mva * 1000.0;
  load_flow_result r;
  r.converged = outcome.converged;
  r.iterations = outcome.iterations;
  r.losses_kw = outcome.summary.loss_p * kilo;
  r.losses_kvar = outcome.summary.loss_q * kilo;
  r.min_voltage_pu = outcome.summary.energized_buses ? outcome.summary.min_voltage : 0;
  r.min_voltage_bus = outcome.summary.min_voltage_bus;
  r.slack_kw = outcome.slack_p * kilo;
  r.slack_kvar = outcome.slack_q * kilo;
  r.load_kw = outcome.summary.served_p * kilo;
  r.load_kvar = outcome.summary.served_q * kilo;
  r.energized_buses = outcome.summary.energized_buses;
  r.de_energized_buses =
      outcome.summary.de_energized_buses + static_cast<std::uint32_t>(network_.isolated_buses.size());
  r.warnings = network_.warnings;
  if (outcome.diverged) r.warnings.push_back("the sweep diverged: the loads exceed what the feeder can carry");
  else if (!outcome.converged)
    r.warnings.push_back("the sweep did not converge within " + std::to_string(options.max_iterations) + " iterations");
  for (const utility_node_snapshot& s : snapshots()) {
    const complex_pu v(s.voltage_re, s.voltage_im);
    r.buses.push_back(bus_state{s.bus, std::abs(v), std::arg(v) * 180.0 / M_PI, s.branch_p * kilo, s.branch_q * kilo,
                                s.loading, s.energized, s.breaker_closed});
  }
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

load_flow_result solve_load_flow(const radial_network& network, const load_flow_options& options) {
  caf::actor_system_config config = make_grid_config(options.threads);
  caf::actor_system system{config};
  grid_actors grid(system, network);
  return grid.solve(options);
}

}  // namespace citytwin
