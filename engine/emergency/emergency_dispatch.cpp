#include "engine/emergency/emergency_dispatch.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

namespace citytwin {

emergency_dispatcher::emergency_dispatcher(const city_graph& graph, emergency_plan plan, std::uint32_t first_vehicle_id)
    : graph_(graph), plan_(std::move(plan)), first_vehicle_id_(first_vehicle_id) {
  for (const auto& s : plan_.stations) {
    if (s.units == 0) throw std::invalid_argument("station " + s.name + " has no units");
    if (s.node >= graph_.nodes.size()) throw std::invalid_argument("station " + s.name + " is not on a road node");
    unit_free_at_.emplace_back(s.units, 0);
  }
  for (const auto& i : plan_.incidents)
    if (i.node >= graph_.nodes.size()) throw std::invalid_argument("incident " + i.id + " is not on a road node");
  std::stable_sort(plan_.incidents.begin(), plan_.incidents.end(), [](const auto& a, const auto& b) {
    return std::tie(a.at, a.id) < std::tie(b.at, b.id);
  });
  for (const auto& i : plan_.incidents) {
    incident_response r;
    r.incident = i.id;
    r.kind = i.kind;
    r.incident_at = i.at;
    responses_.push_back(std::move(r));
  }
}

std::shared_ptr<dispatch_hooks> emergency_dispatcher::hooks() {
  auto hooks = std::make_shared<dispatch_hooks>();
  hooks->next_due = [this] { return next_due(); };
  hooks->dispatch = [this](sim_time start, sim_time end, const router& routes, const travel_times& times) {
    return dispatch(start, end, routes, times);
  };
  return hooks;
}

sim_time emergency_dispatcher::next_due() const {
  sim_time due = next_incident_ < plan_.incidents.size() ? plan_.incidents[next_incident_].at : never;
  if (!waiting_.empty())
    for (const auto& units : unit_free_at_)
      for (sim_time free_at : units) due = std::min(due, free_at);
  return due;
}

std::vector<dispatched_vehicle> emergency_dispatcher::dispatch(sim_time start, sim_time end, const router& routes,
                                                              const travel_times& times) {
  while (next_incident_ < plan_.incidents.size() && plan_.incidents[next_incident_].at < end)
    waiting_.push_back(next_incident_++);
  std::vector<dispatched_vehicle> out;
  if (waiting_.empty()) return out;
  if (!first_dispatch_times_) first_dispatch_times_ = times;
  // One tree per station, on this window's travel times.
  std::vector<shortest_path_tree> trees(plan_.stations.size());
  for (std::size_t s = 0; s < plan_.stations.size(); ++s) routes.build_tree(plan_.stations[s].node, times, trees[s]);
  std::vector<std::size_t> still_waiting;
  for (std::size_t k : waiting_) {
    const emergency_incident& incident = plan_.incidents[k];
    const sim_time now = std::max(incident.at, start);
    std::optional<std::pair<std::size_t, std::size_t>> best;  // station, unit
    sim_time best_time = never;
    bool reachable = false;
    for (std::size_t s = 0; s < plan_.stations.size(); ++s) {
      const sim_time t = plan_.stations[s].node == incident.node ? 0 : trees[s].distance[incident.node];
      if (t == never) continue;
      reachable = true;
      const auto& units = unit_free_at_[s];
      const auto free = std::find_if(units.begin(), units.end(), [&](sim_time f) { return f <= now; });
      if (free == units.end() || t >= best_time) continue;
      best_time = t;
      best = {s, static_cast<std::size_t>(free - units.begin())};
    }
    if (!reachable) continue;  // reported as not dispatched
    if (!best) {
      still_waiting.push_back(k);
      continue;
    }
    const auto [s, u] = *best;
    incident_response& r = responses_[k];
    r.dispatched = true;
    r.station = plan_.stations[s].name;
    r.unit = static_cast<std::uint32_t>(u);
    r.vehicle_id = first_vehicle_id_ + static_cast<std::uint32_t>(k);
    r.dispatched_at = now;
    r.expected_travel = best_time;
    r.route = routes.path(trees[s], incident.node);
    unit_free_at_[s][u] = now + 2 * best_time + plan_.on_scene;
    if (r.route.empty()) {
      // Already there: the unit is on scene at once.
      r.arrived_at = now;
      continue;
    }
    out.push_back({r.vehicle_id, incident.node, now, r.route});
  }
  waiting_ = std::move(still_waiting);
  return out;
}

std::vector<incident_response> emergency_dispatcher::responses(const simulation_result& result) const {
  std::map<std::uint32_t, sim_time> arrivals;
  for (const auto& t : result.trips)
    if (t.vehicle >= first_vehicle_id_) arrivals[t.vehicle] = t.arrival;
  std::vector<incident_response> out = responses_;
  for (auto& r : out)
    if (r.dispatched && !r.arrived_at)
      if (const auto found = arrivals.find(r.vehicle_id); found != arrivals.end()) r.arrived_at = found->second;
  return out;
}

double emergency_dispatcher::coverage_share(const std::vector<node_index>& targets) const {
  if (targets.empty()) return 0;
  const travel_times times = first_dispatch_times_ ? *first_dispatch_times_ : freeflow_times(graph_);
  const router routes(graph_);
  std::vector<sim_time> best(graph_.nodes.size(), never);
  shortest_path_tree tree;
  for (const auto& s : plan_.stations) {
    routes.build_tree(s.node, times, tree);
    for (std::size_t n = 0; n < best.size(); ++n) best[n] = std::min(best[n], tree.distance[n]);
    best[s.node] = 0;
  }
  std::size_t covered = 0;
  for (node_index n : targets) covered += best[n] <= plan_.coverage_limit;
  return static_cast<double>(covered) / static_cast<double>(targets.size());
}

}  // namespace citytwin
