#pragma once
// Emergency response inside a run: incidents happen at road nodes at given times; stations hold
// units; the policy sends the nearest available unit by the run's current travel times (closures
// included). Units drive as priority vehicles through the same segment actors, so their response
// time reflects the congestion of that run. A unit is busy from dispatch until it has driven there,
// spent the on-scene time, and driven back (the return is estimated, not simulated).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/simulation.hpp"

namespace citytwin {

struct emergency_incident {
  std::string id;
  std::string kind;  // e.g. "fire", "medical", "crash"; reported, not interpreted
  node_index node = 0;
  sim_time at = 0;
};

struct emergency_station {
  std::string name;
  node_index node = 0;
  std::uint32_t units = 1;
};

struct emergency_plan {
  std::vector<emergency_station> stations;
  std::vector<emergency_incident> incidents;
  sim_time on_scene = 20 * 60 * ms_per_second;
  sim_time coverage_limit = 8 * 60 * ms_per_second;
};

struct incident_response {
  std::string incident;
  std::string kind;
  sim_time incident_at = 0;
  bool dispatched = false;  // false: no unit could reach it (or none was ever free)
  std::string station;
  std::uint32_t unit = 0;   // 0-based within the station
  std::uint32_t vehicle_id = 0;
  sim_time dispatched_at = 0;
  sim_time expected_travel = 0;       // by the travel times at dispatch
  std::vector<segment_id> route;      // as planned at dispatch
  std::optional<sim_time> arrived_at;  // from the run; empty if still driving at the end
  [[nodiscard]] std::optional<sim_time> response_time() const {
    if (!arrived_at) return std::nullopt;
    return *arrived_at - incident_at;
  }
};

class emergency_dispatcher {
 public:
  // Vehicle ids first_vehicle_id, first_vehicle_id + 1, ... must not collide with the trip plan's.
  // Throws std::invalid_argument for a station without units or a node outside the graph.
  emergency_dispatcher(const city_graph& graph, emergency_plan plan, std::uint32_t first_vehicle_id);

  // Hooks for simulation_options::dispatch; they refer to this dispatcher, which must outlive the run.
  std::shared_ptr<dispatch_hooks> hooks();

  // Every incident in (time, id) order, with arrival times taken from the run's completed trips.
  std::vector<incident_response> responses(const simulation_result& result) const;

  // Share of `targets` (road nodes; e.g. building entrances) some station reaches within the
  // coverage limit, by the travel times seen at the first dispatch (free flow if none happened).
  double coverage_share(const std::vector<node_index>& targets) const;

  const emergency_plan& plan() const { return plan_; }

 private:
  sim_time next_due() const;
  std::vector<dispatched_vehicle> dispatch(sim_time start, sim_time end, const router& routes,
                                           const travel_times& times);

  const city_graph& graph_;
  emergency_plan plan_;
  std::uint32_t first_vehicle_id_;
  std::vector<std::vector<sim_time>> unit_free_at_;  // per station, per unit
  std::vector<incident_response> responses_;         // by incident, in (time, id) order
  std::size_t next_incident_ = 0;                    // incidents before it have been looked at
  std::vector<std::size_t> waiting_;                 // incidents with no free unit yet, in order
  std::optional<travel_times> first_dispatch_times_;
};

}  // namespace citytwin
