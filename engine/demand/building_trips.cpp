#include "engine/demand/building_trips.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include "engine/grid/footprint_geometry.hpp"
#include "engine/grid/load_profile.hpp"
#include "engine/random/counter_rng.hpp"

namespace citytwin {

namespace {

struct place {
  node_index node = 0;
  double amount = 0;  // residents or jobs
  point_m at{};
};

std::vector<place> places(const graph_frame& frame, const city_graph& graph, const std::vector<building_spec>& buildings,
                          bool residential) {
  std::map<node_index, double> by_node;
  for (const building_spec& b : buildings)
    if ((b.type == building_type::residential) == residential) by_node[b.nearest_road_node] += b.occupants;
  std::vector<place> out;
  for (const auto& [node, amount] : by_node)
    if (amount > 0) out.push_back({node, amount, frame.to_metres(graph.nodes[node].x, graph.nodes[node].y)});
  return out;
}

// Share of the hourly profile inside [start, start + period) (clock times, wrapping at midnight),
// and for a uniform draw, a departure time in the window that follows the profile.
struct window_profile {
  std::vector<std::pair<sim_time, double>> pieces;  // (offset from the window start, weight) per piece
  std::vector<sim_time> lengths;
  double total = 0;

  window_profile(const std::array<double, 24>& by_hour, sim_time start, sim_time period) {
    for (sim_time t = 0; t < period;) {
      const sim_time clock = (start + t) % ms_per_day;
      const sim_time hour_end = (clock / ms_per_hour + 1) * ms_per_hour;
      const sim_time length = std::min(period - t, hour_end - clock);
      const double weight = by_hour[static_cast<std::size_t>(clock / ms_per_hour)] *
                            static_cast<double>(length) / static_cast<double>(ms_per_hour);
      pieces.emplace_back(t, weight);
      lengths.push_back(length);
      total += weight;
      t += length;
    }
  }

  sim_time draw(double u, double v) const {
    double target = u * total;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (target < pieces[i].second || i + 1 == pieces.size())
        return pieces[i].first + static_cast<sim_time>(v * static_cast<double>(lengths[i]));
      target -= pieces[i].second;
    }
    return 0;
  }
};

// Commuters from each origin place to destinations drawn in proportion to amount x exp(-b d).
void commute(const std::vector<place>& origins, const std::vector<place>& destinations, double trips_per_unit,
             const window_profile& window, const building_trip_options& options, std::uint64_t stream,
             trip_plan& plan) {
  if (destinations.empty() || window.total <= 0) return;
  std::vector<double> cumulative(destinations.size());
  for (const place& o : origins) {
    double sum = 0;
    for (std::size_t j = 0; j < destinations.size(); ++j) {
      const double d_km = std::hypot(o.at.x - destinations[j].at.x, o.at.y - destinations[j].at.y) / 1000.0;
      sum += destinations[j].node == o.node ? 0 : destinations[j].amount * std::exp(-options.distance_decay_per_km * d_km);
      cumulative[j] = sum;
    }
    if (sum <= 0) continue;
    const double expected = o.amount * trips_per_unit * window.total;
    const std::uint64_t entity = (stream << 40) ^ o.node;
    auto count = static_cast<std::uint64_t>(expected);
    if (random_unit(options.seed, entity, 0) < expected - static_cast<double>(count)) ++count;
    for (std::uint64_t k = 0; k < count; ++k) {
      const double pick = random_unit(options.seed, entity, 3 * k + 1) * sum;
      const auto j = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), pick) - cumulative.begin());
      const sim_time departure =
          window.draw(random_unit(options.seed, entity, 3 * k + 2), random_unit(options.seed, entity, 3 * k + 3));
      plan.trips.push_back({0, o.node, destinations[std::min(j, destinations.size() - 1)].node, departure});
    }
  }
}

}  // namespace

trip_plan building_trips(const city_graph& graph, const std::vector<building_spec>& buildings,
                         const building_trip_options& options) {
  if (options.period <= 0) throw std::invalid_argument("demand period must be positive");
  const graph_frame frame(graph);
  const std::vector<place> homes = places(frame, graph, buildings, true);
  const std::vector<place> jobs = places(frame, graph, buildings, false);
  double residents = 0, job_total = 0;
  for (const place& p : homes) residents += p.amount;
  for (const place& p : jobs) job_total += p.amount;
  trip_plan plan;
  const sim_time start = ((options.start_time_of_day % ms_per_day) + ms_per_day) % ms_per_day;
  commute(homes, jobs, options.car_commuters_per_resident, window_profile(options.to_work_by_hour, start, options.period),
          options, 1, plan);
  // Everyone who drove to work drives home: per job, the commuters a job place received on average.
  const double per_job = job_total > 0 ? options.car_commuters_per_resident * residents / job_total : 0;
  commute(jobs, homes, per_job, window_profile(options.to_home_by_hour, start, options.period), options, 2, plan);
  std::stable_sort(plan.trips.begin(), plan.trips.end(), [](const trip& a, const trip& b) {
    return std::tie(a.departure, a.origin, a.destination) < std::tie(b.departure, b.origin, b.destination);
  });
  for (std::size_t i = 0; i < plan.trips.size(); ++i) plan.trips[i].vehicle_id = static_cast<std::uint32_t>(i);
  return plan;
}

}  // namespace citytwin
