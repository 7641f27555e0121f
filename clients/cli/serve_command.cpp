// `citytwin serve`: the live twin behind its gRPC front door, until SIGINT / SIGTERM.

#include <memory>

#include "clients/cli/commands.hpp"
#include "clients/cli/live_serving.hpp"
#include "engine/metrics/metrics_endpoint.hpp"

namespace citytwin {

namespace {

// What only the one-process twin is told on its command line; the front door's flags are shared with `node --serve`.
struct serve_command_arguments {
  std::string city;
  serve_arguments serve;
};

}  // namespace

void add_serve_command(CLI::App& app) {
  auto all = std::make_shared<serve_command_arguments>();
  all->city = default_city_path();
  auto* args = &all->serve;
  auto* cmd = app.add_subcommand("serve", "Run the live twin paced to the wall clock behind its gRPC front door");
  cmd->add_option("--city", all->city, "City directory (with city.json), TNTP *_net.tntp file, or OSM extract")->capture_default_str();
  add_front_door_options(*cmd, *args);
  cmd->add_option("--data-dir", args->data_dir, "RocksDB directory: readings, snapshots, metadata")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed of the demand")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Simulation threads (also the scenario branches RunScenario runs at once)")->check(CLI::Range(1, 256))->capture_default_str();
  cmd->add_option("--demand-scale", args->demand_scale, "Multiply the trip table")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--metrics", args->metrics_address,
                  "Serve Prometheus metrics on http://HOST:PORT/metrics (e.g. 127.0.0.1:9464; port 0 picks a free one)")
      ->check(metrics_address_error);
  cmd->add_option("--metrics-port-file", args->metrics_port_file, "Write the bound metrics port to this file once serving")
      ->needs(cmd->get_option("--metrics"));
  cmd->add_flag("--grid", args->grid, "Also run the city's electricity grid: buildings and utility nodes as twins");
  cmd->add_option("--grid-osm", args->grid_osm, "OSM extract with building footprints (default: the city's own)")->check(CLI::ExistingFile);
  cmd->add_option("--grid-step", args->grid_step, "Load flow every (simulated time)")->capture_default_str();
  cmd->add_option("--overload-tolerance", args->overload_tolerance, "How long a branch may stay overloaded before it trips")->capture_default_str();
  cmd->callback([all] { run_reporting_errors([&] { serve_live_twin(all->serve, load_city(all->city), live_options(all->serve)); }); });
}

}  // namespace citytwin
