// `citytwin node`: one process of a cluster run. Every node reads the same cluster config; node 0
// coordinates the windows and writes the report, the others host their part of the city.

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

#include "clients/cli/commands.hpp"
#include "clients/cli/progress_bar.hpp"
#include "engine/cluster/cluster_config.hpp"
#include "engine/cluster/cluster_run.hpp"
#include "engine/cluster/partition.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/import/city_loader.hpp"
#include "engine/metrics/metrics_endpoint.hpp"
#include "engine/metrics/metrics_registry.hpp"
#include "engine/report/kpi_report.hpp"

namespace citytwin {

namespace {

struct node_arguments {
  std::string cluster_path;
  std::optional<std::uint32_t> id;
  std::string report_path;
  std::string metrics_address;  // empty: no /metrics endpoint
  bool quiet = false;
};

// A StatefulSet pod is named <set>-<ordinal>: the ordinal is the node id.
std::uint32_t id_from_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) throw std::invalid_argument("--id not given and the hostname is unreadable");
  std::string host(name);
  auto dash = host.rfind('-');
  try {
    if (dash != std::string::npos) return static_cast<std::uint32_t>(std::stoul(host.substr(dash + 1)));
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--id not given and hostname '" + host + "' does not end in -<ordinal>");
}

void run_node(const node_arguments& a) {
  const auto config = load_cluster_config(a.cluster_path);
  const std::uint32_t id = a.id ? *a.id : id_from_hostname();
  const bool verbose = !a.quiet;
  if (verbose) fmt::print(stderr, "node {}: loading city {}\n", id, config.city);
  auto city = load_city(config.city);
  const auto& graph = city.graph;
  simulation_options options = config.scenario;
  metrics_registry metrics;
  options.metrics = metrics.runtime();
  auto metrics_http = a.metrics_address.empty() ? nullptr : std::make_unique<metrics_endpoint>(a.metrics_address, metrics);
  if (metrics_http && verbose) fmt::print(stderr, "node {}: metrics on port {}\n", id, metrics_http->port());
  auto plan = generate_trips(graph, {options.seed, options.demand_scale, options.duration, options.synthetic_trips_per_hour});
  const auto node_count = static_cast<std::uint32_t>(config.nodes.size());
  auto partition = partition_segments(graph, node_count, config.partition_seed);
  if (verbose)
    fmt::print(stderr, "node {} of {}: {} of {} segments, edge cut {}, {} trips; listening on port {}\n", id, node_count,
               id < node_count ? partition.part_sizes[id] : 0, graph.segments.size(), partition.edge_cut, plan.trips.size(),
               id < node_count ? config.nodes[id].port : 0);
  progress_bar bar("simulating", verbose && id == 0);
  options.on_progress = [&](const simulation_progress& p) {
    bar.update(static_cast<double>(p.now) / static_cast<double>(std::max<sim_time>(1, options.clear ? p.horizon : options.duration)),
               fmt::format("t={} departed {} arrived {} en route {}", format_clock(p.now), p.departed, p.arrived, p.en_route));
  };
  cluster_traffic traffic;
  auto result = run_cluster_node(config, id, graph, plan, options, partition.part_of, &traffic);
  if (!result) {
    if (verbose) fmt::print(stderr, "node {}: run finished, leaving\n", id);
    return;
  }
  bar.finish();
  run_info info{city.source, city.units_note, options.threads, result->wall_seconds, peak_rss_megabytes()};
  auto report = build_report(graph, *result, options, info);
  report["run"]["processes"] = node_count;
  report["run"]["edge_cut"] = partition.edge_cut;
  report["run"]["cross_node_messages"] = traffic.cross_node_messages;
  report["run"]["cross_node_batches"] = traffic.cross_node_batches;
  std::cout << render_summary(report);
  std::cout << fmt::format("  {:<34} {:>16}\n", "processes", node_count)
            << fmt::format("  {:<34} {:>16}\n", "messages between processes", traffic.cross_node_messages);
  if (!a.report_path.empty()) {
    std::ofstream out(a.report_path);
    if (!out) throw std::runtime_error("cannot write the report to " + a.report_path);
    out << report.dump(2) << '\n';
    if (verbose) fmt::print(stderr, "report written to {}\n", a.report_path);
  }
}

}  // namespace

void add_node_command(CLI::App& app) {
  auto args = std::make_shared<node_arguments>();
  auto* cmd = app.add_subcommand(
      "node", "Run one process of a cluster: node 0 coordinates the windows and writes the report, the others host their part");
  cmd->add_option("--cluster", args->cluster_path, "Cluster config (JSON: city, nodes [{id, host, port}], scenario); see README")
      ->required();
  cmd->add_option("--id", args->id, "This node's id in the config (default: the ordinal at the end of the hostname, as in a StatefulSet)");
  cmd->add_option("--report", args->report_path, "Node 0: write the JSON report here (as `simulate --report`)");
  cmd->add_option("--metrics", args->metrics_address,
                  "Serve Prometheus metrics on http://HOST:PORT/metrics while the node runs (port 0 picks a free one)")
      ->check(metrics_address_error);
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->callback([args] { run_reporting_errors([&] { run_node(*args); }); });
}

}  // namespace citytwin
