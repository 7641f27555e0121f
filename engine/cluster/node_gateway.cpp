#include "engine/cluster/node_gateway.hpp"

#include <string>

namespace citytwin {

namespace {

void report_window(node_gateway_type* self) {
  auto& st = self->state;
  self->send(st.coordinator, std::move(st.held_report));
  st.held_report = shard_report{};
}

void leave(node_gateway_type* self, const std::string& failure) {
  auto& st = self->state;
  if (st.leaving) return;
  st.leaving = true;
  if (st.config.on_leave) st.config.on_leave(failure);
  self->quit(failure.empty() ? caf::exit_reason::normal : caf::exit_reason::user_shutdown);
}

// The local shard finished its window: deliver the window's cross-node traffic, then report.
void flush_and_report(node_gateway_type* self, shard_report& report) {
  auto& st = self->state;
  if (st.config.outbox->unexpected() > 0) {
    // A message kind the runtime never sends across nodes: going on would give a wrong answer.
    self->send(st.coordinator, caf::make_error(caf::sec::runtime_error,
                                               "node " + std::to_string(st.config.node) +
                                                   ": a segment on another node was sent a message the cluster cannot carry"));
    return;
  }
  st.held_report = std::move(report);
  auto batches = st.config.outbox->take(st.config.node, st.held_report.window);
  st.unacknowledged = 0;
  for (std::uint32_t node = 0; node < batches.size(); ++node) {
    auto& batch = batches[node];
    if (batch.handoffs.empty() && batch.updates.empty()) continue;
    const auto messages = static_cast<std::int64_t>(batch.handoffs.size() + batch.updates.size());
    st.cross_node_messages += messages;
    st.config.metrics.count_cross_node_sent(messages);
    ++st.cross_node_batches;
    ++st.unacknowledged;
    self->request(st.peers[node], caf::infinite, std::move(batch))
        .then(
            [self](caf::ok_atom) {
              if (--self->state.unacknowledged == 0) report_window(self);
            },
            [self, node](caf::error& e) {
              self->send(self->state.coordinator,
                         caf::make_error(caf::sec::runtime_error, "node " + std::to_string(self->state.config.node) +
                                                                      " could not deliver to node " + std::to_string(node) +
                                                                      ": " + self->system().render(e)));
            });
  }
  if (st.unacknowledged == 0) report_window(self);
}

}  // namespace

caf::behavior node_gateway(node_gateway_type* self, node_gateway_config config) {
  self->state.config = std::move(config);
  self->set_down_handler([self](caf::down_msg& down) {
    auto& st = self->state;
    if (st.leaving) return;
    std::string failure = "node " + std::to_string(st.config.node) + " lost a peer (" + self->system().render(down.reason) + ")";
    for (std::uint32_t node = 0; node < st.peers.size(); ++node)
      if (st.peers[node].address() == down.source) failure = "node " + std::to_string(node) + " went away";
    if (st.config.node == 0) {
      // The coordinator waits in a blocking receive; an error there ends the run with this message.
      if (st.coordinator) self->send(st.coordinator, caf::make_error(caf::sec::runtime_error, failure));
      return;
    }
    leave(self, failure);
  });
  return {
      [self](peers_atom, std::vector<caf::actor>& peers) {
        auto& st = self->state;
        st.peers = std::move(peers);
        st.peers_ready = true;
        // Node 0 watches every node; the others watch node 0 and leave when it is gone.
        for (std::uint32_t node = 0; node < st.peers.size(); ++node)
          if (node != st.config.node && (st.config.node == 0 || node == 0)) self->monitor(st.peers[node]);
        for (auto& rp : st.waiting_hellos) rp.deliver(caf::ok_atom_v, st.config.node, st.config.fingerprint);
        st.waiting_hellos.clear();
      },
      [self](const node_hello&) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (st.peers_ready) rp.deliver(caf::ok_atom_v, st.config.node, st.config.fingerprint);
        else st.waiting_hellos.push_back(std::move(rp));
        return rp;
      },
      [self](window_order& order) {
        auto& st = self->state;
        st.coordinator = caf::actor_cast<caf::actor>(self->current_sender());
        self->send(st.config.shard, std::move(order));
      },
      [self](shard_report& report) { flush_and_report(self, report); },
      [self](cross_node_batch& batch) {
        auto& st = self->state;
        auto& segments = st.config.context->segment_actors;
        st.config.metrics.count_cross_node_received(static_cast<std::int64_t>(batch.handoffs.size() + batch.updates.size()));
        // Enqueued before the acknowledgement, so they are in the segments' mailboxes before the
        // sender's window is reported done and any next window opens.
        for (auto& h : batch.handoffs) self->send(segments[h.to], std::move(h.handoff));
        for (const auto& u : batch.updates) self->send(segments[u.to], u.update);
        return caf::ok_atom_v;
      },
      [self](estimates_atom) { return self->delegate(self->state.config.shard, estimates_atom_v); },
      [self](times_update& update) {
        auto times = std::make_shared<travel_times>();
        times->ms = std::move(update.ms);
        times->closure_version = update.closure_version;
        times->serial = update.serial;
        self->state.config.context->times = std::move(times);
        return caf::ok_atom_v;
      },
      [self](snapshots_atom, sim_time now) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        auto collected = std::make_shared<std::vector<segment_snapshot>>();
        const auto wanted = st.config.owned.size();
        if (wanted == 0) rp.deliver(std::vector<segment_snapshot>{});
        for (segment_id s : st.config.owned)
          self->request(st.config.context->segment_actors[s], caf::infinite, get_state_atom_v, now)
              .then(
                  [rp, collected, wanted](segment_snapshot& snapshot) mutable {
                    collected->push_back(std::move(snapshot));
                    if (collected->size() == wanted) rp.deliver(std::move(*collected));
                  },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](traffic_atom) { return caf::make_message(self->state.cross_node_messages, self->state.cross_node_batches); },
      [self](shutdown_atom) {
        auto rp = self->make_response_promise();
        rp.deliver(caf::ok_atom_v);
        leave(self, "");
        return rp;
      },
  };
}

}  // namespace citytwin
