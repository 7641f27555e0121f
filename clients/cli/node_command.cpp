// `citytwin node`: one process of a cluster run. Every node reads the same cluster config; node 0
// coordinates the windows and writes the report, the others host their part of the city.

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

#include "clients/cli/commands.hpp"
#include "clients/cli/live_serving.hpp"
#include "clients/cli/progress_bar.hpp"
#include "engine/cluster/cluster_config.hpp"
#include "engine/cluster/checkpoint_store.hpp"
#include "engine/cluster/cluster_run.hpp"
#include "engine/cluster/journal_file.hpp"
#include "engine/cluster/partition.hpp"
#include "engine/cluster/stored_assignment.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/frontdoor/forwarded_ingest.hpp"
#include "engine/frontdoor/routed_front_door.hpp"
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
  bool serve = false;                   // live mode: node 0 serves the front door
  serve_arguments front_door;           // with --serve
};

void write_report(const std::string& path, const nlohmann::ordered_json& report, bool verbose) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write the report to " + path);
  out << report.dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write the report to " + path);
  if (verbose) fmt::print(stderr, "report written to {}\n", path);
}

// Where node 0 of a live cluster keeps its readings (RocksDB), beside its assignment.
std::filesystem::path store_directory(const std::string& data_dir) { return std::filesystem::path(data_dir) / "twin-store"; }

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

// A node other than node 0 in live mode: its segments, and a front door that routes to their owners.
void run_live_member(const node_arguments& a, const cluster_config& config, std::uint32_t id, const loaded_city& city,
                     const node_assignment& assignment, const live_twin_options& live, const cluster_recovery& recovery) {
  metrics_registry metrics;
  live_twin_options options = live;
  options.metrics = metrics.runtime();
  auto metrics_http = a.metrics_address.empty() ? nullptr : std::make_unique<metrics_endpoint>(a.metrics_address, metrics);
  twin_catalog catalog(city.graph);
  catalog.wgs84 = city.geographic;
  cluster_access access([&catalog](std::int64_t epoch_ms) { catalog.counters_since_ms = epoch_ms; });
  const auto& serve = a.front_door;
  const auto& me = config.nodes[id];
  routed_front_door door(catalog, serve.tokens.empty() ? access_control::open_access() : access_control::from_file(serve.tokens),
                         access,
                         {server_options{serve.grpc_address, tls_files{serve.tls_cert, serve.tls_key, serve.tls_client_ca}},
                          "node " + std::to_string(id) + " (" + me.host + ":" + std::to_string(me.port) + ")"});
  door.start();
  if (!a.quiet) fmt::print(stderr, "node {}: front door on port {} (twins from their owning nodes; ingest, history, stats and watches via node 0)\n", id, door.port());
  if (!serve.port_file.empty()) std::ofstream(serve.port_file) << door.port() << '\n';
  run_cluster_node(config, id, city.graph, live_trip_plan(city.graph, options), live_simulation_options(options), assignment.part_of,
                   nullptr, recovery, cluster_front_door{&access, {}});
  door.shutdown();
  if (!a.quiet) fmt::print(stderr, "node {}: node 0 stopped the live twin, leaving\n", id);
}

// Node 0 of a live cluster keeps its twin's journal beside its checkpoints; started again after a
// loss, its twin resumes from the last complete checkpoint and that journal. Returns the checkpoint
// id (0: none of this run, the twin starts afresh).
std::uint64_t prepare_live_resume(const node_arguments& a, const cluster_config& config, const loaded_city& city,
                                  const node_assignment& assignment, live_twin_options& live) {
  if (a.data_dir.empty()) return 0;
  const auto fingerprint = cluster_fingerprint(config, city.graph, live_trip_plan(city.graph, live), live_simulation_options(live),
                                               assignment.part_of);
  const checkpoint_store store(a.data_dir, 0, fingerprint);
  auto journal = std::make_shared<journal_file>(store.journal_path());
  live.durable_journal = journal;
  const auto point = store.last_complete();
  auto resume = std::make_shared<live_resume>();
  try {
    auto saved = point ? store.load_live(point->id) : std::nullopt;
    if (!saved) return 0;
    resume->point = std::move(*saved);
    resume->journal = journal->load(resume->point.time);
    journal->rewrite(resume->journal);  // drops a record torn by the crash, so that appends follow whole ones
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + ". The live twin cannot resume from checkpoint " + std::to_string(point->id) +
                             "; to start it afresh instead, delete " + store.complete_path().string());
  }
  if (!a.quiet)
    fmt::print(stderr, "node 0: the live twin resumes from checkpoint {} at t={}: the {} windows since then that took inputs "
               "take them again; {} inputs were waiting in its inbox at the checkpoint\n", point->id, format_clock(resume->point.time), resume->journal.size(),
               resume->point.pending.size());
  live.resume = std::move(resume);
  return point->id;
}

// Live mode: every node runs the live twin's simulation (its demand from the scenario's seed,
// demand_scale and threads); node 0 paces the windows to the wall clock and serves the full front
// door (serve's setup), the others serve a front door that routes to the owning nodes.
void run_live_node(const node_arguments& a, const cluster_config& config, std::uint32_t id, const loaded_city& city,
                   const node_assignment& assignment) {
  serve_arguments serve = a.front_door;
  serve.seed = config.scenario.seed;
  serve.demand_scale = config.scenario.demand_scale;
  serve.threads = config.scenario.threads;
  live_twin_options live = live_options(serve);
  cluster_recovery recovery;
  recovery.data_dir = a.data_dir;
  recovery.checkpoint_every = parse_duration(a.checkpoint_every);
  recovery.rejoin_timeout_s = a.rejoin_timeout_s;
  recovery.barrier_timeout_s = a.barrier_timeout_s;
  recovery.note = [&](const std::string& text) {
    if (!a.quiet) fmt::print(stderr, "node {}: {}\n", id, text);
  };
  if (id != 0) return run_live_member(a, config, id, city, assignment, live, recovery);
  recovery.live_resume_checkpoint = prepare_live_resume(a, config, city, assignment, live);
  serve.data_dir = store_directory(a.data_dir).string();
  serve.metrics_address = a.metrics_address;
  forwarded_ingest_target forwarded;
  std::optional<simulation_result> result;  // of the windows run, once the twin stops
  live.runner = [&](const trip_plan& plan, const simulation_options& options) {
    cluster_front_door front_door;
    front_door.ingest = [&forwarded](const std::string& batch, const forwarded_caller& who) { return forwarded.ingest(batch, who); };
    front_door.read = [&forwarded](const std::string& method, const std::string& request, const forwarded_caller& who) {
      return forwarded.read(method, request, who);
    };
    front_door.view_after = [&forwarded](std::uint64_t version, std::chrono::milliseconds wait) { return forwarded.view_after(version, wait); };
    result = run_cluster_node(config, 0, city.graph, plan, options, assignment.part_of, nullptr, recovery, front_door);
  };
  const auto sim_options = live_simulation_options(live);
  serve_live_twin(serve, city, std::move(live), [&forwarded](frontdoor_context* context) { forwarded.serve_with(context); });
  if (a.report_path.empty() || !result) return;
  auto report = build_report(city.graph, *result, sim_options, {city.source, city.units_note, sim_options.threads, result->wall_seconds, peak_rss_megabytes()});
  report["run"]["processes"] = config.nodes.size();
  write_report(a.report_path, report, !a.quiet);
}

void run_node(const node_arguments& a) {
  const auto config = load_cluster_config(a.cluster_path);
  const std::uint32_t id = a.id ? *a.id : id_from_hostname();
  check_node_id(config, id);
  if (a.serve && id == 0 && a.data_dir.empty()) throw std::invalid_argument("node 0 with --serve needs --data-dir (it stores the readings)");
  const bool verbose = !a.quiet;
  if (verbose) fmt::print(stderr, "node {}: loading city {}\n", id, config.city);
  auto city = load_city(config.city);
  const auto& graph = city.graph;
  if (a.serve) {
    const auto assignment = assign_segments(a, config, id, graph);
    if (verbose)
      fmt::print(stderr, "node {} of {}: {} of {} segments, edge cut {}; live; listening on port {}\n", id, config.nodes.size(),
                 std::count(assignment.part_of.begin(), assignment.part_of.end(), id), graph.segments.size(), assignment.edge_cut,
                 config.nodes[id].port);
    run_live_node(a, config, id, city, assignment);
    return;
  }
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
  if (!a.report_path.empty()) write_report(a.report_path, report, verbose);
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
  cmd->add_option("--report", args->report_path, "Node 0: write the JSON report here (as `simulate --report`; with --serve, of the windows run when the live twin stops, e.g. at --until)");
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
  cmd->add_flag("--serve", args->serve,
                "Live mode: run the live twin across the cluster instead of a batch run (the scenario gives its seed, "
                "demand_scale and threads). Node 0 paces the windows and serves the front door (the flags below, as "
                "`serve`), keeping readings in --data-dir/twin-store; the others host their segments until node 0 stops and "
                "serve TwinService and IngestService on their own --grpc: GetTwin and QueryTwins from the nodes that own the segments, "
                "Ingest through node 0 (acked once node 0 stored the batch), GetHistory, GetStats and WatchTwins from node 0. A lost node is handled as in a batch run (with --data-dir on every node: "
                "started again, it rejoins, every node rolls back to the last checkpoint and node 0 applies the readings "
                "stored since again; otherwise every node exits 75)");
  add_front_door_options(*cmd, args->front_door);
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
