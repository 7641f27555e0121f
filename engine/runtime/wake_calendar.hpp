#pragma once
// When each segment of a shard must next run: one booking per segment, the earliest wins.

#include <functional>
#include <queue>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

class wake_calendar {
 public:
  explicit wake_calendar(std::size_t segment_count) : booked_(segment_count, no_window) {}

  void book(segment_id s, window_index w) {
    if (booked_[s] <= w) return;
    booked_[s] = w;
    queue_.push({w, s});
  }

  [[nodiscard]] window_index earliest() {
    drop_superseded();
    return queue_.empty() ? no_window : queue_.top().first;
  }

  // Appends every segment booked for `w` or earlier to `out` and clears their bookings.
  void take_due(window_index w, std::vector<segment_id>& out) {
    while (earliest() <= w) {
      out.push_back(queue_.top().second);
      booked_[queue_.top().second] = no_window;
      queue_.pop();
    }
  }

  // The window `s` is booked for (no_window: none).
  [[nodiscard]] window_index booked(segment_id s) const { return booked_[s]; }

  // A segment about to run for another reason: its booking is spent.
  void cancel(segment_id s) { booked_[s] = no_window; }

 private:
  void drop_superseded() {
    while (!queue_.empty() && booked_[queue_.top().second] != queue_.top().first) queue_.pop();
  }

  using entry = std::pair<window_index, segment_id>;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> queue_;
  std::vector<window_index> booked_;
};

}  // namespace citytwin
