// Load flow at city scale: one building actor per building (more than 100,000) and one utility
// node actor per bus. Measures the time of one full load flow (every building reports its load,
// then the sweep runs to 1e-8 p.u.) and the memory each actor costs.
//
// The city is Chicago-Sketch's synthetic building stock with buildings of half the usual typical
// size, which gives about twice as many (the stock's floor area is unchanged).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <string>

#include "engine/grid/city_grid.hpp"
#include "engine/power/load_flow.hpp"

namespace {

double resident_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace citytwin;
  CLI::App app{"grid_benchmark: one full load flow over 100,000+ building actors"};
  std::string city_path = std::string(CITYTWIN_SOURCE_DIR) + "/data/tntp/Chicago-Sketch";
  double size_scale = 0.5;
  unsigned threads = 2;
  int repeats = 5;
  app.add_option("--city", city_path, "A TNTP city (synthetic building stock)")->capture_default_str();
  app.add_option("--building-size-scale", size_scale, "Typical synthetic building size times this")->capture_default_str();
  app.add_option("--threads", threads, "Actor scheduler threads")->capture_default_str();
  app.add_option("--repeats", repeats, "Load flows to time")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const loaded_city city = load_city(city_path);
  synthetic_stock_factors factors;
  factors.typical_residential_m2 *= size_scale;
  factors.typical_commercial_m2 *= size_scale;
  factors.typical_industrial_m2 *= size_scale;
  factors.typical_public_m2 *= size_scale;
  const city_grid grid = build_city_grid(city, "", 1, factors);
  power_case pc = grid.network;
  for (power_bus& b : pc.buses) b.load_mw = b.load_mvar = 0;  // the buildings bring the load
  const radial_network network = build_radial_network(pc);

  caf::actor_system_config config = make_grid_config(threads);
  caf::actor_system system{config};
  const double before_mb = resident_mb();
  grid_actors actors(system, network, &grid.buildings);
  actors.collect_building_loads(19 * ms_per_hour, 15 * 60 * ms_per_second);  // every actor has run once
  const double after_mb = resident_mb();
  const std::size_t actor_count = actors.size() + actors.building_count();

  std::vector<double> seconds;
  load_flow_result flow;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    actors.collect_building_loads(19 * ms_per_hour + i * 60'000, 15 * 60 * ms_per_second);
    flow = actors.solve({});
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  fmt::print("city {}: {} buildings, {} buses, {} substations\n", city.graph.name, grid.buildings.size(),
             network.nodes.size(), grid.substations.size());
  fmt::print("load flow at 19:00: {:.0f} kW, losses {:.0f} kW, min voltage {:.4f} p.u., {} sweeps, converged {}\n",
             flow.load_kw, flow.losses_kw, flow.min_voltage_pu, flow.iterations, flow.converged);
  fmt::print("one full load flow (loads from every building + sweep), {} threads: median {:.3f} s, best {:.3f} s\n",
             threads, seconds[seconds.size() / 2], seconds.front());
  fmt::print("memory: {:.1f} MB for {} actors = {:.2f} KB per actor (resident set, after each ran once)\n",
             after_mb - before_mb, actor_count, (after_mb - before_mb) * 1024 / static_cast<double>(actor_count));
  return flow.converged ? 0 : 1;
}
