#pragma once
// Node 0's published views of a live cluster's twin, as another node's watchers see them. It asks
// node 0 only while someone reads: a watcher waiting for a newer view makes it ask node 0 for one
// newer than the view it holds (one request at a time, shared by every watcher), so a node that
// nobody watches asks nothing. Versions are node 0's, so a watcher falls behind here exactly as it
// would at node 0. When node 0 cannot be reached, view() and wait_for_view_after() throw
// cluster_unreachable; node 0's own failure comes the same way.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "engine/cluster/cluster_access.hpp"
#include "engine/live/twin_view.hpp"

namespace citytwin {

class view_mirror final : public published_views {
 public:
  // `timeout`: how long node 0 may take to answer, beyond a wait for a newer view.
  view_mirror(const cluster_access& cluster, std::chrono::milliseconds timeout) : cluster_(cluster), timeout_(timeout) {}

  // Node 0's current view (the one a request under way brings, if there is one).
  std::shared_ptr<const twin_view> view() const override;
  std::shared_ptr<const twin_view> wait_for_view_after(std::uint64_t version, std::chrono::milliseconds timeout) const override;
  std::optional<std::string> failure() const override { return std::nullopt; }  // thrown instead

 private:
  // Asks node 0 (with `lock` held on entry and exit, released while asking) and keeps what it sends.
  std::shared_ptr<const twin_view> ask(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds wait) const;

  const cluster_access& cluster_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  mutable std::condition_variable answered_;
  mutable bool asking_ = false;
  mutable std::shared_ptr<const twin_view> held_;  // null until node 0 first answered
};

}  // namespace citytwin
