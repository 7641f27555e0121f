#include "engine/forecast/predicted_trouble.hpp"

#include <map>

#include "engine/forecast/forecast.hpp"
#include "engine/power/radial_network.hpp"

namespace citytwin {

namespace {

// Keeps the first and the worst checkpoint of each twin in trouble; `worse` orders the values.
template <class Worse>
void note(std::map<std::uint32_t, predicted_trouble>& found, trouble_kind kind, std::uint32_t index, sim_time at,
          double value, Worse worse) {
  auto [it, inserted] = found.try_emplace(index, predicted_trouble{kind, index, at, at, value});
  if (!inserted && worse(value, it->second.worst)) {
    it->second.worst = value;
    it->second.worst_at = at;
  }
}

}  // namespace

std::vector<predicted_trouble> find_predicted_trouble(const city_graph& graph, const radial_network* network,
                                                      const forecast& f) {
  std::map<std::uint32_t, predicted_trouble> slow, overloaded;
  for (const forecast_checkpoint& c : f.checkpoints) {
    if (c.time <= f.base_time) continue;
    for (const segment_snapshot& s : c.segments) {
      const double freeflow = graph.segments[s.segment].freeflow_speed_mps;
      if (s.closed || !(freeflow > 0)) continue;
      const double fraction = s.mean_speed_mps / freeflow;
      if (fraction < slow_segment_fraction)
        note(slow, trouble_kind::slow_segment, s.segment, c.time, fraction, [](double a, double b) { return a < b; });
    }
    if (network == nullptr) continue;
    for (std::uint32_t n = 0; n < c.nodes.size() && n < network->nodes.size(); ++n) {
      const bus_state& b = c.nodes[n];
      if (network->nodes[n].parent == no_parent || !b.energized) continue;
      if (b.loading > overload_loading)
        note(overloaded, trouble_kind::overload, n, c.time, b.loading, [](double a, double b) { return a > b; });
    }
  }
  std::vector<predicted_trouble> out;
  out.reserve(slow.size() + overloaded.size());
  for (const auto& [index, t] : slow) out.push_back(t);
  for (const auto& [index, t] : overloaded) out.push_back(t);
  return out;
}

}  // namespace citytwin
