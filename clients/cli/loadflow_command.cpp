// `citytwin loadflow`: solves a radial MATPOWER case with the utility node actors.

#include <cstdlib>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "clients/cli/commands.hpp"
#include "engine/power/load_flow.hpp"
#include "engine/power/matpower_importer.hpp"

namespace citytwin {

namespace {

struct loadflow_arguments {
  std::string case_path;
  bool json = false;
  bool buses = false;
  double tolerance = 1e-8;
  std::uint32_t max_iterations = 100;
  std::uint32_t threads = 0;
  std::vector<std::int64_t> open_breakers;
};

nlohmann::ordered_json to_json(const power_case& pc, const load_flow_result& r, bool with_buses) {
  nlohmann::ordered_json j;
  j["case"] = pc.name;
  j["base_mva"] = pc.base_mva;
  j["converged"] = r.converged;
  j["iterations"] = r.iterations;
  j["losses_kw"] = r.losses_kw;
  j["losses_kvar"] = r.losses_kvar;
  j["min_voltage_pu"] = r.min_voltage_pu;
  j["min_voltage_bus"] = r.min_voltage_bus;
  j["source_kw"] = r.slack_kw;
  j["source_kvar"] = r.slack_kvar;
  j["load_kw"] = r.load_kw;
  j["load_kvar"] = r.load_kvar;
  j["energized_buses"] = r.energized_buses;
  j["de_energized_buses"] = r.de_energized_buses;
  j["warnings"] = r.warnings;
  if (with_buses) {
    auto buses = nlohmann::ordered_json::array();
    for (const bus_state& b : r.buses)
      buses.push_back({{"bus", b.bus}, {"voltage_pu", b.voltage_pu}, {"angle_degrees", b.angle_degrees},
                       {"branch_kw", b.branch_kw}, {"branch_kvar", b.branch_kvar}, {"loading", b.loading},
                       {"energized", b.energized}});
    j["buses"] = buses;
  }
  return j;
}

void run_loadflow(const loadflow_arguments& a) {
  const power_case pc = load_matpower_case(a.case_path);
  const radial_network network = build_radial_network(pc);
  caf::actor_system_config config = make_grid_config(a.threads);
  caf::actor_system system{config};
  grid_actors grid(system, network);
  for (std::int64_t bus : a.open_breakers) {
    bool found = false;
    for (std::uint32_t i = 0; i < network.nodes.size(); ++i)
      if (network.nodes[i].bus_number == bus) {
        if (i == 0) throw std::invalid_argument(fmt::format("--open {}: the source bus has no upstream breaker", bus));
        grid.set_breaker(i, false);
        found = true;
      }
    if (!found) throw std::invalid_argument(fmt::format("--open {}: no energizable bus with that number", bus));
  }
  load_flow_options options;
  options.tolerance_pu = a.tolerance;
  options.max_iterations = a.max_iterations;
  const load_flow_result r = grid.solve(options);
  if (a.json) {
    fmt::print("{}\n", to_json(pc, r, a.buses).dump(2));
  } else {
    fmt::print("{}: {} buses, {} iterations{}\n", pc.name.empty() ? a.case_path : pc.name, pc.buses.size(),
               r.iterations, r.converged ? "" : " (NOT converged)");
    fmt::print("losses {:.3f} kW, {:.3f} kVAr; minimum voltage {:.5f} p.u. at bus {}\n", r.losses_kw, r.losses_kvar,
               r.min_voltage_pu, r.min_voltage_bus);
    fmt::print("source {:.3f} kW, {:.3f} kVAr; loads {:.3f} kW, {:.3f} kVAr; {} buses de-energized\n", r.slack_kw,
               r.slack_kvar, r.load_kw, r.load_kvar, r.de_energized_buses);
    if (a.buses)
      for (const bus_state& b : r.buses)
        fmt::print("  bus {:>6}  {:.6f} p.u. {:>9.4f} deg{}\n", b.bus, b.voltage_pu, b.angle_degrees,
                   b.energized ? "" : "  de-energized");
    for (const std::string& w : r.warnings) fmt::print(stderr, "warning: {}\n", w);
  }
  if (!r.converged) throw std::runtime_error("the load flow did not converge");
}

}  // namespace

void add_loadflow_command(CLI::App& app) {
  auto args = std::make_shared<loadflow_arguments>();
  auto* cmd = app.add_subcommand("loadflow", "Solve a radial MATPOWER case by backward/forward sweep between node actors");
  cmd->add_option("--case", args->case_path, "MATPOWER case file (.m, format version 2)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  cmd->add_flag("--buses", args->buses, "Include every bus's voltage and branch flow");
  cmd->add_option("--tolerance", args->tolerance, "Stop when no voltage moves more than this (p.u.)")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--max-iterations", args->max_iterations, "Give up after this many sweeps")->check(CLI::Range(1u, 100000u))->capture_default_str();
  cmd->add_option("--threads", args->threads, "Actor scheduler threads (0 = one per core); results are identical for any count")->capture_default_str();
  cmd->add_option("--open", args->open_breakers, "Open the breaker on the branch feeding this bus (repeatable)");
  cmd->callback([args] { run_reporting_errors([&] { run_loadflow(*args); }); });
}

}  // namespace citytwin
