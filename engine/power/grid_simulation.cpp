#include "engine/power/grid_simulation.hpp"

#include <chrono>
#include <map>
#include <stdexcept>

namespace citytwin {

power_case network_without_building_loads(const city_grid& grid) {
  power_case pc = grid.network;
  std::map<std::int64_t, bool> feeds_buildings;
  for (const building_spec& b : grid.buildings) feeds_buildings[b.feeder_bus] = true;
  for (power_bus& bus : pc.buses)
    if (feeds_buildings.count(bus.number)) bus.load_mw = bus.load_mvar = 0;
  return pc;
}

grid_simulation_result run_grid_simulation(const city_grid& grid, const grid_simulation_options& options) {
  if (options.step <= 0 || options.duration <= 0) throw std::invalid_argument("step and duration must be positive");
  const auto started = std::chrono::steady_clock::now();
  std::vector<building_spec> buildings = grid.buildings;
  for (building_spec& b : buildings) b.peak_kw *= options.load_scale;
  const radial_network network = build_radial_network(network_without_building_loads(grid));
  std::map<std::int64_t, std::uint32_t> node_of_bus;
  for (std::uint32_t i = 0; i < network.nodes.size(); ++i) node_of_bus[network.nodes[i].bus_number] = i;
  for (const breaker_action& a : options.actions)
    if (!node_of_bus.count(a.bus) || network.nodes[node_of_bus[a.bus]].parent == no_parent)
      throw std::invalid_argument("breaker action names bus " + std::to_string(a.bus) +
                                  ", which has no upstream breaker in this grid");
  std::vector<breaker_action> actions = options.actions;
  std::stable_sort(actions.begin(), actions.end(), [](const breaker_action& a, const breaker_action& b) { return a.at < b.at; });

  caf::actor_system_config config = make_grid_config(options.threads);
  caf::actor_system system{config};
  grid_actors actors(system, network, &buildings);
  grid_simulation_result result;
  std::map<std::int64_t, sim_time> dark_since;  // buses without power now, since when
  std::size_t next_action = 0;
  for (sim_time t = 0; t < options.duration; t += options.step) {
    for (; next_action < actions.size() && actions[next_action].at <= t; ++next_action) {
      const breaker_action& a = actions[next_action];
      actors.set_breaker(node_of_bus.at(a.bus), a.close);
      result.events.push_back({t, a.bus, a.close ? grid_event_kind::closed : grid_event_kind::opened, 0});
    }
    actors.collect_building_loads(options.start_time_of_day + t, options.step);
    load_flow_result flow = actors.solve(options.load_flow);
    // A trip changes the flows; solve again until no breaker opens (a cascade).
    for (bool advance = true;; advance = false) {
      const auto tripped = actors.protect(options.step, options.overload_tolerance, advance);
      if (tripped.empty()) break;
      for (const protection_report& r : tripped) result.events.push_back({t, r.bus, grid_event_kind::tripped, r.loading});
      flow = actors.solve(options.load_flow);
    }
    actors.publish_supply();
    double max_loading = 0;
    for (const bus_state& b : flow.buses) max_loading = std::max(max_loading, b.loading);
    result.steps.push_back(
        {t, flow.load_kw, flow.losses_kw, flow.min_voltage_pu, max_loading, flow.de_energized_buses, flow.converged});
    result.peak_load_kw = std::max(result.peak_load_kw, flow.load_kw);
    for (const bus_state& b : flow.buses) {
      const auto dark = dark_since.find(b.bus);
      if (!b.energized && dark == dark_since.end()) dark_since[b.bus] = t;
      if (b.energized && dark != dark_since.end()) {
        result.outages.push_back({b.bus, dark->second, t});
        dark_since.erase(dark);
      }
    }
  }
  // The last step's supply state still has to be counted against the buildings.
  actors.collect_building_loads(options.start_time_of_day + options.duration, options.step);
  for (const auto& [bus, since] : dark_since) result.outages.push_back({bus, since, options.duration});
  std::sort(result.outages.begin(), result.outages.end(),
            [](const bus_outage& a, const bus_outage& b) { return std::tie(a.from, a.bus) < std::tie(b.from, b.bus); });
  result.buildings = actors.building_snapshots();
  for (const building_snapshot& b : result.buildings) {
    result.unserved_kwh += b.unserved_kwh;
    result.building_hours_without_power += b.hours_without_power;
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace citytwin
