#pragma once
// Remembers the first lost peer of a cluster node and makes sure the process ends soon after:
// the run normally unwinds with a cluster_node_lost error, but a thread blocked on the lost peer
// (a request to a node that will never answer) cannot, so after a grace period the watchdog
// prints the failure and ends the process itself with the retryable exit code. No report is
// ever written from a run that lost a node.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace citytwin {

// A node of the cluster was lost (killed, hung or cut off): the run is void, but running it again
// once every node is back can succeed.
class cluster_node_lost : public std::runtime_error {
 public:
  static constexpr int exit_code = 75;  // EX_TEMPFAIL: try again later
  using std::runtime_error::runtime_error;
};

class loss_watchdog {
 public:
  explicit loss_watchdog(std::chrono::milliseconds grace);
  ~loss_watchdog();
  loss_watchdog(const loss_watchdog&) = delete;
  loss_watchdog& operator=(const loss_watchdog&) = delete;

  // The first report wins; the process ends `grace` later unless the watchdog is destroyed first.
  void report(const std::string& failure);
  // The lost node came back and the run goes on (node 0 after a rejoin): forget the failure.
  void withdraw();
  [[nodiscard]] std::optional<std::string> failure() const;
  // The failure, waiting up to `patience` for one to be reported (a down message may still be on its way).
  [[nodiscard]] std::optional<std::string> await_failure(std::chrono::milliseconds patience) const;

 private:
  void watch();

  std::chrono::milliseconds grace_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::optional<std::string> failure_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citytwin
