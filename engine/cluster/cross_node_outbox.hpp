#pragma once
// Traffic from this node's segments to segments on other nodes, held until the window ends.
// Each remote segment has a local stand-in actor whose enqueue lands here synchronously, so by
// the time a segment reports its window done, everything it sent is already queued: the gateway
// can flush one batch per destination node before it reports the window to the coordinator.

#include <caf/actor_companion.hpp>
#include <caf/all.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/cluster/cluster_messages.hpp"

namespace citytwin {

class cross_node_outbox {
 public:
  explicit cross_node_outbox(std::uint32_t node_count);

  void add(std::uint32_t node, addressed_handoff handoff);
  void add(std::uint32_t node, addressed_space_update update);
  void add_unexpected() { unexpected_.fetch_add(1); }

  // Everything queued, one batch per destination node (empty ones included), in canonical
  // order (receiver, sender, window) so the wire carries the same bytes on every run.
  std::vector<cross_node_batch> take(std::uint32_t from_node, window_index window);

  // Messages of a kind a remote segment never receives from the runtime; must stay 0.
  [[nodiscard]] std::int64_t unexpected() const { return unexpected_.load(); }

 private:
  std::mutex mutex_;
  std::vector<cross_node_batch> pending_;  // by destination node
  std::atomic<std::int64_t> unexpected_{0};
};

// One stand-in per segment that `node_of` places on another node (a default handle for the
// local ones). disconnect_stand_ins detaches them from the outbox once the run is over.
std::vector<caf::actor> spawn_stand_ins(caf::actor_system& system, const std::vector<std::uint32_t>& node_of,
                                        std::uint32_t local_node, const std::shared_ptr<cross_node_outbox>& outbox);
void disconnect_stand_ins(const std::vector<caf::actor>& stand_ins);

}  // namespace citytwin
