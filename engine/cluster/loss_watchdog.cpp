#include "engine/cluster/loss_watchdog.hpp"

#include <cstdio>
#include <cstdlib>

namespace citytwin {

loss_watchdog::loss_watchdog(std::chrono::milliseconds grace) : grace_(grace), thread_([this] { watch(); }) {}

loss_watchdog::~loss_watchdog() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void loss_watchdog::report(const std::string& failure) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (failure_) return;
    failure_ = failure;
  }
  changed_.notify_all();
}

void loss_watchdog::withdraw() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    failure_.reset();
  }
  changed_.notify_all();
}

std::optional<std::string> loss_watchdog::failure() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return failure_;
}

std::optional<std::string> loss_watchdog::await_failure(std::chrono::milliseconds patience) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, patience, [this] { return failure_.has_value(); });
  return failure_;
}

void loss_watchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || failure_.has_value(); });
    if (stopping_) return;
    if (!changed_.wait_for(lock, grace_, [this] { return stopping_ || !failure_.has_value(); })) break;
    if (stopping_) return;  // else withdrawn: watch again
  }
  std::fprintf(stderr, "\nerror: %s\n(the run did not unwind within %lld ms of the loss; ending the process)\n", failure_->c_str(),
               static_cast<long long>(grace_.count()));
  std::fflush(stderr);
  std::_Exit(cluster_node_lost::exit_code);
}

}  // namespace citytwin
