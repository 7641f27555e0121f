#pragma once
// Each subcommand of the citytwin executable registers itself on the CLI11 app.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "engine/assignment/user_equilibrium.hpp"
#include "engine/demand/route_table.hpp"
#include "engine/import/city_loader.hpp"

namespace citytwin {

// The bundled default city (Berlin-Friedrichshain), found next to the sources or via CITYTWIN_DATA.
std::string default_city_path();

// Assignment in the city's own units and generalized-cost weights.
assignment_options assignment_options_for(const loaded_city& city);

// Paths of the user equilibrium of the (scaled) trip table, for departures to choose from
// (`simulate --routes equilibrium`, a cluster's `scenario.routes`). Deterministic.
std::shared_ptr<const route_table> equilibrium_routes(const loaded_city& city, double demand_scale, bool verbose);

// Runs a command; any error becomes "error: ..." on stderr and a failing exit code.
void run_reporting_errors(const std::function<void()>& command);

void add_simulate_command(CLI::App& app);
void add_assign_command(CLI::App& app);
void add_loadflow_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_grid_command(CLI::App& app);
void add_scenario_command(CLI::App& app);
void add_partition_command(CLI::App& app);
void add_node_command(CLI::App& app);

}  // namespace citytwin
