#include "engine/cluster/cluster_run.hpp"

#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "actors/road_segment_actor.hpp"
#include "engine/cluster/fnv1a.hpp"
#include "engine/cluster/loss_watchdog.hpp"
#include "engine/cluster/node_gateway.hpp"
#include "engine/cluster/stored_assignment.hpp"
#include "engine/runtime/coordinator.hpp"
#include "engine/runtime/shard_actor.hpp"

namespace citytwin {

namespace {

constexpr auto connect_retry_pause = std::chrono::milliseconds(100);
// After a peer is lost, how long the run may take to unwind before the watchdog ends the process.
constexpr auto unwind_grace = std::chrono::milliseconds(5000);
// Node 0 failing on an error from a lost peer waits this long for the loss itself to be reported.
constexpr auto loss_patience = std::chrono::milliseconds(1000);

std::chrono::milliseconds to_ms(double seconds) { return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)); }

caf::actor_system_config make_cluster_config(std::uint32_t threads) {
  caf::actor_system_config config;
  config.set("scheduler.max-threads", static_cast<std::size_t>(std::max<std::uint32_t>(1, threads)));
  config.set("logger.console", caf::atom("none"));
  config.add_message_types<caf::id_block::citytwin>();
  config.add_message_types<caf::id_block::citytwin_cluster>();
  config.load<caf::io::middleman>();
  return config;
}

std::string node_name(const cluster_node& n) { return "node " + std::to_string(n.id) + " (" + n.host + ":" + std::to_string(n.port) + ")"; }

// Peers may start in any order: keep trying until the configured timeout.
caf::actor connect(caf::actor_system& system, const cluster_node& self, const cluster_node& peer, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    auto gateway = system.middleman().remote_actor(peer.host, peer.port);
    if (gateway) return *gateway;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("node " + std::to_string(self.id) + " could not reach " + node_name(peer) + " within " +
                               std::to_string(timeout_s) + " s: " + system.render(gateway.error()));
    std::this_thread::sleep_for(connect_retry_pause);
  }
}

// Every pair of nodes shares one connection, opened by the higher-numbered node: when two CAF 0.17
// nodes connect to each other at the same moment, messages over the pair can be lost for good.
std::vector<caf::actor> join_peers(caf::actor_system& system, const cluster_config& config, std::uint32_t node,
                                   const caf::actor& gateway) {
  const auto node_count = static_cast<std::uint32_t>(config.nodes.size());
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.connect_timeout_s * 1000));
  std::vector<caf::actor> gateways(node_count);
  gateways[node] = gateway;
  caf::scoped_actor self{system};
  for (std::uint32_t j = 0; j < node; ++j) {
    gateways[j] = connect(system, config.nodes[node], config.nodes[j], config.connect_timeout_s);
    self->request(gateways[j], timeout, join_atom_v, node, gateway)
        .receive([](caf::ok_atom) {},
                 [&](caf::error& e) {
                   throw std::runtime_error(node_name(config.nodes[j]) + " did not take node " + std::to_string(node) +
                                            " in: " + system.render(e));
                 });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::vector<std::uint32_t> missing;
    self->request(gateway, caf::infinite, join_atom_v).receive([&](std::vector<caf::actor>& joined) {
      for (std::uint32_t j = node + 1; j < node_count; ++j)
        if (joined[j]) gateways[j] = joined[j];
        else missing.push_back(j);
    }, [](caf::error&) {});
    if (missing.empty()) return gateways;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(node_name(config.nodes[missing.front()]) + " did not connect to " + node_name(config.nodes[node]) +
                               " within " + std::to_string(config.connect_timeout_s) + " s (connect_timeout_s)");
    std::this_thread::sleep_for(connect_retry_pause);
  }
}

void check_inputs(const cluster_config& config, std::uint32_t node, const city_graph& graph, const simulation_options& options,
                  const std::vector<std::uint32_t>& node_of) {
  check_node_id(config, node);
  if (node_of.size() != graph.segments.size()) throw std::invalid_argument("the partition does not cover the city's segments");
  for (auto n : node_of)
    if (n >= config.nodes.size()) throw std::invalid_argument("the partition names node " + std::to_string(n) + ", which the cluster lacks");
  if (options.live) throw std::invalid_argument("live mode does not run on a cluster yet");
}

// Node 0: do all nodes run the same city, demand, options and partition?
void greet(caf::scoped_actor& self, const cluster_config& config, const std::vector<caf::actor>& gateways, std::uint64_t fingerprint) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.connect_timeout_s * 1000));
  for (std::uint32_t j = 1; j < gateways.size(); ++j)
    self->request(gateways[j], timeout, node_hello{0, fingerprint})
        .receive(
            [&](caf::ok_atom, std::uint32_t id, std::uint64_t theirs) {
              if (id != j) throw std::runtime_error(node_name(config.nodes[j]) + " says it is node " + std::to_string(id));
              if (theirs != fingerprint)
                throw std::runtime_error(node_name(config.nodes[j]) +
                                         " prepared a different run (city, trips, scenario or partition differ): do all nodes read the same config and data?");
            },
            [&](caf::error& e) {
              throw std::runtime_error(node_name(config.nodes[j]) + " did not get ready: " + self->system().render(e));
            });
}

void publish_times(caf::scoped_actor& self, const std::vector<caf::actor>& gateways, const travel_times& times) {
  const times_update update{times.ms, times.closure_version, times.serial};
  for (std::uint32_t j = 1; j < gateways.size(); ++j)
    self->request(gateways[j], caf::infinite, update)
        .receive([](caf::ok_atom) {},
                 [&](caf::error& e) {
                   throw std::runtime_error("node " + std::to_string(j) + " did not take the travel times: " + self->system().render(e));
                 });
}

void gather(caf::scoped_actor& self, const std::vector<caf::actor>& gateways, simulation_result& result, std::size_t segment_count,
            cluster_traffic* traffic) {
  result.segments.assign(segment_count, segment_snapshot{});
  for (std::uint32_t j = 0; j < gateways.size(); ++j) {
    auto fail = [&](caf::error& e) {
      throw std::runtime_error("node " + std::to_string(j) + " did not report its segments: " + self->system().render(e));
    };
    self->request(gateways[j], caf::infinite, snapshots_atom_v, result.end_time)
        .receive([&](std::vector<segment_snapshot>& snapshots) {
                   for (auto& s : snapshots) result.segments[s.segment] = std::move(s);
                 }, fail);
    self->request(gateways[j], caf::infinite, traffic_atom_v)
        .receive([&](std::int64_t messages, std::int64_t batches) {
                   if (traffic) {
                     traffic->cross_node_messages += messages;
                     traffic->cross_node_batches += batches;
                   }
                 }, fail);
  }
}

}  // namespace

std::uint64_t cluster_fingerprint(const cluster_config& config, const city_graph& graph, const trip_plan& plan,
                                  const simulation_options& options, const std::vector<std::uint32_t>& node_of) {
  fnv1a h;
  h.add(static_cast<std::uint64_t>(config.nodes.size()));
  h.add(city_fingerprint(graph));
  h.add(static_cast<std::uint64_t>(plan.trips.size()));
  for (const auto& t : plan.trips) {
    h.add((static_cast<std::uint64_t>(t.origin) << 32) | t.destination);
    h.add(static_cast<std::uint64_t>(t.departure) ^ (static_cast<std::uint64_t>(t.vehicle_id) << 40));
  }
  for (auto n : node_of) h.add(static_cast<std::uint64_t>(n));
  h.add(options.seed);
  for (sim_time t : {options.duration, options.clear_limit, options.window_length, options.reroute_interval, options.model.stuck_time})
    h.add(static_cast<std::uint64_t>(t));
  h.add(options.model.hole_speed_kmh);
  h.add(static_cast<std::uint64_t>(options.clear) | (static_cast<std::uint64_t>(options.check_invariants) << 1));
  if (options.fixed_routes)  // every node computes the routes itself: they must come out the same
    options.fixed_routes->for_each_path([&](node_index o, node_index d, double share, const std::vector<segment_id>& path) {
      h.add((static_cast<std::uint64_t>(o) << 32) | d);
      h.add(share);
      for (segment_id s : path) h.add(static_cast<std::uint64_t>(s));
    });
  for (const auto& c : options.controls) {
    h.add(static_cast<std::uint64_t>(c.at));
    h.add((static_cast<std::uint64_t>(c.segment) << 8) | static_cast<std::uint64_t>(c.kind));
    h.add(c.value);
  }
  return h.value();
}

std::optional<simulation_result> run_cluster_node(const cluster_config& config, std::uint32_t node, const city_graph& graph,
                                                  const trip_plan& plan, const simulation_options& options,
                                                  const std::vector<std::uint32_t>& node_of, cluster_traffic* traffic) {
  check_inputs(config, node, graph, options, node_of);
  const auto started = std::chrono::steady_clock::now();
  const auto node_count = static_cast<std::uint32_t>(config.nodes.size());
  const auto fingerprint = cluster_fingerprint(config, graph, plan, options, node_of);

  loss_watchdog watchdog(unwind_grace);  // outlives the actor system: its shutdown may block on a lost peer
  auto system_config = make_cluster_config(options.threads);
  caf::actor_system system{system_config};
  simulation_context context(graph);
  configure_context(context, options);
  context.shard_of = node_of;  // one shard per node

  std::vector<segment_id> owned;
  for (segment_id s = 0; s < graph.segments.size(); ++s)
    if (node_of[s] == node) owned.push_back(s);
  std::vector<trip> departures;  // split as run_simulation splits them over shards
  for (const auto& t : plan.trips)
    if (t.origin % node_count == node) departures.push_back(t);

  auto outbox = std::make_shared<cross_node_outbox>(node_count);
  const auto stand_ins = spawn_stand_ins(system, node_of, node, outbox);
  context.segment_actors = stand_ins;
  for (segment_id s : owned) context.segment_actors[s] = system.spawn(road_segment_actor, s, &context, static_cast<const segment_state*>(nullptr));
  auto shard = system.spawn(shard_actor, node, owned, std::move(departures), &context,
                            static_cast<const simulation_state*>(nullptr));
  auto left = std::make_shared<std::promise<std::string>>();
  auto left_future = left->get_future();
  node_gateway_config gateway_config{node, fingerprint, &context, shard, owned, outbox,
                                     [left, &watchdog](const std::string& failure) {
                                       if (!failure.empty()) watchdog.report(failure);
                                       left->set_value(failure);
                                     },
                                     options.metrics};
  gateway_config.on_peer_lost = [&watchdog](const std::string& failure) { watchdog.report(failure); };
  for (const auto& n : config.nodes) gateway_config.node_names.push_back(node_name(n));
  gateway_config.heartbeat_interval = to_ms(config.heartbeat_interval_s);
  gateway_config.heartbeat_timeout = to_ms(config.heartbeat_timeout_s);
  auto gateway = system.spawn(node_gateway, std::move(gateway_config));
  auto teardown = [&] {
    for (segment_id s : owned) caf::anon_send_exit(context.segment_actors[s], caf::exit_reason::user_shutdown);
    caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    disconnect_stand_ins(stand_ins);
  };

  std::vector<caf::actor> gateways(node_count);
  try {
    const cluster_node& me = config.nodes[node];
    auto port = system.middleman().publish(gateway, me.port, nullptr, true);
    if (!port) throw std::runtime_error(node_name(me) + " cannot listen: " + system.render(port.error()));
    gateways = join_peers(system, config, node, gateway);
    caf::anon_send(gateway, peers_atom_v, gateways);

    if (node != 0) {
      const std::string failure = left_future.get();  // node 0 ends the run, or goes away
      teardown();
      if (!failure.empty()) throw cluster_node_lost(failure);
      return std::nullopt;
    }

    simulation_result result;
    result.planned_trips = plan.trips.size();
    result.skipped_intrazonal = plan.skipped_intrazonal;
    result.synthetic_demand = plan.synthetic;
    caf::scoped_actor self{system};
    greet(self, config, gateways, fingerprint);
    context.shards = gateways;
    context.on_times_published = [&](const travel_times& times) { publish_times(self, gateways, times); };
    window_coordinator coordinator(system, context, options, plan);  // publishes the first travel times
    coordinator.run(result);
    gather(self, gateways, result, graph.segments.size(), traffic);
    self->request(gateway, caf::infinite, finished_atom_v).receive([](caf::ok_atom) {}, [](caf::error&) {});
    const auto timeout = to_ms(config.connect_timeout_s);
    for (std::uint32_t j = 1; j < node_count; ++j)  // a node that fails to answer here has done its work already
      self->request(gateways[j], timeout, shutdown_atom_v).receive([](caf::ok_atom) {}, [](caf::error&) {});
    teardown();
    std::sort(result.trips.begin(), result.trips.end(),
              [](const trip_record& a, const trip_record& b) { return a.vehicle < b.vehicle; });
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  } catch (const std::exception& e) {
    // An error caused by a lost node (a failed delivery, say) may arrive before the loss itself.
    const auto lost = node == 0 ? watchdog.await_failure(loss_patience) : watchdog.failure();
    if (node == 0)
      for (std::uint32_t j = 1; j < node_count; ++j)
        if (gateways[j]) caf::anon_send(gateways[j], shutdown_atom_v, lost ? *lost : std::string(e.what()));
    teardown();
    if (lost) throw cluster_node_lost(*lost);
    throw;
  }
}

}  // namespace citytwin
