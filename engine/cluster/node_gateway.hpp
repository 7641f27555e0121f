#pragma once
// The actor a cluster node publishes: the coordinator (on node 0) sees it as that node's shard,
// and the other nodes send it their cross-node traffic. It passes window orders to the local
// shard, and when the shard reports, first delivers this window's outbox to the other nodes
// (one batch per node, acknowledged) and only then reports: that keeps the window barrier
// cluster-wide, since no node starts the next window before every batch has reached its segments.

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <functional>
#include <memory>
#include <vector>

#include "engine/cluster/cross_node_outbox.hpp"
#include "engine/cluster/forwarded_answer.hpp"
#include "engine/live/twin_view.hpp"
#include "engine/metrics/metric_handles.hpp"
#include "engine/runtime/simulation_context.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {

struct node_gateway_config {
  std::uint32_t node = 0;
  std::uint64_t fingerprint = 0;       // of the city, demand, options and partition this node runs
  simulation_context* context = nullptr;  // its times are replaced on times_update
  caf::actor shard;
  std::vector<segment_id> owned;
  std::shared_ptr<cross_node_outbox> outbox;
  std::function<void(const std::string& failure)> on_leave;  // "" after a clean shutdown
  runtime_metrics metrics;  // cross-node messages sent and received (inert by default)
  // Node 0: a peer was lost (connection dropped, heartbeats unanswered, traffic undeliverable).
  std::function<void(std::uint32_t node, const std::string& failure)> on_peer_lost;
  std::vector<std::string> node_names;  // "node 2 (host:port)", by node id
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{10000};
  // Writes this node's part of checkpoint `id` (its shard's and segments' share of the cut at
  // `time`) durably, and drops its parts older than `keep_from`; throws with why it could not.
  std::function<void(std::uint64_t id, sim_time time, std::uint64_t keep_from, shard_state&& shard,
                     std::vector<segment_state>&& segments)>
      save_checkpoint;
  // Replaces the shard and segment actors with those of checkpoint `id`; returns the new shard.
  std::function<caf::actor(std::uint64_t id)> restore_checkpoint;
  // Not node 0: node 0 greeted this node, whose peers are now known (live mode: with node 0's epoch).
  std::function<void(const std::vector<caf::actor>& peers, std::int64_t live_epoch_ms)> on_greeted;
  // Node 0 of a live cluster: validates, stores durably and applies a serialized IngestBatch that
  // another node's front door received; returns the serialized IngestAck; throws if it cannot store.
  std::function<std::string(const std::string& batch, const forwarded_caller& who)> ingest;
  // Node 0 of a live cluster: answers a read another node's front door received and authorized
  // (`method` is the full gRPC method, `request` its serialized request), as its own front door would.
  std::function<forwarded_answer(const std::string& method, const std::string& request, const forwarded_caller& who)> read;
  // Node 0 of a live cluster: the live twin's published view once one newer than `version` exists,
  // or the current one after `wait`; throws with the twin's failure once it stopped on one.
  std::function<std::shared_ptr<const twin_view>(std::uint64_t version, std::chrono::milliseconds wait)> view_after;
};

struct node_gateway_state {
  static inline const char* name = "node_gateway";
  node_gateway_config config;
  std::vector<caf::actor> joined;  // gateways of the higher-numbered nodes that connected to this one
  std::vector<caf::actor> peers;  // gateways by node id, this one included
  bool peers_ready = false;
  bool leaving = false;
  bool finished = false;  // node 0: the run is complete, peers may go
  bool lost_peer = false;  // node 0: a peer was lost, the run is void (until it rejoins)
  bool heartbeating = false;
  std::uint32_t attempt = 0;  // of the run: bumped by node 0 with every resume
  std::vector<std::chrono::steady_clock::time_point> last_heard;  // by node id
  std::vector<caf::response_promise> waiting_hellos;
  caf::actor coordinator;        // the sender of window orders
  shard_report held_report;      // until every batch of its window is acknowledged
  std::size_t unacknowledged = 0;
  std::int64_t cross_node_messages = 0;  // handoffs and space updates sent to other nodes
  std::int64_t cross_node_batches = 0;
  sim_time window_end = 0;     // of the window in progress
  sim_time reported_time = 0;  // end of the last window this node completed: the time its states are read at
  std::int64_t live_epoch_ms = 0;  // from node 0's hello
  caf::actor ingest_relay;     // node 0 with `ingest`: a detached actor that calls it
  caf::actor read_relay;       // likewise with `read`
  caf::actor view_relay;       // likewise with `view_after`
};

using node_gateway_type = caf::stateful_actor<node_gateway_state>;

// Handles: (join_atom, node, gateway) -> ok from a higher-numbered node that connected to this one;
// join_atom -> (vector<actor> joined, vector<actor> peers) for its own process: the gateways joined so
// far by node id (null where not yet), and the peers node 0 sent (empty until then; a restarted node
// rejoining a run learns the higher-numbered nodes this way, since they do not connect again); (peers_atom, vector<actor>) from its own process; node_hello -> (ok, node, fingerprint)
// once its peers are connected; window_order; shard_report (from the local shard);
// cross_node_batch -> ok; estimates_atom (delegated to the shard); times_update -> ok;
// (snapshots_atom, now) -> vector<segment_snapshot> of its segments; traffic_atom -> (messages,
// batches) sent to other nodes; shutdown_atom -> ok, then it leaves; (shutdown_atom, reason):
// node 0 gave up the run, it leaves with that failure; finished_atom -> ok (node 0: peers leaving
// from now on is expected). Heartbeats: node 0 sends (heartbeat_atom, 0) to every node each
// interval, a node answers (heartbeat_atom, its id); a bare heartbeat_atom is the gateway's own
// timer, on which it checks that no peer it watches has been silent for the timeout.
// Checkpoints (between windows): (checkpoint_atom, id, time, keep_from) -> ok once this node's part
// is on disk (save_checkpoint); (resume_atom, id, attempt) -> ok once its actors hold checkpoint id's
// state; traffic and reports of earlier attempts are dropped from then on. (peers_atom, peers) again
// after a lost node rejoined: node 0 watches the new handle. Front doors of live nodes:
// (get_state_atom, segment) -> (segment_snapshot, time) for a segment it owns, at the end of its last
// completed window; get_state_atom -> (vector<segment_snapshot>, time) of all its segments;
// (ingest_atom, batch, forwarded_caller) -> ack (node 0 with `ingest`); (read_atom, method, request,
// forwarded_caller) -> forwarded_answer (node 0 with `read`); (view_atom, holds_one, version, wait_ms)
// -> (version, time, epoch_ms, vector<segment_snapshot>) (node 0 with `view_after`: the first view
// newer than `version`, or the current one after wait_ms, with no segments if the asker holds it
// already; at once and whole when the asker holds none).
caf::behavior node_gateway(node_gateway_type* self, node_gateway_config config);

}  // namespace citytwin
