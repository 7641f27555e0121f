#include "engine/report/kpi_report.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <fmt/format.h>
#include <numeric>

namespace citytwin {

namespace {

constexpr std::size_t worst_queue_count = 10;

std::string segment_label(const city_graph& g, segment_id s) {
  const auto& seg = g.segments[s];
  auto label = fmt::format("{} ({}->{})", s, g.nodes[seg.from].external_id, g.nodes[seg.to].external_id);
  if (!seg.name.empty()) label += " " + seg.name;
  return label;
}

double hours(sim_time t) { return static_cast<double>(t) / ms_per_hour; }

nlohmann::ordered_json trip_figures(const simulation_result& r) {
  nlohmann::ordered_json k;
  sim_time trip_sum = 0, delay_sum = 0;
  std::vector<sim_time> durations;
  durations.reserve(r.trips.size());
  for (const auto& t : r.trips) {
    sim_time d = t.arrival - t.departure;
    trip_sum += d;
    delay_sum += std::max<sim_time>(0, d - t.freeflow);
    durations.push_back(d);
  }
  std::sort(durations.begin(), durations.end());
  auto n = static_cast<double>(std::max<std::size_t>(1, r.trips.size()));
  k["vehicle_hours_travelled"] = hours(trip_sum + r.en_route_time);
  k["mean_trip_time_s"] = to_seconds(trip_sum) / n;
  k["p95_trip_time_s"] = durations.empty() ? 0.0 : to_seconds(durations[(durations.size() * 95) / 100 == durations.size() ? durations.size() - 1 : (durations.size() * 95) / 100]);
  k["mean_delay_s"] = to_seconds(delay_sum) / n;
  k["total_delay_vehicle_hours"] = hours(delay_sum);
  return k;
}

}  // namespace

double peak_rss_megabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

nlohmann::ordered_json build_report(const city_graph& graph, const simulation_result& r,
                                    const simulation_options& options, const run_info& info) {
  nlohmann::ordered_json report;
  report["city"] = {{"name", graph.name}, {"source", info.city_source}, {"units", info.units_note},
                    {"nodes", graph.nodes.size()}, {"segments", graph.segments.size()},
                    {"roundabout_segments", std::count_if(graph.segments.begin(), graph.segments.end(),
                                                          [](const auto& s) { return s.on_roundabout; })}};
  nlohmann::ordered_json kpi;
  kpi["seed"] = options.seed;
  kpi["duration_s"] = to_seconds(options.duration);
  kpi["simulated_seconds"] = to_seconds(r.end_time);
  kpi["demand_scale"] = options.demand_scale;
  kpi["synthetic_demand"] = r.synthetic_demand;
  kpi["trips_planned"] = r.planned_trips;
  kpi["trips_skipped_intrazonal"] = r.skipped_intrazonal;
  kpi["trips_unroutable"] = r.unroutable;
  kpi["departed"] = r.departed;
  kpi["arrived"] = r.arrived;
  kpi["en_route"] = r.en_route;
  kpi.update(trip_figures(r));
  std::int64_t traversals = 0;
  for (const auto& s : r.segments) traversals += s.outflow;
  kpi["segment_traversals"] = traversals;
  kpi["stuck_moves"] = r.forced_moves;
  kpi["reroutes"] = r.reroutes;
  std::vector<segment_id> by_queue(r.segments.size());
  std::iota(by_queue.begin(), by_queue.end(), 0);
  std::stable_sort(by_queue.begin(), by_queue.end(),
                   [&](segment_id a, segment_id b) { return r.segments[a].max_queue > r.segments[b].max_queue; });
  auto worst = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < std::min(worst_queue_count, by_queue.size()); ++i) {
    const auto& s = r.segments[by_queue[i]];
    if (s.max_queue == 0) break;
    worst.push_back({{"segment", s.segment}, {"label", segment_label(graph, s.segment)},
                     {"max_queue_vehicles", s.max_queue}, {"at_s", to_seconds(s.max_queue_at)}});
  }
  kpi["worst_queues"] = worst;
  report["kpi"] = kpi;
  auto segments = nlohmann::ordered_json::array();
  for (const auto& s : r.segments) {
    if (s.inflow == 0) continue;
    const auto& spec = graph.segments[s.segment];
    segments.push_back({{"id", s.segment},
                        {"from", graph.nodes[spec.from].external_id},
                        {"to", graph.nodes[spec.to].external_id},
                        {"flow", s.outflow},
                        {"mean_travel_time_s", s.outflow > 0 ? to_seconds(s.travel_time_sum) / static_cast<double>(s.outflow) : 0.0},
                        {"freeflow_time_s", spec.freeflow_time_s},
                        {"vehicles_at_end", s.vehicles}});
  }
  report["segments"] = segments;
  report["run"] = {{"threads", info.threads},
                   {"wall_time_s", info.wall_seconds},
                   {"simulated_seconds_per_wall_second", info.wall_seconds > 0 ? to_seconds(r.end_time) / info.wall_seconds : 0.0},
                   {"segment_traversals_per_wall_second", info.wall_seconds > 0 ? static_cast<double>(traversals) / info.wall_seconds : 0.0},
                   {"windows", r.windows},
                   {"segment_activations", r.activations},
                   {"peak_rss_mb", info.peak_rss_mb}};
  report["kpi_digest"] = kpi_digest(report);
  return report;
}

std::string kpi_digest(const nlohmann::ordered_json& report) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : report.at("kpi").dump()) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

std::string render_summary(const nlohmann::ordered_json& report) {
  const auto& k = report.at("kpi");
  const auto& run = report.at("run");
  std::string out;
  auto row = [&](const std::string& name, const std::string& value) { out += fmt::format("  {:<34} {:>16}\n", name, value); };
  out += fmt::format("CityTwin run: {} ({} segments)\n", report["city"]["name"].get<std::string>(),
                     report["city"]["segments"].get<std::size_t>());
  row("vehicles departed", fmt::format("{}", k["departed"].get<std::int64_t>()));
  row("vehicles arrived", fmt::format("{}", k["arrived"].get<std::int64_t>()));
  row("vehicles still en route", fmt::format("{}", k["en_route"].get<std::int64_t>()));
  row("trips without a route", fmt::format("{}", k["trips_unroutable"].get<std::int64_t>()));
  row("vehicle-hours travelled", fmt::format("{:.1f}", k["vehicle_hours_travelled"].get<double>()));
  row("mean trip time", fmt::format("{:.1f} s", k["mean_trip_time_s"].get<double>()));
  row("95th percentile trip time", fmt::format("{:.1f} s", k["p95_trip_time_s"].get<double>()));
  row("mean delay", fmt::format("{:.1f} s", k["mean_delay_s"].get<double>()));
  row("segment traversals", fmt::format("{}", k["segment_traversals"].get<std::int64_t>()));
  row("simulated time", fmt::format("{:.0f} s", k["simulated_seconds"].get<double>()));
  row("wall time", fmt::format("{:.2f} s", run["wall_time_s"].get<double>()));
  row("simulated seconds per wall second", fmt::format("{:.0f}", run["simulated_seconds_per_wall_second"].get<double>()));
  row("peak memory", fmt::format("{:.0f} MB", run["peak_rss_mb"].get<double>()));
  if (!k["worst_queues"].empty()) {
    out += "  worst queues:\n";
    for (const auto& q : k["worst_queues"])
      out += fmt::format("    {:<48} {:>5} veh at {:.0f} s\n", q["label"].get<std::string>(),
                         q["max_queue_vehicles"].get<std::int64_t>(), q["at_s"].get<double>());
  }
  out += fmt::format("  kpi digest {}\n", report["kpi_digest"].get<std::string>());
  return out;
}

}  // namespace citytwin
