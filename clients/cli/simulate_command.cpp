// `citytwin simulate`: import a city, run the traffic twin accelerated, print and save the report.

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>

#include "clients/cli/commands.hpp"
#include "clients/cli/progress_bar.hpp"
#include "engine/assignment/user_equilibrium.hpp"
#include "engine/demand/building_trips.hpp"
#include "engine/demand/route_table.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/import/import_error.hpp"
#include "engine/report/kpi_report.hpp"
#include "engine/runtime/simulation.hpp"

#ifndef CITYTWIN_SOURCE_DIR
#define CITYTWIN_SOURCE_DIR "."
#endif

namespace citytwin {

namespace {


struct simulate_arguments {
  std::string city;
  std::string duration = "1h";
  std::uint64_t seed = 1;
  std::uint32_t threads = 1;
  std::string report_path;
  std::string trips_path;
  std::string window = "1s";
  std::string stuck_time = "10s";
  std::string reroute_interval = "5m";
  std::string clear_limit = "4h";
  bool clear = false;
  bool quiet = false;
  bool check_invariants = false;
  double demand_scale = 1;
  double hole_speed_kmh = 0;
  std::string routes = "dynamic";
  double synthetic_trips_per_hour = 2000;
  std::string demand_source = "table";
  std::string clock_start = "7h";
  std::vector<std::string> closures, reopenings, capacity_changes;
  unit_overrides units;
};

// "SEG@TIME" (closure, reopening) or "SEG=FACTOR@TIME" (capacity).
segment_control parse_intervention(const city_graph& g, const std::string& text, control_kind kind) {
  auto at = text.rfind('@');
  std::string target = at == std::string::npos ? text : text.substr(0, at);
  segment_control c;
  c.kind = kind;
  c.at = at == std::string::npos ? 0 : parse_duration(text.substr(at + 1));
  if (kind == control_kind::capacity_factor) {
    auto eq = target.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("capacity change '" + text + "': expected SEGMENT=FACTOR@TIME");
    try {
      c.value = std::stod(target.substr(eq + 1));
    } catch (const std::exception&) {
      throw std::invalid_argument("capacity change '" + text + "': factor is not a number");
    }
    if (!(c.value >= 0)) throw std::invalid_argument("capacity change '" + text + "': factor must be >= 0");
    target = target.substr(0, eq);
  }
  c.segment = find_segment(g, target);
  return c;
}

void write_trips(const std::string& path, const city_graph& g, const trip_plan& plan) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write trips to " + path);
  out << "id,origin,destination,depart_s\n";
  for (const auto& t : plan.trips)
    out << t.vehicle_id << ',' << g.nodes[t.origin].external_id << ',' << g.nodes[t.destination].external_id << ','
        << fmt::format("{:.3f}", to_seconds(t.departure)) << '\n';
}

int run_simulate(const simulate_arguments& a) {
  const bool show_progress = !a.quiet;
  if (show_progress) fmt::print(stderr, "loading city {}\n", a.city);
  auto city = load_city(a.city, a.units);
  const auto& graph = city.graph;
  simulation_options options;
  options.seed = a.seed;
  options.duration = parse_duration(a.duration);
  options.clear = a.clear;
  options.clear_limit = parse_duration(a.clear_limit);
  options.threads = a.threads;
  options.window_length = parse_duration(a.window);
  options.reroute_interval = parse_duration(a.reroute_interval);
  options.model.stuck_time = parse_duration(a.stuck_time);
  options.model.hole_speed_kmh = a.hole_speed_kmh;
  options.demand_scale = a.demand_scale;
  options.check_invariants = a.check_invariants;
  for (const auto& t : a.closures) options.controls.push_back(parse_intervention(graph, t, control_kind::close));
  for (const auto& t : a.reopenings) options.controls.push_back(parse_intervention(graph, t, control_kind::reopen));
  for (const auto& t : a.capacity_changes) options.controls.push_back(parse_intervention(graph, t, control_kind::capacity_factor));

  if (a.routes == "equilibrium") options.fixed_routes = equilibrium_routes(city, a.demand_scale, show_progress);
  demand_options demand{a.seed, a.demand_scale, options.duration, a.synthetic_trips_per_hour};
  trip_plan plan;
  if (a.demand_source == "buildings") {
    if (!city.geographic)
      throw std::invalid_argument("--demand buildings needs an OSM city (its building footprints make the demand)");
    building_trip_options from_buildings;
    from_buildings.seed = a.seed;
    from_buildings.start_time_of_day = parse_duration(a.clock_start);
    from_buildings.period = options.duration;
    from_buildings.car_commuters_per_resident *= a.demand_scale;
    plan = building_trips(graph, read_osm_buildings(city.source, graph), from_buildings);
  } else {
    plan = generate_trips(graph, demand);
  }
  if (!a.trips_path.empty()) write_trips(a.trips_path, graph, plan);
  if (show_progress)
    fmt::print(stderr, "{}: {} nodes, {} segments, {} trips{}\n", graph.name, graph.nodes.size(), graph.segments.size(),
               plan.trips.size(), plan.synthetic ? " (synthetic demand: the city has no trip table)" : "");

  progress_bar bar("simulating", show_progress);
  options.on_progress = [&](const simulation_progress& p) {
    bar.update(static_cast<double>(p.now) / static_cast<double>(std::max<sim_time>(1, options.clear ? p.horizon : options.duration)),
               fmt::format("t={} departed {} arrived {} en route {}", format_clock(p.now), p.departed, p.arrived, p.en_route));
  };
  auto result = run_simulation(graph, plan, options);
  bar.finish();
  run_info info{city.source, city.units_note, a.threads, result.wall_seconds, peak_rss_megabytes()};
  auto report = build_report(graph, result, options, info);
  std::cout << render_summary(report);
  if (!a.report_path.empty()) {
    std::ofstream out(a.report_path);
    if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
    out << report.dump(2) << '\n';
    if (show_progress) fmt::print(stderr, "report written to {}\n", a.report_path);
  }
  return EXIT_SUCCESS;
}

}  // namespace

std::string default_city_path() {
  if (const char* env = std::getenv("CITYTWIN_DATA")) return std::string(env) + "/tntp/Berlin-Friedrichshain";
  return std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Berlin-Friedrichshain";
}

void add_simulate_command(CLI::App& app) {
  auto args = std::make_shared<simulate_arguments>();
  args->city = default_city_path();
  auto* cmd = app.add_subcommand("simulate", "Run the traffic twin of a city faster than real time and report KPIs");
  cmd->add_option("--city", args->city, "City directory (with city.json), TNTP *_net.tntp file, or OSM extract")
      ->capture_default_str();
  cmd->add_option("--duration", args->duration, "Demand period and minimum simulated time (e.g. 1h, 90m)")->capture_default_str();
  cmd->add_flag("--clear", args->clear, "Keep simulating after the duration until every vehicle has arrived");
  cmd->add_option("--clear-limit", args->clear_limit, "Longest clearing time after the duration")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (departure times, fractional trips)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (results are identical for any count)")
      ->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--report", args->report_path, "Write the JSON report here");
  cmd->add_option("--write-trips", args->trips_path, "Write the generated trip list (CSV) here");
  cmd->add_option("--demand-scale", args->demand_scale, "Multiply every trip-table flow")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--trips-per-hour", args->synthetic_trips_per_hour, "Synthetic demand for cities without a trip table (OSM)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--demand", args->demand_source, "table: the trip table (or --trips-per-hour); buildings: commutes between the OSM city's homes and workplaces")
      ->check(CLI::IsMember({"table", "buildings"}))->capture_default_str();
  cmd->add_option("--start", args->clock_start, "With --demand buildings: the clock time the run starts at")->capture_default_str();
  cmd->add_option("--routes", args->routes, "dynamic: least current travel time at departure; equilibrium: paths of the user equilibrium")
      ->check(CLI::IsMember({"dynamic", "equilibrium"}))->capture_default_str();
  cmd->add_option("--window", args->window, "Time window (the synchronisation step)")->capture_default_str();
  cmd->add_option("--stuck-time", args->stuck_time, "A head vehicle blocked this long moves on anyway")->capture_default_str();
  cmd->add_option("--hole-speed", args->hole_speed_kmh, "Backward-wave speed (km/h) at which freed room travels upstream; 0: at once")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--reroute-interval", args->reroute_interval, "How often routing sees new travel times")->capture_default_str();
  cmd->add_option("--close", args->closures, "Close a segment: SEGMENT@TIME (SEGMENT is an id or FROM-TO node ids)");
  cmd->add_option("--reopen", args->reopenings, "Reopen a segment: SEGMENT@TIME");
  cmd->add_option("--capacity", args->capacity_changes, "Change capacity: SEGMENT=FACTOR@TIME");
  cmd->add_option("--time-unit", args->units.seconds_per_time_unit, "TNTP: seconds per free-flow time unit (overrides city.json)");
  cmd->add_option("--length-unit", args->units.metres_per_length_unit, "TNTP: metres per length unit (overrides city.json)");
  cmd->add_option("--capacity-unit", args->units.capacity_per_hour_factor, "TNTP: capacity column x this = veh/h");
  cmd->add_option("--trips-unit", args->units.trips_per_hour_factor, "TNTP: trip table x this = veh/h");
  cmd->add_flag("--check-invariants", args->check_invariants, "Also verify after every window that no vehicle is on two segments (slow)");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->callback([args] { run_reporting_errors([&] { run_simulate(*args); }); });
}

}  // namespace citytwin
