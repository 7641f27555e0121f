#include "engine/cluster/view_mirror.hpp"

#include <algorithm>
#include <exception>

namespace citytwin {

namespace {

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
}

}  // namespace

std::shared_ptr<const twin_view> view_mirror::view() const {
  std::unique_lock lock(mutex_);
  // A request under way is answered as soon as node 0 publishes: what is held is current.
  answered_.wait_for(lock, timeout_, [&] { return held_ || !asking_; });
  if (held_ && asking_) return held_;
  if (asking_) throw cluster_unreachable("node 0 sent no state of the twin within " + std::to_string(timeout_.count()) + " ms");
  return ask(lock, std::chrono::milliseconds(0));
}

std::shared_ptr<const twin_view> view_mirror::wait_for_view_after(std::uint64_t version, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  const auto newer = [&] { return held_ && held_->version > version; };
  answered_.wait_until(lock, deadline, [&] { return newer() || !asking_; });
  if (newer()) return held_;
  if (!held_) throw cluster_unreachable("node 0 has sent no state of the twin yet");
  if (asking_) return held_;  // nothing newer within the timeout
  return ask(lock, left_until(deadline));
}

std::shared_ptr<const twin_view> view_mirror::ask(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds wait) const {
  asking_ = true;
  // Holding a view, one newer than it (its watchers had every view up to it); else the current one.
  const auto known = held_ ? std::optional<std::uint64_t>(held_->version) : std::nullopt;
  lock.unlock();
  std::exception_ptr failed;
  twin_view answer;
  try {
    answer = cluster_.view_after(known, wait, timeout_);
  } catch (...) {
    failed = std::current_exception();
  }
  lock.lock();
  asking_ = false;
  if (!failed && (!held_ || answer.version > held_->version)) held_ = std::make_shared<const twin_view>(std::move(answer));
  answered_.notify_all();
  if (failed) std::rethrow_exception(failed);
  return held_;
}

}  // namespace citytwin
