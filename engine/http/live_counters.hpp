#pragma once
// The dashboard's live counters: GetStats' figures plus rates measured over the last few wall seconds
// (readings logged per second, simulated seconds per wall second).

#include <chrono>
#include <deque>
#include <mutex>

#include <nlohmann/json.hpp>

#include "engine/frontdoor/frontdoor_context.hpp"

namespace citytwin {

class live_counters {
 public:
  explicit live_counters(frontdoor_context& context, std::chrono::milliseconds window = std::chrono::seconds(5))
      : context_(context), window_(window) {}

  // The GetStats message's fields plus readings_per_second and simulated_speed; takes a sample.
  nlohmann::json sample();

 private:
  struct point {
    std::chrono::steady_clock::time_point at;
    std::uint64_t readings = 0;
    std::int64_t twin_time_ms = 0;
  };
  frontdoor_context& context_;
  std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::deque<point> points_;
};

}  // namespace citytwin
