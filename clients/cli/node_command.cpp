// `citytwin node`: one process of a cluster run. Every node reads the same cluster config; node 0
// coordinates the windows and writes the report, the others host their part of the city.

#include <algorithm>
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
#include "engine/cluster/stored_assignment.hpp"
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
  std::string data_dir;         // empty: the assignment is not stored
  bool repartition = false;
  bool quiet = false;
  std::string checkpoint_every = "5m";  // node 0: simulated time between checkpoints; 0: none
  double barrier_timeout_s = 300;       // node 0
  double rejoin_timeout_s = 60;         // node 0 with checkpoints
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

// The segment split this node runs: the one stored in its data directory (a restarted node takes
// back its own shards), or a fresh METIS partition, stored for next time.
node_assignment assign_segments(const node_arguments& a, const cluster_config& config, std::uint32_t id, const city_graph& graph) {
  if (!a.data_dir.empty() && !a.repartition) {
    if (auto stored = load_assignment(a.data_dir)) {
      const auto current = make_assignment(config, id, graph, {}, 0);
      const auto changes = assignment_changes(*stored, current);
      if (!changes.empty()) {
        std::string list;
        for (const auto& c : changes) list += (list.empty() ? "" : "; ") + c;
        throw std::runtime_error("the assignment stored in " + assignment_path(a.data_dir).string() +
                                 " is for a different cluster or city: " + list +
                                 ". Start with --repartition to partition again and replace it");
      }
      if (stored->part_of.size() != graph.segments.size())
        throw std::runtime_error("the assignment stored in " + assignment_path(a.data_dir).string() + " covers " +
                                 std::to_string(stored->part_of.size()) + " segments, the city has " +
                                 std::to_string(graph.segments.size()) + ". Start with --repartition");
      auto taken = make_assignment(config, id, graph, std::move(stored->part_of), stored->edge_cut);
      save_assignment(a.data_dir, taken);  // the addresses may have moved
      return taken;
    }
  }
  auto partition = partition_segments(graph, static_cast<std::uint32_t>(config.nodes.size()), config.partition_seed);
  auto fresh = make_assignment(config, id, graph, std::move(partition.part_of), partition.edge_cut);
  if (!a.data_dir.empty()) save_assignment(a.data_dir, fresh);
  return fresh;
}

void run_node(const node_arguments& a) {
  const auto config = load_cluster_config(a.cluster_path);
  const std::uint32_t id = a.id ? *a.id : id_from_hostname();
  check_node_id(config, id);
  const bool verbose = !a.quiet;
  if (verbose) fmt::print(stderr, "node {}: loading city {}\n", id, config.city);
  auto city = load_city(config.city);
  const auto& graph = city.graph;
  simulation_options options = config.scenario;
  if (config.equilibrium_routes) options.fixed_routes = equilibrium_routes(city, options.demand_scale, verbose);
  metrics_registry metrics;
  options.metrics = metrics.runtime();
  auto metrics_http = a.metrics_address.empty() ? nullptr : std::make_unique<metrics_endpoint>(a.metrics_address, metrics);
  if (metrics_http && verbose) fmt::print(stderr, "node {}: metrics on port {}\n", id, metrics_http->port());
  auto plan = generate_trips(graph, {options.seed, options.demand_scale, options.duration, options.synthetic_trips_per_hour});
  const auto node_count = static_cast<std::uint32_t>(config.nodes.size());
  const auto assignment = assign_segments(a, config, id, graph);
  if (verbose)
    fmt::print(stderr, "node {} of {}: {} of {} segments, edge cut {}, {} trips; listening on port {}\n", id, node_count,
               std::count(assignment.part_of.begin(), assignment.part_of.end(), id), graph.segments.size(), assignment.edge_cut,
               plan.trips.size(), config.nodes[id].port);
  progress_bar bar("simulating", verbose && id == 0);
  options.on_progress = [&](const simulation_progress& p) {
    bar.update(static_cast<double>(p.now) / static_cast<double>(std::max<sim_time>(1, options.clear ? p.horizon : options.duration)),
               fmt::format("t={} departed {} arrived {} en route {}", format_clock(p.now), p.departed, p.arrived, p.en_route));
  };
  cluster_recovery recovery;
  recovery.data_dir = a.data_dir;
  recovery.checkpoint_every = parse_duration(a.checkpoint_every);
  recovery.barrier_timeout_s = a.barrier_timeout_s;
  recovery.rejoin_timeout_s = a.rejoin_timeout_s;
  recovery.note = [&](const std::string& text) {
    if (verbose) fmt::print(stderr, "\nnode {}: {}\n", id, text);
  };
  cluster_traffic traffic;
  auto result = run_cluster_node(config, id, graph, plan, options, assignment.part_of, &traffic, recovery);
  if (!result) {
    if (verbose) fmt::print(stderr, "node {}: run finished, leaving\n", id);
    return;
  }
  bar.finish();
  run_info info{city.source, city.units_note, options.threads, result->wall_seconds, peak_rss_megabytes()};
  auto report = build_report(graph, *result, options, info);
  report["run"]["processes"] = node_count;
  report["run"]["edge_cut"] = assignment.edge_cut;
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
      "node",
      "Run one process of a cluster: node 0 coordinates the windows and writes the report, the others host their part. "
      "Exits 0 when the run finished, 75 (retryable) when a node is lost mid-run (its connection drops or it misses heartbeats "
      "for heartbeat_timeout_s) and does not rejoin, 1 on any other error (a stalled barrier included). "
      "With --data-dir on every node, node 0 takes a coordinated checkpoint every --checkpoint-every of simulated time; "
      "a lost node started again with the same command within --rejoin-timeout makes every node roll back to the last "
      "complete checkpoint and go on (starting every node again resumes too), and the report equals an uninterrupted run's");
  cmd->add_option("--cluster", args->cluster_path, "Cluster config (JSON: city, nodes [{id, host, port}], scenario); see README")
      ->required();
  cmd->add_option("--id", args->id, "This node's id in the config (default: the ordinal at the end of the hostname, as in a StatefulSet)");
  cmd->add_option("--report", args->report_path, "Node 0: write the JSON report here (as `simulate --report`)");
  cmd->add_option("--metrics", args->metrics_address,
                  "Serve Prometheus metrics on http://HOST:PORT/metrics while the node runs (port 0 picks a free one)")
      ->check(metrics_address_error);
  cmd->add_option("--data-dir", args->data_dir,
                  "Keep this node's partition assignment here (cluster_assignment.json): a restarted node takes back the "
                  "same segments, and refuses if the cluster or city changed. Also its checkpoints (checkpoints/); node 0 "
                  "resumes the run from the last complete one when started again, and deletes them when the run finishes");
  cmd->add_option("--checkpoint-every", args->checkpoint_every,
                  "Node 0 with --data-dir: simulated time between coordinated checkpoints, taken at the first window "
                  "boundary at or after each multiple (e.g. 90s, 5m; 0: none)")
      ->capture_default_str()
      ->check([](const std::string& text) {
        try {
          parse_duration(text);
          return std::string();
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
      });
  cmd->add_option("--barrier-timeout", args->barrier_timeout_s,
                  "Node 0: seconds a window may take before the run fails naming the nodes that did not report, "
                  "while they still answer heartbeats (0: no limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--rejoin-timeout", args->rejoin_timeout_s,
                  "Node 0 with checkpoints: seconds to pause the windows and wait for a lost node to be started again with "
                  "the same command; then every node rolls back to the last complete checkpoint and the run goes on "
                  "(0: exit 75 at once)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--repartition", args->repartition, "Partition again even if --data-dir holds an assignment, and replace it");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->callback([args] {
    std::optional<std::string> lost;  // a lost node is retryable: its own exit code
    run_reporting_errors([&] {
      try {
        run_node(*args);
      } catch (const cluster_node_lost& e) {
        lost = e.what();
      }
    });
    if (lost) {
      fmt::print(stderr, "\nerror: {}\n", *lost);
      throw CLI::RuntimeError(cluster_node_lost::exit_code);
    }
  });
}

}  // namespace citytwin
