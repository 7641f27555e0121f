#include "engine/cluster/cluster_run.hpp"

#include <caf/io/all.hpp>

#include <algorithm>
#include <atomic>
#include <fmt/format.h>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "actors/road_segment_actor.hpp"
#include "engine/cluster/checkpoint_codec.hpp"
#include "engine/cluster/checkpoint_store.hpp"
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
    std::vector<caf::actor> from_node_0;
    self->request(gateway, caf::infinite, join_atom_v).receive([&](std::vector<caf::actor>& joined, std::vector<caf::actor>& peers) {
      from_node_0 = std::move(peers);
      for (std::uint32_t j = node + 1; j < node_count; ++j)
        if (joined[j]) gateways[j] = joined[j];
        else missing.push_back(j);
    }, [](caf::error&) {});
    if (from_node_0.size() == node_count) return from_node_0;  // rejoining a run under way
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
  if (options.live && node != 0) throw std::invalid_argument("only node 0 runs the live twin's coordinator (live hooks)");
}

// Node 0: do all nodes run the same city, demand, options and partition?
void greet(caf::scoped_actor& self, const cluster_config& config, const std::vector<caf::actor>& gateways, std::uint64_t fingerprint,
           std::int64_t live_epoch_ms) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.connect_timeout_s * 1000));
  for (std::uint32_t j = 1; j < gateways.size(); ++j)
    self->request(gateways[j], timeout, node_hello{0, fingerprint, live_epoch_ms})
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
            cluster_traffic* traffic, std::chrono::milliseconds timeout) {
  result.segments.assign(segment_count, segment_snapshot{});
  for (std::uint32_t j = 0; j < gateways.size(); ++j) {
    auto fail = [&](caf::error& e) {
      throw std::runtime_error("node " + std::to_string(j) + " did not report its segments: " + self->system().render(e));
    };
    self->request(gateways[j], timeout, snapshots_atom_v, result.end_time)
        .receive([&](std::vector<segment_snapshot>& snapshots) {
                   for (auto& s : snapshots) result.segments[s.segment] = std::move(s);
                 }, fail);
    self->request(gateways[j], timeout, traffic_atom_v)
        .receive([&](std::int64_t messages, std::int64_t batches) {
                   if (traffic) {
                     traffic->cross_node_messages += messages;
                     traffic->cross_node_batches += batches;
                   }
                 }, fail);
  }
}

// Node 0: has every node write its part of checkpoint `id`; "" when all did, else who did not and why.
std::string take_checkpoint(caf::scoped_actor& self, const cluster_config& config, const std::vector<caf::actor>& gateways,
                            std::uint64_t id, sim_time time, std::uint64_t keep_from) {
  const auto timeout = to_ms(config.connect_timeout_s);
  std::string refused;
  for (std::uint32_t j = 0; j < gateways.size(); ++j)
    self->request(gateways[j], timeout, checkpoint_atom_v, id, time, keep_from)
        .receive([](caf::ok_atom) {},
                 [&](caf::error& e) {
                   refused += (refused.empty() ? "" : "; ") + node_name(config.nodes[j]) + ": " + self->system().render(e);
                 });
  return refused;
}

// Node 0: has every node replace its actors with its part of checkpoint `id`.
void resume_from_checkpoint(caf::scoped_actor& self, const cluster_config& config, const std::vector<caf::actor>& gateways,
                            std::uint64_t id, std::uint32_t attempt, const std::filesystem::path& complete_record) {
  const auto timeout = to_ms(config.connect_timeout_s);
  for (std::uint32_t j = 0; j < gateways.size(); ++j)
    self->request(gateways[j], timeout, resume_atom_v, id, attempt)
        .receive([](caf::ok_atom) {},
                 [&](caf::error& e) {
                   throw std::runtime_error(node_name(config.nodes[j]) + " cannot resume from checkpoint " + std::to_string(id) +
                                            ": " + self->system().render(e) + ". To run from the start instead, delete " +
                                            complete_record.string() + " on node 0");
                 });
}

}  // namespace

std::uint64_t cluster_fingerprint(const cluster_config& config, const city_graph& graph, const trip_plan& plan,
                                  const simulation_options& options, const std::vector<std::uint32_t>& node_of) {
  fnv1a h;
  h.add(static_cast<std::uint64_t>(config.nodes.size()));
  h.add(city_fingerprint(graph));
  for (const auto& s : graph.segments)  // which segments yield at roundabouts (city.json may turn the guess off)
    if (s.on_roundabout) h.add(static_cast<std::uint64_t>(s.id));
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
                                                  const std::vector<std::uint32_t>& node_of, cluster_traffic* traffic,
                                                  const cluster_recovery& recovery, const cluster_front_door& front_door) {
  check_inputs(config, node, graph, options, node_of);
  const auto started = std::chrono::steady_clock::now();
  const auto node_count = static_cast<std::uint32_t>(config.nodes.size());
  const auto fingerprint = cluster_fingerprint(config, graph, plan, options, node_of);

  std::optional<checkpoint_store> store;
  if (!recovery.data_dir.empty()) store.emplace(recovery.data_dir, node, fingerprint);
  auto note = [&](const std::string& text) {
    if (recovery.note) recovery.note(text);
  };

  // Node 0 waiting for a lost node to rejoin must outlast that wait before the watchdog ends it.
  const bool may_rejoin = node == 0 && store && recovery.checkpoint_every > 0 && recovery.rejoin_timeout_s > 0;
  const auto rejoin_wait = may_rejoin ? to_ms(recovery.rejoin_timeout_s) : std::chrono::milliseconds(0);
  loss_watchdog watchdog(unwind_grace + rejoin_wait);  // outlives the actor system: its shutdown may block on a lost peer
  std::atomic<std::int64_t> lost_node{-1};  // node 0: the first node lost since the last (re)start of the windows
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
  std::shared_ptr<simulation_state> restored;  // what the actors of a resumed run were spawned from
  auto restore_checkpoint = [&](std::uint64_t id) -> caf::actor {
    auto part = store->load_part(id);
    const auto path = store->part_path(id).string();
    const auto n = graph.segments.size();
    if (part.segments.size() != owned.size())
      throw std::runtime_error(path + " holds " + std::to_string(part.segments.size()) + " segments, this node owns " +
                               std::to_string(owned.size()));
    auto cut = std::make_shared<simulation_state>();
    cut->segments.resize(n);
    cut->bookings.assign(n, no_window);
    cut->shard_estimates.assign(n, 0);
    for (std::size_t i = 0; i < owned.size(); ++i) {
      if (part.segments[i].model.spec().id != owned[i])
        throw std::runtime_error(path + " holds segment " + std::to_string(part.segments[i].model.spec().id) +
                                 " where this node owns segment " + std::to_string(owned[i]));
      cut->segments[owned[i]] = std::move(part.segments[i]);
    }
    for (const auto& [segment, window] : part.shard.bookings)
      if (segment < n) cut->bookings[segment] = window;
    for (const auto& [segment, estimate] : part.shard.estimates)
      if (segment < n) cut->shard_estimates[segment] = estimate;
    for (segment_id s : owned) {
      caf::anon_send_exit(context.segment_actors[s], caf::exit_reason::user_shutdown);
      context.segment_actors[s] = system.spawn(road_segment_actor, s, &context, static_cast<const segment_state*>(&cut->segments[s]));
    }
    caf::anon_send_exit(shard, caf::exit_reason::user_shutdown);
    shard = system.spawn(shard_actor, node, owned, std::move(part.shard.departures), &context,
                         static_cast<const simulation_state*>(cut.get()));
    restored = std::move(cut);
    return shard;
  };
  auto left = std::make_shared<std::promise<std::string>>();
  auto left_future = left->get_future();
  node_gateway_config gateway_config{node, fingerprint, &context, shard, owned, outbox,
                                     [left, &watchdog](const std::string& failure) {
                                       if (!failure.empty()) watchdog.report(failure);
                                       left->set_value(failure);
                                     },
                                     options.metrics};
  gateway_config.on_peer_lost = [&watchdog, &lost_node](std::uint32_t lost, const std::string& failure) {
    std::int64_t none = -1;
    lost_node.compare_exchange_strong(none, lost);
    watchdog.report(failure);
  };
  for (const auto& n : config.nodes) gateway_config.node_names.push_back(node_name(n));
  gateway_config.heartbeat_interval = to_ms(config.heartbeat_interval_s);
  gateway_config.heartbeat_timeout = to_ms(config.heartbeat_timeout_s);
  if (store) {
    gateway_config.save_checkpoint = [&store, node, fingerprint](std::uint64_t id, sim_time time, std::uint64_t keep_from,
                                                                 shard_state&& shard_part, std::vector<segment_state>&& segments) {
      store->save_part(checkpoint_part{fingerprint, node, id, time, std::move(shard_part), std::move(segments)});
      store->drop_before(keep_from);
    };
    gateway_config.restore_checkpoint = restore_checkpoint;
  }
  if (front_door.access)
    gateway_config.on_greeted = [&system, &node_of, &front_door, names = gateway_config.node_names](
                                    const std::vector<caf::actor>& peers, std::int64_t epoch_ms) {
      front_door.access->attach(system, peers, node_of, names, epoch_ms);
    };
  gateway_config.ingest = front_door.ingest;
  gateway_config.read = front_door.read;
  gateway_config.view_after = front_door.view_after;
  const std::int64_t live_epoch_ms = options.live ? options.live->epoch_at_start_ms : 0;
  auto gateway = system.spawn(node_gateway, std::move(gateway_config));
  auto teardown = [&] {
    if (front_door.access) front_door.access->detach();
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
      if (store) store->clear();  // the run is complete: nothing to resume
      return std::nullopt;
    }

    auto fresh_result = [&] {
      simulation_result r;
      r.planned_trips = plan.trips.size();
      r.skipped_intrazonal = plan.skipped_intrazonal;
      r.synthetic_demand = plan.synthetic;
      return r;
    };
    simulation_result result;
    caf::scoped_actor self{system};
    greet(self, config, gateways, fingerprint, live_epoch_ms);
    context.shards = gateways;
    context.on_times_published = [&](const travel_times& times) { publish_times(self, gateways, times); };
    // How long node 0 waits for a node's answer with its state (a cut, the final snapshots).
    const auto state_wait = to_ms(recovery.barrier_timeout_s > 0 ? recovery.barrier_timeout_s : 3600);
    // A scenario fork of the live twin: every node's share of the cut, asked of its gateway.
    context.gather_cut = [&] {
      caf::scoped_actor asker{system};
      std::vector<node_cut> parts;
      for (std::uint32_t j = 0; j < node_count; ++j)
        asker->request(gateways[j], state_wait, cut_atom_v)
            .receive([&](std::string& bytes) { parts.push_back(decode_checkpoint_part<node_cut>(bytes)); },
                     [&](caf::error& e) {
                       throw std::runtime_error(node_name(config.nodes[j]) + " did not give its share of the cut: " + system.render(e));
                     });
      return parts;
    };
    simulation_options run_options = options;
    run_options.barrier_timeout_s = recovery.barrier_timeout_s;
    std::uint64_t last_id = 0, keep_from = 0;  // the last checkpoint id used, the last complete one
    std::uint32_t attempt = 0;                 // bumped by every resume
    auto resume = [&](std::uint64_t id) {
      run_options.continue_from = std::make_shared<run_progress>(store->load_progress(id));
      resume_from_checkpoint(self, config, gateways, id, ++attempt, store->complete_path());
      last_id = keep_from = id;
    };
    if (store && options.live && recovery.live_resume_checkpoint > 0) {
      resume(recovery.live_resume_checkpoint);
      note("every node reloaded its part of checkpoint " + std::to_string(last_id) + " at t=" +
           format_clock(run_options.continue_from->time) + "; the live twin goes on from there");
    } else if (store && options.live)
      store->clear();  // no checkpoint of this live run to resume: the twin starts afresh from its readings
    else if (store)
      if (auto point = store->last_complete()) {
        note("resuming from checkpoint " + std::to_string(point->id) + " at t=" + format_clock(point->time));
        resume(point->id);
      }
    if (store && recovery.checkpoint_every > 0) {
      run_options.checkpoint = std::make_shared<checkpoint_hooks>();
      run_options.checkpoint->every = recovery.checkpoint_every;
      run_options.checkpoint->take = [&](run_progress&& progress) {
        const auto id = ++last_id;
        const auto began = std::chrono::steady_clock::now();
        const auto refused = take_checkpoint(self, config, gateways, id, progress.time, keep_from);
        const auto name = "checkpoint " + std::to_string(id) + " at t=" + format_clock(progress.time);
        if (!refused.empty()) {
          note(name + " is incomplete, the last complete one is kept: " + refused);
          return;
        }
        store->save_progress(id, progress);
        if (options.live && options.live->resume_point) store->save_live(id, options.live->resume_point(progress.time));
        store->mark_complete({id, progress.time});
        keep_from = id;
        if (options.live && options.live->checkpointed) options.live->checkpointed(progress.time);
        note(name + " complete (" +
             fmt::format("{:.0f}", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count()) +
             " ms)");
      };
    }
    // A lost node (not node 0) restarted with the same command within the rejoin timeout: every
    // node rolls back to the last complete checkpoint and the windows go on. False: give up.
    auto rejoin = [&]() -> bool {
      if (!may_rejoin || keep_from == 0) return false;
      const auto lost = watchdog.await_failure(loss_patience);
      const auto j = lost_node.load();
      if (!lost || j <= 0) return false;
      const cluster_node& peer = config.nodes[static_cast<std::size_t>(j)];
      note(node_name(peer) + " was lost; the windows are paused: waiting up to " + fmt::format("{:g}", recovery.rejoin_timeout_s) +
           " s (--rejoin-timeout) for it to be started again with the same command");
      const auto deadline = std::chrono::steady_clock::now() + rejoin_wait;
      caf::actor back;  // the restarted node connects to node 0 and joins, as at the start
      while (!back && std::chrono::steady_clock::now() < deadline) {
        self->request(gateways[0], caf::infinite, join_atom_v).receive([&](std::vector<caf::actor>& joined, std::vector<caf::actor>&) {
          if (joined[j] && joined[j] != gateways[j]) back = joined[j];  // a hung node's old gateway does not count
        }, [](caf::error&) {});
        if (!back) std::this_thread::sleep_for(connect_retry_pause);
      }
      if (!back) {
        std::string failure = *lost;
        const auto at = failure.find("; node 0 stopped the windows");
        failure.insert(at == std::string::npos ? failure.size() : at,
                       "; it did not come back within " + fmt::format("{:g}", recovery.rejoin_timeout_s) + " s (--rejoin-timeout)");
        watchdog.withdraw();
        watchdog.report(failure);
        return false;
      }
      gateways[j] = back;
      for (const auto& g : gateways) caf::anon_send(g, peers_atom_v, gateways);
      greet(self, config, gateways, fingerprint, live_epoch_ms);
      context.shards = gateways;
      lost_node = -1;
      watchdog.withdraw();
      resume(keep_from);
      const sim_time back_to = run_options.continue_from->time;
      std::string again;
      if (options.live && options.live->rolled_back)
        again = " (" + std::to_string(options.live->rolled_back(back_to)) + " of them take their live inputs again)";
      note(node_name(peer) + " rejoined: every node rolled back to checkpoint " + std::to_string(keep_from) + " at t=" +
           format_clock(back_to) + "; the windows go on" + again);
      return true;
    };
    while (true) {
      result = fresh_result();
      try {
        window_coordinator coordinator(system, context, run_options, plan);  // publishes the first (or resumed) travel times
        coordinator.run(result);
        break;
      } catch (const barrier_stalled& e) {
        std::string names;
        for (auto i : e.silent_shards) names += (names.empty() ? "" : ", ") + node_name(config.nodes[i]);
        const std::string what = e.what();
        throw std::runtime_error(what.substr(0, what.find(": no report")) + " although every node answers heartbeats: no report from " +
                                 names + " (raise --barrier-timeout if its windows are that heavy)");
      } catch (const std::exception&) {
        if (!rejoin()) throw;
      }
    }
    // A node lost now fails the request (then the loss is reported, as during the windows), never hangs it.
    gather(self, gateways, result, graph.segments.size(), traffic, state_wait);
    self->request(gateway, caf::infinite, finished_atom_v).receive([](caf::ok_atom) {}, [](caf::error&) {});
    const auto timeout = to_ms(config.connect_timeout_s);
    for (std::uint32_t j = 1; j < node_count; ++j)  // a node that fails to answer here has done its work already
      self->request(gateways[j], timeout, shutdown_atom_v).receive([](caf::ok_atom) {}, [](caf::error&) {});
    teardown();
    if (store) store->clear();  // the run is complete: nothing to resume
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
