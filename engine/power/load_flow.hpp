#pragma once
// Load flow on a radial network, solved by its utility node actors (see utility_node_actor).
// grid_actors keeps the actors alive so breakers and loads can change between solves;
// solve_load_flow is the one-shot form the CLI and tests use.

#include <caf/all.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/power/power_messages.hpp"
#include "engine/power/radial_network.hpp"

namespace citytwin {

struct load_flow_options {
  double tolerance_pu = 1e-8;  // stop when no bus voltage moved more than this in a sweep
  std::uint32_t max_iterations = 100;
  std::uint32_t threads = 0;  // 0 = one per core
};

struct bus_state {
  std::int64_t bus = 0;
  double voltage_pu = 0;
  double angle_degrees = 0;
  double branch_kw = 0;  // flow into the branch from the parent, at the parent end
  double branch_kvar = 0;
  double loading = 0;  // fraction of the branch rating; 0 when unrated
  bool energized = false;
  bool breaker_closed = true;
};

struct load_flow_result {
  bool converged = false;
  std::uint32_t iterations = 0;
  double losses_kw = 0;
  double losses_kvar = 0;
  double min_voltage_pu = 0;
  std::int64_t min_voltage_bus = 0;
  double slack_kw = 0;  // power delivered by the source
  double slack_kvar = 0;
  double load_kw = 0;  // power drawn by energized loads and shunts
  double load_kvar = 0;
  std::uint32_t energized_buses = 0;
  std::uint32_t de_energized_buses = 0;  // below an open breaker or not connected at all
  double wall_seconds = 0;
  std::vector<bus_state> buses;  // in network order (breadth-first from the slack bus)
  std::vector<std::string> warnings;
};

caf::actor_system_config make_grid_config(std::uint32_t threads);

struct building_spec;

class grid_actors {
 public:
  // With buildings: one actor per building, attached to the node of its feeder bus.
  grid_actors(caf::actor_system& system, const radial_network& network,
              const std::vector<building_spec>* buildings = nullptr);
  ~grid_actors();
  grid_actors(const grid_actors&) = delete;
  grid_actors& operator=(const grid_actors&) = delete;

  load_flow_result solve(const load_flow_options& options);
  void set_breaker(std::uint32_t node, bool closed);
  void set_load(std::uint32_t node, complex_pu load);
  // A root's measured voltage magnitude (p.u.), or a negative value to sweep from its setpoint again.
  void set_source_voltage(std::uint32_t node, double magnitude_pu);
  std::size_t size() const { return actors_.size(); }
  std::size_t building_count() const { return buildings_.size(); }

  // Every node collects its buildings' loads for the step starting at this time of day.
  void collect_building_loads(sim_time time_of_day, sim_time step);
  // Protection after a solve; returns the nodes whose breaker opened.
  std::vector<protection_report> protect(sim_time step, sim_time tolerance, bool advance);
  // Nodes tell their buildings whether they are supplied.
  void publish_supply();
  std::vector<building_snapshot> building_snapshots();
  std::vector<utility_node_snapshot> snapshots();
  void send_meter(std::size_t building, double kw, double kvar);

 private:

  caf::actor_system& system_;
  const radial_network& network_;
  std::vector<caf::actor> actors_;
  std::vector<caf::actor> buildings_;
};

load_flow_result solve_load_flow(const radial_network& network, const load_flow_options& options);

}  // namespace citytwin
