// `citytwin grid`: builds the city's electricity grid and runs it over a day with building and
// utility node actors: load flow every step, protection trips, switching, unserved energy.

#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "clients/cli/commands.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/power/grid_simulation.hpp"
#include "engine/power/signal_coupling.hpp"

namespace citytwin {

namespace {

struct grid_arguments {
  std::string city;
  std::string osm;
  std::uint64_t seed = 1;
  std::string start = "0h";
  std::string duration = "24h";
  std::string step = "15m";
  std::string tolerance = "20m";
  double load_scale = 1;
  std::vector<std::string> openings, closings;
  std::string report_path;
  unsigned threads = 0;
};

// "BUS@TIME", e.g. 1203@2h30m.
breaker_action parse_action(const std::string& text, bool close) {
  const auto at = text.find('@');
  if (at == std::string::npos) throw std::invalid_argument("'" + text + "': expected BUS@TIME, e.g. 1203@2h");
  breaker_action a;
  try {
    a.bus = std::stoll(text.substr(0, at));
  } catch (const std::exception&) {
    throw std::invalid_argument("'" + text + "': the bus must be a number");
  }
  a.at = parse_duration(text.substr(at + 1));
  a.close = close;
  return a;
}

const char* kind_name(grid_event_kind k) {
  switch (k) {
    case grid_event_kind::tripped: return "tripped";
    case grid_event_kind::opened: return "opened";
    case grid_event_kind::closed: return "closed";
  }
  return "?";
}

void run_grid(const grid_arguments& a) {
  const loaded_city city = load_city(a.city);
  std::string osm = a.osm;
  if (osm.empty() && city.geographic) osm = city.source;
  const city_grid grid = build_city_grid(city, osm, a.seed);
  grid_simulation_options options;
  options.start_time_of_day = parse_duration(a.start);
  options.duration = parse_duration(a.duration);
  options.step = parse_duration(a.step);
  options.overload_tolerance = parse_duration(a.tolerance);
  options.load_scale = a.load_scale;
  options.threads = a.threads;
  for (const auto& o : a.openings) options.actions.push_back(parse_action(o, false));
  for (const auto& c : a.closings) options.actions.push_back(parse_action(c, true));
  const grid_simulation_result r = run_grid_simulation(grid, options);

  double min_voltage = 10, max_loading = 0;
  for (const grid_step& s : r.steps) {
    min_voltage = std::min(min_voltage, s.min_voltage_pu);
    max_loading = std::max(max_loading, s.max_loading);
  }
  const auto controls = dark_signal_controls(city.graph, grid, r.outages);
  fmt::print("{}: {} buildings, {} substations, {} buses\n", city.graph.name, grid.buildings.size(),
             grid.substations.size(), grid.network.buses.size());
  for (const std::string& note : grid.notes) fmt::print("  {}\n", note);
  fmt::print("{} steps of {}: peak load {:.0f} kW, lowest voltage {:.4f} p.u., highest loading {:.0f} %\n",
             r.steps.size(), a.step, r.peak_load_kw, min_voltage, 100 * max_loading);
  for (const grid_event& e : r.events)
    fmt::print("  {} bus {} {}{}\n", format_clock(e.at), e.bus, kind_name(e.kind),
               e.kind == grid_event_kind::tripped ? fmt::format(" at {:.0f} % of rating", 100 * e.loading) : "");
  fmt::print("unserved energy {:.1f} kWh, {:.1f} building-hours without power, {} signal capacity changes\n",
             r.unserved_kwh, r.building_hours_without_power, controls.size());
  fmt::print("wall time {:.2f} s\n", r.wall_seconds);
  if (!a.report_path.empty()) {
    nlohmann::ordered_json j;
    j["city"] = city.graph.name;
    j["buildings"] = grid.buildings.size();
    j["substations"] = grid.substations.size();
    j["buses"] = grid.network.buses.size();
    j["peak_load_kw"] = r.peak_load_kw;
    j["unserved_kwh"] = r.unserved_kwh;
    j["building_hours_without_power"] = r.building_hours_without_power;
    auto& steps = j["steps"] = nlohmann::ordered_json::array();
    for (const grid_step& s : r.steps)
      steps.push_back({{"time_s", s.at / 1000}, {"load_kw", s.load_kw}, {"losses_kw", s.losses_kw},
                       {"min_voltage_pu", s.min_voltage_pu}, {"max_loading", s.max_loading},
                       {"de_energized_buses", s.de_energized_buses}, {"converged", s.converged}});
    auto& events = j["events"] = nlohmann::ordered_json::array();
    for (const grid_event& e : r.events)
      events.push_back({{"time_s", e.at / 1000}, {"bus", e.bus}, {"kind", kind_name(e.kind)}, {"loading", e.loading}});
    auto& outages = j["outages"] = nlohmann::ordered_json::array();
    for (const bus_outage& o : r.outages) outages.push_back({{"bus", o.bus}, {"from_s", o.from / 1000}, {"to_s", o.to / 1000}});
    std::ofstream out(a.report_path);
    if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
    out << j.dump(2) << '\n';
  }
}

}  // namespace

void add_grid_command(CLI::App& app) {
  auto args = std::make_shared<grid_arguments>();
  args->city = default_city_path();
  auto* cmd = app.add_subcommand("grid", "Build the city's electricity grid and run it over a day (buildings and utility nodes as actors)");
  cmd->add_option("--city", args->city, "City directory (with city.json), TNTP *_net.tntp file, or OSM extract")->capture_default_str();
  cmd->add_option("--osm", args->osm, "OSM extract with building footprints (default: the city's own, if it is OSM)")->check(CLI::ExistingFile);
  cmd->add_option("--seed", args->seed, "Seed for placed substations and synthetic buildings")->capture_default_str();
  cmd->add_option("--start", args->start, "Clock time at the start, e.g. 17h")->capture_default_str();
  cmd->add_option("--duration", args->duration, "How long to run")->capture_default_str();
  cmd->add_option("--step", args->step, "Load flow every")->capture_default_str();
  cmd->add_option("--tolerance", args->tolerance, "How long a branch may stay overloaded before it trips")->capture_default_str();
  cmd->add_option("--load-scale", args->load_scale, "Multiply every building's draw")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--open", args->openings, "Open the breaker feeding a bus: BUS@TIME (repeatable)");
  cmd->add_option("--close", args->closings, "Close it again: BUS@TIME (repeatable)");
  cmd->add_option("--threads", args->threads, "Actor threads (0 = one per core)");
  cmd->add_option("--report", args->report_path, "Write a JSON report");
  cmd->callback([args] { run_reporting_errors([&] { run_grid(*args); }); });
}

}  // namespace citytwin
