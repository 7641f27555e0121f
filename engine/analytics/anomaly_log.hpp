#pragma once
// The anomalies raised so far, newest `capacity` of them, for queries and watchers. Watchers never
// slow ingest: they read the log after the fact and wait on it for newer entries.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/analytics/anomaly.hpp"

namespace citytwin {

struct anomaly_filter {
  std::int64_t start_time_ms = 0;   // inclusive; 0: no lower bound
  std::int64_t end_time_ms = 0;     // exclusive; 0: no upper bound
  std::string twin_id;              // empty: any twin
  std::optional<anomaly_kind> kind;  // none: any kind
  bool matches(const anomaly& a) const;
};

struct anomaly_page {
  std::vector<anomaly> anomalies;
  std::uint64_t last_sequence = 0;  // of the last anomaly looked at; resume after it
  bool lost = false;                // anomalies after the asked-for sequence were already dropped from the log
};

class anomaly_log {
 public:
  explicit anomaly_log(std::size_t capacity) : capacity_(capacity) {}

  // Gives the anomaly its sequence number, keeps it and wakes the watchers; returns the number.
  std::uint64_t add(anomaly a);

  // Matching anomalies with a sequence number above `after`, oldest first, at most `limit`.
  anomaly_page read(const anomaly_filter& filter, std::uint64_t after, std::size_t limit) const;
  // Like read, but first waits (up to `timeout`) until an anomaly after `after` exists.
  anomaly_page wait_and_read(const anomaly_filter& filter, std::uint64_t after, std::size_t limit,
                             std::chrono::milliseconds timeout) const;
  std::uint64_t last_sequence() const;
  // Wakes every waiter (e.g. at shutdown).
  void wake_all() const { changed_.notify_all(); }

 private:
  anomaly_page read_locked(const anomaly_filter& filter, std::uint64_t after, std::size_t limit) const;

  std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<anomaly> entries_;
  std::uint64_t last_sequence_ = 0;
};

}  // namespace citytwin
