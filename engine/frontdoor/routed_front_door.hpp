#pragma once
// The front door of a live cluster's nodes other than node 0, which keep no store: GetTwin asks the
// node that owns the segment for its current state, QueryTwins gathers every node's segments,
// Ingest forwards each batch to node 0 and acknowledges it only once node 0 has stored it,
// GetHistory and GetStats are answered by node 0's front door (its status and message unchanged),
// and WatchTwins runs node 0's watch over a mirror of node 0's published views (view_mirror.hpp),
// so a watcher gets node 0's stream. Same roles and tokens as `serve`, checked here. What cannot
// reach the node it needs within the timeout answers UNAVAILABLE, naming that node.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "engine/cluster/cluster_access.hpp"
#include "engine/frontdoor/access_control.hpp"
#include "engine/frontdoor/twin_conversion.hpp"
#include "engine/frontdoor/twin_server.hpp"

namespace citytwin {

struct routed_front_door_options {
  server_options server;
  std::string node_name;  // "node 2 (host:port)", for the audit trail at node 0
  std::chrono::milliseconds timeout{5000};  // for each request to another node
  std::size_t watch_max_views_behind = 8;  // as node 0's front door: a watcher further behind is dropped
};

class routed_front_door {
 public:
  // `catalog` names the city's twins; its counters_since_ms must be node 0's epoch once `cluster` is
  // attached (set it in cluster_access's on_attach). Calls before that answer UNAVAILABLE.
  routed_front_door(const twin_catalog& catalog, access_control access, cluster_access& cluster, routed_front_door_options options);
  ~routed_front_door();

  // Throws std::runtime_error when the address cannot be bound or is unsafe (as twin_server).
  void start();
  int port() const { return port_; }
  void shutdown();

 private:
  const twin_catalog& catalog_;
  access_control access_;
  cluster_access& cluster_;
  routed_front_door_options options_;
  std::unique_ptr<grpc::Service> twins_;
  std::unique_ptr<grpc::Service> ingest_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace citytwin
