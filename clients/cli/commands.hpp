#pragma once
// Each subcommand of the citytwin executable registers itself on the CLI11 app.

#include <CLI/CLI.hpp>

namespace citytwin {

// The bundled default city (Berlin-Friedrichshain), found next to the sources or via CITYTWIN_DATA.
std::string default_city_path();

void add_simulate_command(CLI::App& app);
void add_assign_command(CLI::App& app);

}  // namespace citytwin
