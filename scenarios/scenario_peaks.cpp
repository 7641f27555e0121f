#include "scenarios/scenario_peaks.hpp"

#include <algorithm>
#include <stdexcept>

namespace citytwin {

branch_outcome merge_peaks(const std::vector<const branch_outcome*>& peaks) {
  if (peaks.empty()) throw std::invalid_argument("merge_peaks needs at least one peak");
  branch_outcome week = *peaks.front();
  simulation_result& w = week.traffic;
  w.state.reset();
  for (std::size_t k = 1; k < peaks.size(); ++k) {
    const branch_outcome& day = *peaks[k];
    const simulation_result& d = day.traffic;
    if (d.segments.size() != w.segments.size() || d.start_time != w.start_time)
      throw std::invalid_argument("peaks of one scenario must share the city and the fork time");
    w.carried_over += d.carried_over;
    w.planned_trips += d.planned_trips;
    w.skipped_intrazonal += d.skipped_intrazonal;
    w.unroutable += d.unroutable, w.departed += d.departed, w.arrived += d.arrived, w.en_route += d.en_route;
    w.end_time += d.end_time - d.start_time;
    w.en_route_time += d.en_route_time;
    w.trips.insert(w.trips.end(), d.trips.begin(), d.trips.end());
    w.forced_moves += d.forced_moves, w.reroutes += d.reroutes, w.activations += d.activations, w.windows += d.windows;
    w.wall_seconds += d.wall_seconds;
    for (std::size_t i = 0; i < w.segments.size(); ++i) {
      auto& ws = w.segments[i];
      const auto& ds = d.segments[i];
      ws.inflow += ds.inflow;
      ws.outflow += ds.outflow;
      ws.travel_time_sum += ds.travel_time_sum;
      ws.queued = std::max(ws.queued, ds.queued);
      if (ds.max_queue > ws.max_queue) ws.max_queue = ds.max_queue, ws.max_queue_at = ds.max_queue_at;
    }
    week.unserved_kwh += day.unserved_kwh;
    week.building_hours_without_power += day.building_hours_without_power;
    week.dark_signal_controls += day.dark_signal_controls;
    week.responses.insert(week.responses.end(), day.responses.begin(), day.responses.end());
    week.coverage_share += day.coverage_share;
    week.wall_seconds += day.wall_seconds;
  }
  week.coverage_share /= static_cast<double>(peaks.size());
  return week;
}

}  // namespace citytwin
