#include "engine/cluster/node_gateway.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "engine/cluster/checkpoint_codec.hpp"

namespace citytwin {

namespace {

using steady_clock = std::chrono::steady_clock;

void report_window(node_gateway_type* self) {
  auto& st = self->state;
  st.reported_time = st.window_end;
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

// A peer is gone: node 0 voids the run (its coordinator stops at the next message it waits for);
// another node only watches node 0, and leaves when it is lost.
void lose(node_gateway_type* self, std::uint32_t node, const std::string& why) {
  auto& st = self->state;
  if (st.leaving || st.finished) return;
  const std::string failure = st.config.node_names[node] + " was lost: " + why;
  if (st.config.node != 0) {
    leave(self, failure + "; " + st.config.node_names[st.config.node] +
                    " left the run, which node 0 coordinates: start every node again to retry");
    return;
  }
  if (st.lost_peer) return;
  st.lost_peer = true;
  const std::string message =
      failure + "; node 0 stopped the windows and wrote no report: the run can be retried once every node is up (start all nodes again)";
  if (st.config.on_peer_lost) st.config.on_peer_lost(node, message);
  if (st.coordinator) self->send(st.coordinator, caf::make_error(caf::sec::runtime_error, message));
}

// Node 0 greeted this node and its peers are known: its front door may reach the cluster now.
void greeted(node_gateway_type* self) {
  auto& st = self->state;
  if (st.config.on_greeted) st.config.on_greeted(st.peers, st.live_epoch_ms);
}

// Node 0's front-door work for other nodes' front doors, each kind on a thread of its own: a durable
// write, a store read or a wait for the next view blocks, and must never block the gateway, the
// simulation's workers or one another.
// What `run` returns, or the error its exception says, for the node that asked.
template <class Result, class Run>
Result answer_or_error(Run&& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
  }
}

caf::behavior ingest_relay(caf::event_based_actor*, std::function<std::string(const std::string&, const forwarded_caller&)> ingest) {
  return {
      [ingest](ingest_atom, const std::string& batch, const forwarded_caller& who) {
        return answer_or_error<caf::result<std::string>>([&] { return ingest(batch, who); });
      },
  };
}

caf::behavior read_relay(caf::event_based_actor*,
                         std::function<forwarded_answer(const std::string&, const std::string&, const forwarded_caller&)> read) {
  return {
      [read](read_atom, const std::string& method, const std::string& request, const forwarded_caller& who) {
        return answer_or_error<caf::result<forwarded_answer>>([&] { return read(method, request, who); });
      },
  };
}

caf::behavior view_relay(caf::event_based_actor*,
                         std::function<std::shared_ptr<const twin_view>(std::uint64_t, std::chrono::milliseconds)> view_after) {
  using answer = caf::result<std::uint64_t, sim_time, std::int64_t, std::vector<segment_snapshot>>;
  return {
      [view_after](view_atom, bool holds_one, std::uint64_t version, std::int64_t wait_ms) {
        return answer_or_error<answer>([&] {
          const auto view = view_after(version, std::chrono::milliseconds(holds_one ? wait_ms : 0));
          // Nothing newer: the asking node keeps the view it holds, so its segments need not travel.
          if (holds_one && view->version <= version)
            return answer(view->version, view->time, view->epoch_ms, std::vector<segment_snapshot>{});
          return answer(view->version, view->time, view->epoch_ms, view->segments);
        });
      },
  };
}

// Hands a front-door request to node 0's relay for it, or answers why this node has none.
template <class... Ts>
caf::result<caf::message> relay_to(node_gateway_type* self, const caf::actor& relay, Ts&&... xs) {
  auto& st = self->state;
  if (!relay)
    return caf::make_error(caf::sec::runtime_error,
                           st.config.node_names[st.config.node] + " answers no front-door calls of other nodes (only node 0 of a live cluster does)");
  return self->delegate(relay, std::forward<Ts>(xs)...);
}

std::string seconds_text(std::chrono::milliseconds ms) { return fmt::format("{:g} s", static_cast<double>(ms.count()) / 1000); }

// Node 0 pings every node; every node checks that the peers it watches were heard within the timeout.
void heartbeat(node_gateway_type* self) {
  auto& st = self->state;
  if (st.leaving || st.finished) return;
  const auto now = steady_clock::now();
  for (std::uint32_t node = 0; node < st.peers.size(); ++node) {
    if (node == st.config.node || (st.config.node != 0 && node != 0)) continue;
    if (st.config.node == 0) self->send(st.peers[node], heartbeat_atom_v, std::uint32_t{0});
    if (now - st.last_heard[node] > st.config.heartbeat_timeout)
      lose(self, node, "no heartbeat for " + seconds_text(st.config.heartbeat_timeout) +
                           " (heartbeat_timeout_s) although its connection is up: it hangs or is cut off");
  }
  self->delayed_send(self, st.config.heartbeat_interval, heartbeat_atom_v);
}

// The local shard finished its window: deliver the window's cross-node traffic, then report.
void flush_and_report(node_gateway_type* self, shard_report& report) {
  auto& st = self->state;
  if (caf::actor_cast<caf::actor_addr>(self->current_sender()) != st.config.shard.address()) return;  // replaced by a resume
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
    batch.attempt = st.attempt;
    self->request(st.peers[node], caf::infinite, std::move(batch))
        .then(
            [self, attempt = st.attempt](caf::ok_atom) {
              if (attempt == self->state.attempt && --self->state.unacknowledged == 0) report_window(self);
            },
            [self, node, attempt = st.attempt](caf::error& e) {
              if (attempt != self->state.attempt) return;
              if (self->state.config.node == 0) return lose(self, node, "it did not take node 0's traffic (" + self->system().render(e) + ")");
              self->send(self->state.coordinator,
                         caf::make_error(caf::sec::runtime_error, "node " + std::to_string(self->state.config.node) +
                                                                      " could not deliver to node " + std::to_string(node) +
                                                                      ": " + self->system().render(e)));
            });
  }
  if (st.unacknowledged == 0) report_window(self);
}

// Captures the local shard and segments (idle between windows); `use` gets them (segments by id)
// and answers `rp`, which gets the first error instead if an actor fails to answer.
template <class Use>
void collect_local_cut(node_gateway_type* self, caf::response_promise rp, Use use) {
  auto& st = self->state;
  struct captured {
    node_cut cut;
    std::size_t waiting = 0;
    bool failed = false;
  };
  auto taken = std::make_shared<captured>();
  taken->waiting = st.config.owned.size() + 1;
  auto fail = [rp, taken](caf::error& e) mutable {
    if (!taken->failed) rp.deliver(std::move(e));
    taken->failed = true;
  };
  auto one_done = [rp, taken, use]() mutable {
    if (--taken->waiting > 0 || taken->failed) return;
    auto& segments = taken->cut.segments;
    std::sort(segments.begin(), segments.end(),
              [](const segment_state& a, const segment_state& b) { return a.model.spec().id < b.model.spec().id; });
    try {
      use(std::move(taken->cut), rp);
    } catch (const std::exception& e) {
      rp.deliver(caf::make_error(caf::sec::runtime_error, std::string(e.what())));
    }
  };
  self->request(st.config.shard, caf::infinite, capture_atom_v)
      .then(
          [taken, one_done](shard_state& s) mutable {
            taken->cut.shard = std::move(s);
            one_done();
          },
          fail);
  for (segment_id s : st.config.owned)
    self->request(st.config.context->segment_actors[s], caf::infinite, capture_atom_v)
        .then(
            [taken, one_done](segment_state& segment) mutable {
              taken->cut.segments.push_back(std::move(segment));
              one_done();
            },
            fail);
}

// Captures the local shard and segments and has their part of checkpoint `id` written.
caf::response_promise take_checkpoint(node_gateway_type* self, std::uint64_t id, sim_time time, std::uint64_t keep_from) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  if (!st.config.save_checkpoint) {
    rp.deliver(caf::make_error(caf::sec::runtime_error, st.config.node_names[st.config.node] + " keeps no checkpoints (no --data-dir)"));
    return rp;
  }
  collect_local_cut(self, rp, [self, id, time, keep_from](node_cut&& cut, caf::response_promise& answer) {
    self->state.config.save_checkpoint(id, time, keep_from, std::move(cut.shard), std::move(cut.segments));
    answer.deliver(caf::ok_atom_v);
  });
  return rp;
}

// Captures the local shard and segments for node 0's cut of the whole twin (a scenario fork),
// encoded as a checkpoint part is (checkpoint_codec.hpp): the nodes of a cluster share one build.
caf::response_promise send_cut(node_gateway_type* self) {
  auto rp = self->make_response_promise();
  collect_local_cut(self, rp, [](node_cut&& cut, caf::response_promise& answer) { answer.deliver(encode_checkpoint_part(cut)); });
  return rp;
}

}  // namespace

caf::behavior node_gateway(node_gateway_type* self, node_gateway_config config) {
  self->state.config = std::move(config);
  if (self->state.config.ingest)
    self->state.ingest_relay = self->spawn<caf::detached + caf::linked>(ingest_relay, self->state.config.ingest);
  if (self->state.config.read)
    self->state.read_relay = self->spawn<caf::detached + caf::linked>(read_relay, self->state.config.read);
  if (self->state.config.view_after)
    self->state.view_relay = self->spawn<caf::detached + caf::linked>(view_relay, self->state.config.view_after);
  self->set_down_handler([self](caf::down_msg& down) {
    auto& st = self->state;
    for (std::uint32_t node = 0; node < st.peers.size(); ++node)
      if (st.peers[node].address() == down.source)
        lose(self, node, "its connection dropped (" + self->system().render(down.reason) + ")");
  });
  return {
      [self](join_atom, std::uint32_t node, caf::actor& gateway) {
        auto& st = self->state;
        st.joined.resize(st.config.node_names.size());
        if (node < st.joined.size()) st.joined[node] = std::move(gateway);
        return caf::ok_atom_v;
      },
      [self](join_atom) {
        auto& st = self->state;
        st.joined.resize(st.config.node_names.size());
        return caf::make_message(st.joined, st.peers_ready ? st.peers : std::vector<caf::actor>{});
      },
      [self](peers_atom, std::vector<caf::actor>& peers) {
        auto& st = self->state;
        // Node 0 watches every node; the others watch node 0 and leave when it is gone. Sent
        // again after a lost node rejoined: only the new handle needs watching.
        for (std::uint32_t node = 0; node < peers.size(); ++node)
          if (node != st.config.node && (st.config.node == 0 || node == 0) &&
              (node >= st.peers.size() || st.peers[node] != peers[node]))
            self->monitor(peers[node]);
        st.peers = std::move(peers);
        st.peers_ready = true;
        st.lost_peer = false;
        st.last_heard.assign(st.peers.size(), steady_clock::now());
        if (!st.heartbeating) {
          st.heartbeating = true;
          heartbeat(self);
        }
        for (auto& rp : st.waiting_hellos) rp.deliver(caf::ok_atom_v, st.config.node, st.config.fingerprint);
        if (!st.waiting_hellos.empty()) greeted(self);
        st.waiting_hellos.clear();
      },
      [self](const node_hello& hello) {
        auto& st = self->state;
        st.live_epoch_ms = hello.live_epoch_ms;
        auto rp = self->make_response_promise();
        if (st.peers_ready) {
          rp.deliver(caf::ok_atom_v, st.config.node, st.config.fingerprint);
          greeted(self);
        } else {
          st.waiting_hellos.push_back(std::move(rp));
        }
        return rp;
      },
      [self](window_order& order) {
        auto& st = self->state;
        st.window_end = order.end;
        st.coordinator = caf::actor_cast<caf::actor>(self->current_sender());
        self->send(st.config.shard, std::move(order));
      },
      [self](shard_report& report) { flush_and_report(self, report); },
      [self](cross_node_batch& batch) {
        auto& st = self->state;
        if (batch.attempt != st.attempt) return caf::ok_atom_v;  // traffic of a run since rolled back
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
      [self](snapshots_atom, sim_time now) { return self->delegate(self->state.config.shard, snapshots_atom_v, now); },
      [self](get_state_atom, segment_id segment) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (!std::binary_search(st.config.owned.begin(), st.config.owned.end(), segment)) {
          rp.deliver(caf::make_error(caf::sec::runtime_error,
                                     st.config.node_names[st.config.node] + " does not own segment " + std::to_string(segment)));
          return rp;
        }
        self->request(st.config.context->segment_actors[segment], caf::infinite, get_state_atom_v, st.reported_time)
            .then([rp, time = st.reported_time](segment_snapshot& snapshot) mutable { rp.deliver(std::move(snapshot), time); },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](get_state_atom) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        self->request(st.config.shard, caf::infinite, snapshots_atom_v, st.reported_time)
            .then([rp, time = st.reported_time](std::vector<segment_snapshot>& snapshots) mutable { rp.deliver(std::move(snapshots), time); },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](ingest_atom, std::string& batch, forwarded_caller& who) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        if (!st.ingest_relay) {
          rp.deliver(caf::make_error(caf::sec::runtime_error,
                                     st.config.node_names[st.config.node] + " takes no readings (only node 0 of a live cluster does)"));
          return rp;
        }
        self->request(st.ingest_relay, caf::infinite, ingest_atom_v, std::move(batch), std::move(who))
            .then([rp](std::string& ack) mutable { rp.deliver(std::move(ack)); },
                  [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      [self](read_atom, std::string& method, std::string& request, forwarded_caller& who) {
        return relay_to(self, self->state.read_relay, read_atom_v, std::move(method), std::move(request), std::move(who));
      },
      [self](view_atom, bool holds_one, std::uint64_t version, std::int64_t wait_ms) {
        return relay_to(self, self->state.view_relay, view_atom_v, holds_one, version, wait_ms);
      },
      [self](checkpoint_atom, std::uint64_t id, sim_time time, std::uint64_t keep_from) {
        return take_checkpoint(self, id, time, keep_from);
      },
      [self](cut_atom) { return send_cut(self); },
      [self](resume_atom, std::uint64_t id, std::uint32_t attempt) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        if (!st.config.restore_checkpoint)
          return caf::make_error(caf::sec::runtime_error, st.config.node_names[st.config.node] + " keeps no checkpoints (no --data-dir)");
        st.attempt = attempt;
        st.unacknowledged = 0;
        st.held_report = shard_report{};
        // What the interrupted window left. Its actors finished long before a lost node can have
        // restarted and rejoined (they run for milliseconds); the restore below replaces them.
        (void)st.config.outbox->take(st.config.node, 0);
        try {
          st.config.shard = st.config.restore_checkpoint(id);
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, std::string(e.what()));
        }
        return caf::ok_atom_v;
      },
      [self](traffic_atom) { return caf::make_message(self->state.cross_node_messages, self->state.cross_node_batches); },
      [self](heartbeat_atom) { heartbeat(self); },
      [self](heartbeat_atom, std::uint32_t from) {
        auto& st = self->state;
        if (from < st.last_heard.size()) st.last_heard[from] = steady_clock::now();
        if (st.config.node != 0) self->send(caf::actor_cast<caf::actor>(self->current_sender()), heartbeat_atom_v, st.config.node);
      },
      [self](finished_atom) {
        self->state.finished = true;
        return caf::ok_atom_v;
      },
      [self](shutdown_atom, const std::string& reason) {
        leave(self, "node 0 stopped the run: " + reason);
      },
      [self](shutdown_atom) {
        auto rp = self->make_response_promise();
        rp.deliver(caf::ok_atom_v);
        leave(self, "");
        return rp;
      },
  };
}

}  // namespace citytwin
