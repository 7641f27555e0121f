#pragma once
// The messages nodes of a cluster exchange on top of the runtime's own (window orders, shard
// reports and estimates travel unchanged): traffic between segments on different nodes, batched
// per destination node and window, and the travel times the coordinator publishes.

#include <caf/all.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/cluster/forwarded_answer.hpp"
#include "engine/cluster/forwarded_caller.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct addressed_handoff {
  segment_id to = no_segment;
  vehicle_handoff handoff;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, addressed_handoff& x) {
  return f(caf::meta::type_name("addressed_handoff"), x.to, x.handoff);
}

struct addressed_space_update {
  segment_id to = no_segment;
  space_update update;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, addressed_space_update& x) {
  return f(caf::meta::type_name("addressed_space_update"), x.to, x.update);
}

// Everything the segments of one node sent to the segments of another in one window.
struct cross_node_batch {
  std::uint32_t from_node = 0;
  std::uint32_t attempt = 0;  // of the run (bumped by every resume): a receiver drops older ones
  window_index window = 0;
  std::vector<addressed_handoff> handoffs;
  std::vector<addressed_space_update> updates;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cross_node_batch& x) {
  return f(caf::meta::type_name("cross_node_batch"), x.from_node, x.attempt, x.window, x.handoffs, x.updates);
}

// The coordinator's current travel times, installed on a node before its next window.
struct times_update {
  std::vector<sim_time> ms;
  std::uint64_t closure_version = 0;
  std::uint64_t serial = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, times_update& x) {
  return f(caf::meta::type_name("times_update"), x.ms, x.closure_version, x.serial);
}

// Node 0 -> node: do we agree on the city, the demand and the partition?
struct node_hello {
  std::uint32_t node = 0;
  std::uint64_t fingerprint = 0;
  std::int64_t live_epoch_ms = 0;  // live mode: the wall-clock time simulated time 0 stands for; 0 in a batch run
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_hello& x) {
  return f(caf::meta::type_name("node_hello"), x.node, x.fingerprint, x.live_epoch_ms);
}

}  // namespace citytwin

CAF_BEGIN_TYPE_ID_BLOCK(citytwin_cluster, caf::id_block::citytwin::end)
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::addressed_handoff))
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::addressed_space_update))
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::cross_node_batch))
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::times_update))
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::node_hello))
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::forwarded_caller))
  CAF_ADD_TYPE_ID(citytwin_cluster, (citytwin::forwarded_answer))
  CAF_ADD_ATOM(citytwin_cluster, citytwin, peers_atom, "peers")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, shutdown_atom, "shutdown")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, traffic_atom, "traffic")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, heartbeat_atom, "heartbeat")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, finished_atom, "finished")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, join_atom, "join")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, checkpoint_atom, "checkpoint")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, resume_atom, "resume")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, cut_atom, "cut")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, ingest_atom, "ingest")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, read_atom, "read")
  CAF_ADD_ATOM(citytwin_cluster, citytwin, view_atom, "view")
CAF_END_TYPE_ID_BLOCK(citytwin_cluster)
