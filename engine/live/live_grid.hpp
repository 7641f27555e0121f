#pragma once
// The city's electricity grid running beside the live traffic twin: every step of the twin's
// simulated time its building actors draw their profiles (or their meters' readings), the utility
// node actors solve the load flow, protection acts, and the result is published for readers.
// Meter readings set a building's load; SCADA readings open and close breakers, and a substation's
// measured voltage becomes the voltage its feeders are solved from.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/grid/city_grid.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/power/grid_simulation.hpp"

namespace citytwin {

struct grid_view {
  std::uint64_t version = 0;
  std::int64_t epoch_ms = 0;
  load_flow_result flow;                      // buses in network order
  std::vector<building_snapshot> buildings;   // by building id
};

// What the API says about a utility node besides its load-flow state.
struct grid_node_info {
  double x = 0, y = 0;  // road graph coordinates: its substation site, its road node, or its buildings' mean
  double nominal_kv = 0;
  bool feeds_buildings = false;
};

class live_grid {
 public:
  live_grid(const city_grid& grid, const live_twin& twin, sim_time step, sim_time start_time_of_day,
            sim_time overload_tolerance);
  ~live_grid();

  void start();
  void stop();

  std::size_t building_count() const { return grid_.buildings.size(); }
  // The node index of a bus number, if the bus can be energized.
  std::optional<std::uint32_t> node_of_bus(std::int64_t bus) const;
  bool is_source(std::uint32_t node) const { return network_.nodes[node].parent == no_parent; }
  const city_grid& grid() const { return grid_; }
  const radial_network& network() const { return network_; }
  const std::vector<grid_node_info>& node_info() const { return node_info_; }
  sim_time step() const { return step_; }
  // The clock time of day at the twin's time 0 (building profiles are read at start + twin time).
  sim_time start_time_of_day() const { return start_time_of_day_; }

  void set_meter(std::size_t building, double kw, double kvar);
  void set_breaker(std::uint32_t node, bool closed);
  // Only a substation's measured voltage changes the load flow; other nodes' are reported beside it.
  void set_measured_voltage(std::uint32_t node, double voltage_pu);

  std::shared_ptr<const grid_view> view() const;
  std::optional<std::string> failure() const;

 private:
  void run();

  const city_grid& grid_;
  const live_twin& twin_;
  sim_time step_;
  sim_time start_time_of_day_;
  sim_time overload_tolerance_;
  radial_network network_;
  std::map<std::int64_t, std::uint32_t> node_of_bus_;
  std::vector<grid_node_info> node_info_;
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<grid_actors> actors_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const grid_view> view_;
  std::optional<std::string> failure_;
};

}  // namespace citytwin
