#pragma once
// How the front door of a node other than node 0 reaches a live cluster: a segment's current state
// from the node that owns it, every node's segments, and ingest, reads of its store and its published
// view from node 0, all as CAF requests to the nodes' gateways. run_cluster_node attaches it once node 0 has greeted this node
// and detaches it when the node leaves; a call that cannot reach the node it needs throws
// cluster_unreachable (the front door answers UNAVAILABLE), never a stale answer. Callers are the
// front door's threads: they hand each request to a local relay actor and wait for its answer
// (a blocking scoped_actor on such a thread kept the node's actor system from shutting down).

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <functional>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/cluster/forwarded_answer.hpp"
#include "engine/cluster/forwarded_caller.hpp"
#include "engine/live/twin_view.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

class cluster_unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Segment states as one node reported them, at its last completed window.
struct reported_segments {
  sim_time time = 0;
  std::vector<segment_snapshot> segments;
};

class cluster_access {
 public:
  // `on_attach` is called with node 0's epoch (the wall-clock time simulated time 0 stands for)
  // while attaching, before any call can reach the cluster: what it sets up is seen by every call.
  explicit cluster_access(std::function<void(std::int64_t epoch_ms)> on_attach = {}) : on_attach_(std::move(on_attach)) {}

  // The state of `segment` from the node that owns it.
  reported_segments segment(segment_id segment, std::chrono::milliseconds timeout) const;
  // Every segment, gathered from every node (by segment id; time is the oldest node's).
  reported_segments all_segments(std::chrono::milliseconds timeout) const;
  // Hands a serialized IngestBatch to node 0, which validates, stores and applies it; returns the
  // serialized IngestAck once node 0 has stored it durably.
  std::string forward_ingest(std::string batch, forwarded_caller who, std::chrono::milliseconds timeout) const;
  // Hands a read this node's front door received and authorized (`method` the full gRPC method,
  // `request` serialized) to node 0's front door; returns its answer, status included.
  forwarded_answer forward_read(std::string method, std::string request, forwarded_caller who, std::chrono::milliseconds timeout) const;
  // Node 0's published view: once it is newer than version `known`, or after `wait` (then with no
  // segments if none newer came); without `known`, the current one at once. `timeout` is for node 0
  // to answer beyond the wait.
  twin_view view_after(std::optional<std::uint64_t> known, std::chrono::milliseconds wait, std::chrono::milliseconds timeout) const;

  // run_cluster_node's side.
  void attach(caf::actor_system& system, std::vector<caf::actor> gateways, std::vector<std::uint32_t> node_of,
              std::vector<std::string> node_names, std::int64_t epoch_ms);
  void detach();

 private:
  // Throws cluster_unreachable naming `what` while detached; call with use_ held.
  void check_attached(const std::string& what) const;

  std::function<void(std::int64_t)> on_attach_;
  // Held shared by every call for its whole request, alone by attach and detach: the actor system
  // outlives every request made on it.
  mutable std::shared_mutex use_;
  caf::actor_system* system_ = nullptr;
  caf::actor relay_;  // a local actor that makes the requests: callers are threads CAF does not know
  std::vector<caf::actor> gateways_;
  std::vector<std::uint32_t> node_of_;
  std::vector<std::string> node_names_;
};

}  // namespace citytwin
