#include "engine/cluster/cluster_access.hpp"

#include <algorithm>
#include <future>
#include <memory>

#include "engine/cluster/cluster_messages.hpp"

namespace citytwin {

namespace {

// What the relay is asked to do: one request to one gateway, answered through `reply`.
struct segment_call {
  caf::actor to;
  segment_id segment = no_segment;
  std::chrono::milliseconds timeout{0};
  std::string who;  // names the node in an error
  std::shared_ptr<std::promise<reported_segments>> reply;
};

struct node_segments_call {
  caf::actor to;
  std::chrono::milliseconds timeout{0};
  std::string who;
  std::shared_ptr<std::promise<reported_segments>> reply;
};

struct ingest_call {
  caf::actor to;
  std::string batch;
  forwarded_caller caller;
  std::chrono::milliseconds timeout{0};
  std::string who;
  std::shared_ptr<std::promise<std::string>> reply;
};

struct read_call {
  caf::actor to;
  std::string method;
  std::string request;
  forwarded_caller caller;
  std::chrono::milliseconds timeout{0};
  std::string who;
  std::shared_ptr<std::promise<forwarded_answer>> reply;
};

struct view_call {
  caf::actor to;
  bool holds_one = false;  // the asking node holds view `version`
  std::uint64_t version = 0;
  std::chrono::milliseconds wait{0};
  std::chrono::milliseconds timeout{0};
  std::string who;
  std::shared_ptr<std::promise<twin_view>> reply;
};

}  // namespace

}  // namespace citytwin

// Local messages only: the relay runs in the same process as its callers.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::segment_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::node_segments_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::ingest_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::read_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(citytwin::view_call)

namespace citytwin {

namespace {

template <class T>
void fail(const std::shared_ptr<std::promise<T>>& reply, const std::string& why) {
  reply->set_exception(std::make_exception_ptr(cluster_unreachable(why)));
}

caf::behavior front_door_relay(caf::event_based_actor* self) {
  return {
      [self](segment_call& call) {
        self->request(call.to, call.timeout, get_state_atom_v, call.segment)
            .then(
                [reply = call.reply](segment_snapshot& snapshot, sim_time time) {
                  reported_segments out;
                  out.time = time;
                  out.segments.push_back(std::move(snapshot));
                  reply->set_value(std::move(out));
                },
                [self, reply = call.reply, who = call.who](caf::error& e) { fail(reply, who + ": " + self->system().render(e)); });
      },
      [self](node_segments_call& call) {
        self->request(call.to, call.timeout, get_state_atom_v)
            .then(
                [reply = call.reply](std::vector<segment_snapshot>& snapshots, sim_time time) {
                  reply->set_value(reported_segments{time, std::move(snapshots)});
                },
                [self, reply = call.reply, who = call.who](caf::error& e) { fail(reply, who + ": " + self->system().render(e)); });
      },
      [self](ingest_call& call) {
        self->request(call.to, call.timeout, ingest_atom_v, std::move(call.batch), std::move(call.caller))
            .then([reply = call.reply](std::string& ack) { reply->set_value(std::move(ack)); },
                  [self, reply = call.reply, who = call.who](caf::error& e) { fail(reply, who + ": " + self->system().render(e)); });
      },
      [self](read_call& call) {
        self->request(call.to, call.timeout, read_atom_v, std::move(call.method), std::move(call.request), std::move(call.caller))
            .then([reply = call.reply](forwarded_answer& answer) { reply->set_value(std::move(answer)); },
                  [self, reply = call.reply, who = call.who](caf::error& e) { fail(reply, who + ": " + self->system().render(e)); });
      },
      [self](view_call& call) {
        self->request(call.to, call.wait + call.timeout, view_atom_v, call.holds_one, call.version,
                      static_cast<std::int64_t>(call.wait.count()))
            .then(
                [reply = call.reply](std::uint64_t version, sim_time time, std::int64_t epoch_ms, std::vector<segment_snapshot>& segments) {
                  reply->set_value(twin_view{version, time, epoch_ms, std::move(segments)});
                },
                [self, reply = call.reply, who = call.who](caf::error& e) { fail(reply, who + ": " + self->system().render(e)); });
      },
  };
}

// The relay's answer; a relay gone with the node (a broken promise) or silent past the timeout is unreachable too.
template <class T>
T await(std::future<T> answer, std::chrono::milliseconds timeout, const std::string& who) {
  if (answer.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready)
    throw cluster_unreachable(who + ": no answer within " + std::to_string(timeout.count()) + " ms");
  try {
    return answer.get();
  } catch (const std::future_error&) {
    throw cluster_unreachable(who + ": this node left the cluster");
  }
}

}  // namespace

void cluster_access::check_attached(const std::string& what) const {
  if (system_ == nullptr) throw cluster_unreachable("this node is not part of a running cluster now, so " + what + " cannot be reached");
}

reported_segments cluster_access::segment(segment_id segment, std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("the owner of segment " + std::to_string(segment));
  if (segment >= node_of_.size()) throw std::out_of_range("segment " + std::to_string(segment) + " is not in the city");
  const auto owner = node_of_[segment];
  const std::string who = node_names_[owner] + ", which owns segment " + std::to_string(segment) + ", did not answer";
  auto reply = std::make_shared<std::promise<reported_segments>>();
  auto answer = reply->get_future();
  caf::anon_send(relay_, segment_call{gateways_[owner], segment, timeout, who, std::move(reply)});
  return await(std::move(answer), timeout, who);
}

reported_segments cluster_access::all_segments(std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("every node");
  std::vector<std::future<reported_segments>> answers;
  std::vector<std::string> names;
  for (std::uint32_t node = 0; node < gateways_.size(); ++node) {  // asked all at once, gathered in node order
    auto reply = std::make_shared<std::promise<reported_segments>>();
    answers.push_back(reply->get_future());
    names.push_back(node_names_[node] + " did not report its segments");
    caf::anon_send(relay_, node_segments_call{gateways_[node], timeout, names.back(), std::move(reply)});
  }
  reported_segments out;
  out.time = INT64_MAX;
  out.segments.resize(node_of_.size());
  for (std::size_t node = 0; node < answers.size(); ++node) {
    auto part = await(std::move(answers[node]), timeout, names[node]);
    out.time = std::min(out.time, part.time);
    for (auto& s : part.segments)
      if (s.segment < out.segments.size()) out.segments[s.segment] = std::move(s);
  }
  return out;
}

std::string cluster_access::forward_ingest(std::string batch, forwarded_caller who, std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("node 0, which stores readings,");
  const std::string name = node_names_[0] + " did not acknowledge the batch (nothing is acknowledged that it did not store)";
  auto reply = std::make_shared<std::promise<std::string>>();
  auto answer = reply->get_future();
  caf::anon_send(relay_, ingest_call{gateways_[0], std::move(batch), std::move(who), timeout, name, std::move(reply)});
  return await(std::move(answer), timeout, name);
}

forwarded_answer cluster_access::forward_read(std::string method, std::string request, forwarded_caller who,
                                              std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("node 0, which keeps the store,");
  const std::string name = node_names_[0] + " did not answer " + method;
  auto reply = std::make_shared<std::promise<forwarded_answer>>();
  auto answer = reply->get_future();
  caf::anon_send(relay_, read_call{gateways_[0], std::move(method), std::move(request), std::move(who), timeout, name, std::move(reply)});
  return await(std::move(answer), timeout, name);
}

twin_view cluster_access::view_after(std::optional<std::uint64_t> known, std::chrono::milliseconds wait,
                                     std::chrono::milliseconds timeout) const {
  if (!known) wait = std::chrono::milliseconds(0);
  std::shared_lock use(use_);
  check_attached("node 0, which publishes the twin's state,");
  const std::string name = node_names_[0] + " did not send the twin's state";
  auto reply = std::make_shared<std::promise<twin_view>>();
  auto answer = reply->get_future();
  caf::anon_send(relay_, view_call{gateways_[0], known.has_value(), known.value_or(0), wait, timeout, name, std::move(reply)});
  return await(std::move(answer), wait + timeout, name);
}

void cluster_access::attach(caf::actor_system& system, std::vector<caf::actor> gateways, std::vector<std::uint32_t> node_of,
                            std::vector<std::string> node_names, std::int64_t epoch_ms) {
  std::unique_lock use(use_);
  if (on_attach_) on_attach_(epoch_ms);
  if (!relay_) relay_ = system.spawn<caf::hidden>(front_door_relay);
  system_ = &system;
  gateways_ = std::move(gateways);
  node_of_ = std::move(node_of);
  node_names_ = std::move(node_names);
}

void cluster_access::detach() {
  std::unique_lock use(use_);
  if (relay_) caf::anon_send_exit(relay_, caf::exit_reason::user_shutdown);
  relay_ = nullptr;
  system_ = nullptr;
  gateways_.clear();
}

}  // namespace citytwin
