#include "engine/analytics/anomaly_log.hpp"

namespace citytwin {

bool anomaly_filter::matches(const anomaly& a) const {
  if (start_time_ms != 0 && a.time_ms < start_time_ms) return false;
  if (end_time_ms != 0 && a.time_ms >= end_time_ms) return false;
  if (!twin_id.empty() && a.twin_id != twin_id) return false;
  return !kind || a.kind == *kind;
}

std::uint64_t anomaly_log::add(anomaly a) {
  std::uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex_);
    sequence = a.sequence = ++last_sequence_;
    entries_.push_back(std::move(a));
    if (entries_.size() > capacity_) entries_.pop_front();
  }
  changed_.notify_all();
  return sequence;
}

anomaly_page anomaly_log::read_locked(const anomaly_filter& filter, std::uint64_t after, std::size_t limit) const {
  anomaly_page page;
  page.last_sequence = after;
  if (entries_.empty()) return page;
  const std::uint64_t first = entries_.front().sequence;
  page.lost = after + 1 < first;
  // Sequence numbers are consecutive, so the first entry after `after` is found by position.
  std::size_t i = after + 1 <= first ? 0 : static_cast<std::size_t>(after + 1 - first);
  for (; i < entries_.size() && page.anomalies.size() < limit; ++i) {
    page.last_sequence = entries_[i].sequence;
    if (filter.matches(entries_[i])) page.anomalies.push_back(entries_[i]);
  }
  return page;
}

anomaly_page anomaly_log::read(const anomaly_filter& filter, std::uint64_t after, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  return read_locked(filter, after, limit);
}

anomaly_page anomaly_log::wait_and_read(const anomaly_filter& filter, std::uint64_t after, std::size_t limit,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return last_sequence_ > after; });
  return read_locked(filter, after, limit);
}

std::uint64_t anomaly_log::last_sequence() const {
  std::lock_guard lock(mutex_);
  return last_sequence_;
}

}  // namespace citytwin
