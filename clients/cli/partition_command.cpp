// `citytwin partition`: splits a city's segments into parts for a cluster (METIS) and prints the cut.

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "clients/cli/commands.hpp"
#include "engine/cluster/partition.hpp"
#include "engine/import/city_loader.hpp"

namespace citytwin {

namespace {

struct partition_arguments {
  std::string city;
  std::uint32_t parts = 3;
  std::uint64_t seed = 1;
  bool json = false;
};

nlohmann::ordered_json to_json(const city_graph& graph, const segment_partition& p, const partition_arguments& a) {
  const double average = static_cast<double>(p.total_weight) / static_cast<double>(a.parts);
  const auto heaviest = *std::max_element(p.part_weights.begin(), p.part_weights.end());
  nlohmann::ordered_json j;
  j["city"] = graph.name;
  j["segments"] = graph.segments.size();
  j["parts"] = a.parts;
  j["seed"] = a.seed;
  j["edge_cut"] = p.edge_cut;
  j["cut_joins"] = p.cut_joins;
  j["part_sizes"] = p.part_sizes;
  j["part_weights"] = p.part_weights;
  j["imbalance"] = static_cast<double>(heaviest) / average;
  j["imbalance_tolerance"] = p.imbalance_tolerance;
  return j;
}

void run_partition(const partition_arguments& a) {
  auto city = load_city(a.city);
  auto p = partition_segments(city.graph, a.parts, a.seed);
  auto j = to_json(city.graph, p, a);
  if (a.json) {
    std::cout << j.dump(2) << '\n';
    return;
  }
  fmt::print("{}: {} segments in {} parts (seed {})\n", city.graph.name, city.graph.segments.size(), a.parts, a.seed);
  fmt::print("  edge cut {} (weighted), {} joins between parts\n", p.edge_cut, p.cut_joins);
  for (std::uint32_t i = 0; i < a.parts; ++i)
    fmt::print("  part {}: {} segments, weight {}\n", i, p.part_sizes[i], p.part_weights[i]);
  fmt::print("  imbalance {:.3f} (METIS tolerance {:.3f})\n", j["imbalance"].get<double>(), p.imbalance_tolerance);
}

}  // namespace

void add_partition_command(CLI::App& app) {
  auto args = std::make_shared<partition_arguments>();
  args->city = default_city_path();
  auto* cmd = app.add_subcommand("partition",
                                 "Split a city's road segments into parts for a cluster (METIS, weighted by capacity) and print the edge cut");
  cmd->add_option("--city", args->city, "City directory (with city.json), TNTP *_net.tntp file, or OSM extract")
      ->capture_default_str();
  cmd->add_option("--parts", args->parts, "Number of parts (cluster nodes)")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--seed", args->seed, "METIS random seed (the same seed gives the same partition)")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print JSON: edge_cut, cut_joins, part_sizes, part_weights, imbalance");
  cmd->callback([args] { run_reporting_errors([&] { run_partition(*args); }); });
}

}  // namespace citytwin
