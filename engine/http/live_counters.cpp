#include "engine/http/live_counters.hpp"

#include "engine/frontdoor/twin_queries.hpp"
#include "engine/http/http_exchange.hpp"

namespace citytwin {

nlohmann::json live_counters::sample() {
  v1::TwinStats stats;
  read_stats(context_, &stats);
  nlohmann::json body = nlohmann::json::parse(message_json(stats));
  const point now{std::chrono::steady_clock::now(), stats.readings_logged(), stats.twin_time_ms()};
  std::lock_guard lock(mutex_);
  points_.push_back(now);
  // Keep one point older than the window so the rate always spans a whole window once there is one.
  while (points_.size() > 2 && now.at - points_[1].at >= window_) points_.pop_front();
  const point& first = points_.front();
  const double seconds = std::chrono::duration<double>(now.at - first.at).count();
  if (seconds > 0) {
    body["readings_per_second"] = static_cast<double>(now.readings - first.readings) / seconds;
    body["simulated_speed"] = static_cast<double>(now.twin_time_ms - first.twin_time_ms) / 1000.0 / seconds;
  } else {
    body["readings_per_second"] = 0.0;
    body["simulated_speed"] = stats.time_scale();
  }
  body["rate_window_s"] = seconds;
  return body;
}

}  // namespace citytwin
