#pragma once
// One process of a cluster run. Every node hosts the segment actors of its part and one shard
// for them behind a published gateway; node 0 also runs the window coordinator, which sees the
// nodes' gateways as its shards. Results equal a single-process run of the same inputs.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/cluster/cluster_access.hpp"
#include "engine/cluster/cluster_config.hpp"
#include "engine/cluster/loss_watchdog.hpp"
#include "engine/demand/trip_generator.hpp"
#include "engine/runtime/simulation.hpp"

namespace citytwin {

struct cluster_traffic {
  std::int64_t cross_node_messages = 0;  // handoffs and space updates between segments on different nodes
  std::int64_t cross_node_batches = 0;   // at most one per (sending node, receiving node, window)
};

// Checkpoints and recovery (README, "A cluster"). Every node that keeps checkpoints needs a data
// directory; node 0's checkpoint interval and barrier timeout are the ones that count.
struct cluster_recovery {
  std::filesystem::path data_dir;  // empty: this node keeps no checkpoints
  sim_time checkpoint_every = 5 * 60 * ms_per_second;  // node 0: 0 takes none
  double barrier_timeout_s = 300;  // node 0: a window not complete after this long fails the run; 0: no limit
  // Node 0 with checkpoints: how long to wait for a lost node to be started again (then every node
  // rolls back to the last complete checkpoint and the run goes on); 0: fail at once (exit 75).
  double rejoin_timeout_s = 60;
  // Node 0 of a live cluster: the complete checkpoint its live twin resumes from (live_twin_options::resume);
  // 0: the live run starts afresh and drops older checkpoints.
  std::uint64_t live_resume_checkpoint = 0;
  std::function<void(const std::string&)> note;  // node 0: "checkpoint 2 at 00:10:00 complete", "resuming ..."
};

// Live mode's front doors (README, "A cluster"): node 0 serves the full front door and takes the
// readings, reads of its store and views other nodes' front doors forward; the others read segment
// states from their owners.
struct cluster_front_door {
  cluster_access* access = nullptr;  // not node 0: attached once node 0 greeted this node, detached when it leaves
  // Node 0: stores and applies a batch another node's front door received (node_gateway_config::ingest).
  std::function<std::string(const std::string& batch, const forwarded_caller& who)> ingest;
  // Node 0: answers reads of its store and its published views for other nodes' front doors
  // (node_gateway_config::read and ::view_after).
  std::function<forwarded_answer(const std::string& method, const std::string& request, const forwarded_caller& who)> read;
  std::function<std::shared_ptr<const twin_view>(std::uint64_t version, std::chrono::milliseconds wait)> view_after;
};

// Digest of what a node is about to run (city, trips, options, partition); nodes must agree.
std::uint64_t cluster_fingerprint(const cluster_config& config, const city_graph& graph, const trip_plan& plan,
                                  const simulation_options& options, const std::vector<std::uint32_t>& node_of);

// With data directories, node 0 takes a coordinated checkpoint every `recovery.checkpoint_every`
// of simulated time, and a run started again with the same inputs continues from the last complete
// one; a node lost mid-run may instead be started again alone within `rejoin_timeout_s`, while the
// others wait. Either way the result equals an uninterrupted run's. A finished run
// deletes its checkpoints. A barrier that stalls longer than `barrier_timeout_s` fails the run with
// an error naming the nodes that did not report.
// In live mode (options.live, node 0 only) the windows run until its keep_running hook says stop;
// observations and controls reach segments on any node with the window order, and the published
// views gather every node's segments. With checkpoints, a lost node that rejoins makes every node
// roll back as in a batch run, and the windows run again with the live inputs they took the first
// time (live_hooks::checkpointed and ::rolled_back); a live run never resumes from the checkpoints of
// an earlier process (node 0 deletes them when it starts).
// Node 0 returns the whole run's result (segments gathered from every node) and fills `traffic`;
// the other nodes serve until node 0 ends the run and return nullopt. `node_of` gives each
// segment's node. Throws std::runtime_error naming the node when a peer cannot be reached or
// disagrees, and cluster_node_lost (retryable) naming it when it goes away or stops answering
// heartbeats mid-run; if the run cannot unwind (blocked on the lost peer) the process ends with
// cluster_node_lost::exit_code a few seconds later (see loss_watchdog.hpp).
std::optional<simulation_result> run_cluster_node(const cluster_config& config, std::uint32_t node,
                                                  const city_graph& graph, const trip_plan& plan,
                                                  const simulation_options& options,
                                                  const std::vector<std::uint32_t>& node_of,
                                                  cluster_traffic* traffic = nullptr,
                                                  const cluster_recovery& recovery = {},
                                                  const cluster_front_door& front_door = {});

}  // namespace citytwin
