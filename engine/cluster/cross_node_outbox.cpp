#include "engine/cluster/cross_node_outbox.hpp"

#include <algorithm>
#include <tuple>

namespace citytwin {

cross_node_outbox::cross_node_outbox(std::uint32_t node_count) : pending_(node_count) {}

void cross_node_outbox::add(std::uint32_t node, addressed_handoff handoff) {
  std::lock_guard<std::mutex> guard(mutex_);
  pending_[node].handoffs.push_back(std::move(handoff));
}

void cross_node_outbox::add(std::uint32_t node, addressed_space_update update) {
  std::lock_guard<std::mutex> guard(mutex_);
  pending_[node].updates.push_back(std::move(update));
}

std::vector<cross_node_batch> cross_node_outbox::take(std::uint32_t from_node, window_index window) {
  std::vector<cross_node_batch> out(pending_.size());
  {
    std::lock_guard<std::mutex> guard(mutex_);
    out.swap(pending_);
    pending_.resize(out.size());
  }
  for (auto& batch : out) {
    batch.from_node = from_node;
    batch.window = window;
    std::sort(batch.handoffs.begin(), batch.handoffs.end(), [](const addressed_handoff& a, const addressed_handoff& b) {
      return std::tie(a.to, a.handoff.from, a.handoff.window) < std::tie(b.to, b.handoff.from, b.handoff.window);
    });
    std::sort(batch.updates.begin(), batch.updates.end(), [](const addressed_space_update& a, const addressed_space_update& b) {
      return std::tie(a.to, a.update.from, a.update.window) < std::tie(b.to, b.update.from, b.update.window);
    });
  }
  return out;
}

std::vector<caf::actor> spawn_stand_ins(caf::actor_system& system, const std::vector<std::uint32_t>& node_of,
                                        std::uint32_t local_node, const std::shared_ptr<cross_node_outbox>& outbox) {
  std::vector<caf::actor> stand_ins(node_of.size());
  for (segment_id s = 0; s < node_of.size(); ++s) {
    const std::uint32_t node = node_of[s];
    if (node == local_node) continue;
    stand_ins[s] = system.spawn<caf::actor_companion, caf::hidden>();
    auto* companion = caf::actor_cast<caf::actor_companion*>(stand_ins[s]);
    // Runs in the sender's thread, inside its send: the message is queued before the send returns.
    companion->on_enqueue([outbox, s, node](caf::mailbox_element_ptr element) {
      auto& content = element->content();
      if (content.match_elements<vehicle_handoff>())
        outbox->add(node, addressed_handoff{s, content.move_if_unshared<vehicle_handoff>(0)});
      else if (content.match_elements<space_update>())
        outbox->add(node, addressed_space_update{s, content.get_as<space_update>(0)});
      else
        outbox->add_unexpected();
    });
  }
  return stand_ins;
}

void disconnect_stand_ins(const std::vector<caf::actor>& stand_ins) {
  for (const auto& a : stand_ins)
    if (a) caf::actor_cast<caf::actor_companion*>(a)->on_enqueue([](caf::mailbox_element_ptr) {});  // hidden: no shutdown wait
}

}  // namespace citytwin
