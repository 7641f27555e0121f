#include "engine/analytics/feed_analytics.hpp"

#include <algorithm>
#include <tuple>

#include "engine/analytics/anomaly_rules.hpp"

namespace citytwin {

namespace {

// The value compared for repeats: a detector's speed and count together (an empty road's zero
// count may repeat legitimately, so it is not compared), a meter's kW, a voltage; none otherwise.
std::optional<double> repeat_value(const feed_reading& r) {
  switch (r.quantity) {
    case feed_quantity::detector:
      if (r.vehicle_count == 0) return std::nullopt;
      return r.value + 1000.0 * r.vehicle_count;  // speeds are below 1000 km/h, so the pair is one number
    case feed_quantity::meter:
    case feed_quantity::voltage: return r.value;
    default: return std::nullopt;
  }
}

std::optional<double> model_bias(const feed_reading& r, const anomaly_options& options) {
  if (r.quantity != feed_quantity::detector || r.vehicle_count == 0 || !r.model_speed_kmh ||
      *r.model_speed_kmh < options.min_model_speed_kmh)
    return std::nullopt;
  return (r.value - *r.model_speed_kmh) / *r.model_speed_kmh;
}

}  // namespace

feed_analytics::feed_analytics(analytics_options options, analytics_metrics metrics)
    : options_(options), metrics_(metrics), log_(options.anomalies.log_capacity) {}

bool feed_analytics::due(twin_history& history, const anomaly& a) const {
  const auto k = static_cast<std::size_t>(a.kind);
  if (history.raised[k] && a.time_ms >= history.last_raised_ms[k] &&
      a.time_ms - history.last_raised_ms[k] < options_.anomalies.repeat_after_ms)
    return false;
  history.raised[k] = true;
  history.last_raised_ms[k] = std::max(history.last_raised_ms[k], a.time_ms);
  return true;
}

void feed_analytics::find_anomalies(std::string_view source, const feed_reading& r, twin_history& history,
                                    std::vector<anomaly>& found) const {
  const anomaly_options& o = options_.anomalies;
  std::array<std::optional<anomaly>, 3> hits;
  switch (r.quantity) {
    case feed_quantity::detector:
      if (r.vehicle_count > 0) {  // the speed means nothing without vehicles
        if (r.model_speed_kmh) hits[0] = check_speed_against_model(r.value, *r.model_speed_kmh, o);
        if (auto b = history.primary.assess_and_add(r.time_ms, r.value, o))
          hits[1] = check_against_baseline(anomaly_kind::speed_off_baseline, "speed", "km/h", r.value, *b, o);
      }
      if (r.flow_veh_h >= 0)
        if (auto b = history.flow.assess_and_add(r.time_ms, r.flow_veh_h, o))
          hits[2] = check_against_baseline(anomaly_kind::flow_off_baseline, "flow", "veh/h", r.flow_veh_h, *b, o);
      break;
    case feed_quantity::meter:
      if (auto b = history.primary.assess_and_add(r.time_ms, r.value, o))
        hits[0] = check_against_baseline(anomaly_kind::load_off_baseline, "load", "kW", r.value, *b, o);
      break;
    case feed_quantity::voltage: hits[0] = check_voltage_band(r.value, o); break;
    default: break;
  }
  for (auto& hit : hits) {
    if (!hit) continue;
    hit->twin_id = r.twin_id;
    hit->time_ms = r.time_ms;
    hit->source = std::string(source);
    if (due(history, *hit)) found.push_back(std::move(*hit));
  }
}

double feed_analytics::track_sensor(std::string_view source, const feed_reading& r) {
  std::string key;
  key.reserve(source.size() + 1 + r.twin_id.size());
  key.append(source).push_back('\n');
  key.append(r.twin_id);
  auto it = sensors_.find(key);
  if (it == sensors_.end()) {
    if (sensors_.size() >= options_.health.max_sensors) {
      ++untracked_readings_;
      return 1;
    }
    it = sensors_.emplace(std::move(key), tracked_sensor{std::string(source), r.twin_id, {}}).first;
  }
  return it->second.health.observe(r.time_ms, repeat_value(r), model_bias(r, options_.anomalies), options_.health);
}

std::vector<double> feed_analytics::assess(std::string_view source, std::span<const feed_reading> readings) {
  std::vector<double> trust(readings.size(), 1.0);
  std::vector<anomaly> found;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < readings.size(); ++i) {
      const feed_reading& r = readings[i];
      find_anomalies(source, r, twins_[r.twin_id], found);
      trust[i] = track_sensor(source, r);
    }
  }
  for (auto& a : found) {
    metrics_.count_anomaly(a.kind);
    log_.add(std::move(a));
  }
  return trust;
}

std::vector<sensor_entry> feed_analytics::sensors(std::string_view source, std::string_view twin_id,
                                                  std::int64_t now_ms) const {
  std::vector<sensor_entry> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, s] : sensors_)
      if ((source.empty() || s.source == source) && (twin_id.empty() || s.twin_id == twin_id))
        out.push_back({s.source, s.twin_id, s.health.report(now_ms, options_.health)});
  }
  std::sort(out.begin(), out.end(), [](const sensor_entry& a, const sensor_entry& b) {
    return std::tie(a.source, a.twin_id) < std::tie(b.source, b.twin_id);
  });
  return out;
}

feed_summary feed_analytics::summary(std::int64_t now_ms) const {
  feed_summary s;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, sensor] : sensors_)
      ++s.sensors_by_state[static_cast<std::size_t>(sensor.health.report(now_ms, options_.health).flags.state())];
    s.sensors = sensors_.size();
    s.untracked_readings = untracked_readings_;
  }
  s.anomalies = log_.last_sequence();
  return s;
}

void feed_analytics::sample_metrics(std::int64_t now_ms) const {
  const feed_summary s = summary(now_ms);
  for (std::size_t i = 0; i < s.sensors_by_state.size(); ++i)
    metrics_.set_sensors(static_cast<sensor_state>(i), s.sensors_by_state[i]);
}

}  // namespace citytwin
