#include "engine/cluster/cluster_access.hpp"

#include <algorithm>

#include "engine/cluster/cluster_messages.hpp"

namespace citytwin {

void cluster_access::check_attached(const std::string& what) const {
  if (system_ == nullptr) throw cluster_unreachable("this node is not part of a running cluster now, so " + what + " cannot be reached");
}

reported_segments cluster_access::segment(segment_id segment, std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("the owner of segment " + std::to_string(segment));
  if (segment >= node_of_.size()) throw std::out_of_range("segment " + std::to_string(segment) + " is not in the city");
  const auto owner = node_of_[segment];
  caf::scoped_actor self{*system_};
  reported_segments out;
  self->request(gateways_[owner], timeout, get_state_atom_v, segment)
      .receive(
          [&](segment_snapshot& snapshot, sim_time time) {
            out.time = time;
            out.segments.push_back(std::move(snapshot));
          },
          [&](caf::error& e) {
            throw cluster_unreachable(node_names_[owner] + ", which owns segment " + std::to_string(segment) +
                                      ", did not answer: " + system_->render(e));
          });
  return out;
}

reported_segments cluster_access::all_segments(std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("every node");
  caf::scoped_actor self{*system_};
  reported_segments out;
  out.time = INT64_MAX;
  out.segments.resize(node_of_.size());
  for (std::uint32_t node = 0; node < gateways_.size(); ++node)
    self->request(gateways_[node], timeout, get_state_atom_v)
        .receive(
            [&](std::vector<segment_snapshot>& part, sim_time time) {
              out.time = std::min(out.time, time);
              for (auto& s : part)
                if (s.segment < out.segments.size()) out.segments[s.segment] = std::move(s);
            },
            [&](caf::error& e) { throw cluster_unreachable(node_names_[node] + " did not report its segments: " + system_->render(e)); });
  return out;
}

std::string cluster_access::forward_ingest(std::string batch, forwarded_caller who, std::chrono::milliseconds timeout) const {
  std::shared_lock use(use_);
  check_attached("node 0, which stores readings,");
  caf::scoped_actor self{*system_};
  std::string ack;
  self->request(gateways_[0], timeout, ingest_atom_v, std::move(batch), std::move(who))
      .receive([&](std::string& answer) { ack = std::move(answer); },
               [&](caf::error& e) {
                 throw cluster_unreachable(node_names_[0] + " did not acknowledge the batch (nothing is acknowledged that it did not store): " +
                                           system_->render(e));
               });
  return ack;
}

void cluster_access::attach(caf::actor_system& system, std::vector<caf::actor> gateways, std::vector<std::uint32_t> node_of,
                            std::vector<std::string> node_names, std::int64_t epoch_ms) {
  std::unique_lock use(use_);
  if (on_attach_) on_attach_(epoch_ms);
  system_ = &system;
  gateways_ = std::move(gateways);
  node_of_ = std::move(node_of);
  node_names_ = std::move(node_names);
}

void cluster_access::detach() {
  std::unique_lock use(use_);
  system_ = nullptr;
  gateways_.clear();
}

}  // namespace citytwin
