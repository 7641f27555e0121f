// citytwin: the command-line front end of the CityTwin engine.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fmt/format.h>

#include "clients/cli/commands.hpp"

namespace citytwin {

void run_reporting_errors(const std::function<void()>& command) {
  try {
    command();
  } catch (const std::exception& e) {
    fmt::print(stderr, "\nerror: {}\n", e.what());
    throw CLI::RuntimeError(EXIT_FAILURE);
  }
}

}  // namespace citytwin

int main(int argc, char** argv) {
  CLI::App app{"CityTwin: a live, city-scale digital twin engine"};
  app.require_subcommand(1);
  citytwin::add_simulate_command(app);
  citytwin::add_assign_command(app);
  citytwin::add_loadflow_command(app);
  citytwin::add_serve_command(app);
  citytwin::add_grid_command(app);
  citytwin::add_scenario_command(app);
  citytwin::add_partition_command(app);
  citytwin::add_node_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return EXIT_SUCCESS;
}
