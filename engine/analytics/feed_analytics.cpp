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

bool feed_analytics::suppressed(const twin_history& history, anomaly_kind kind, std::int64_t time_ms) const {
  const auto k = static_cast<std::size_t>(kind);
  return history.raised[k] && time_ms >= history.last_raised_ms[k] &&
         time_ms - history.last_raised_ms[k] < options_.anomalies.repeat_after_ms;
}

void feed_analytics::find_anomalies(std::string_view source, const feed_reading& r, twin_history& history,
                                    std::vector<anomaly>& found) const {
  const anomaly_options& o = options_.anomalies;
  // A kind raised lately for this twin is not even tested (the reason text costs more than the test).
  const auto open = [&](anomaly_kind kind) { return !suppressed(history, kind, r.time_ms); };
  std::array<std::optional<anomaly>, 3> hits;
  switch (r.quantity) {
    case feed_quantity::detector:
      if (r.vehicle_count > 0) {  // the speed means nothing without vehicles
        if (r.model_speed_kmh && open(anomaly_kind::speed_below_model))
          hits[0] = check_speed_against_model(r.value, *r.model_speed_kmh, o);
        if (auto b = history.primary.outlier_and_add(r.time_ms, r.value, o); b && open(anomaly_kind::speed_off_baseline))
          hits[1] = check_against_baseline(anomaly_kind::speed_off_baseline, "speed", "km/h", r.value, *b, o);
      }
      if (r.flow_veh_h >= 0)
        if (auto b = history.flow.outlier_and_add(r.time_ms, r.flow_veh_h, o); b && open(anomaly_kind::flow_off_baseline))
          hits[2] = check_against_baseline(anomaly_kind::flow_off_baseline, "flow", "veh/h", r.flow_veh_h, *b, o);
      break;
    case feed_quantity::meter:
      if (auto b = history.primary.outlier_and_add(r.time_ms, r.value, o); b && open(anomaly_kind::load_off_baseline))
        hits[0] = check_against_baseline(anomaly_kind::load_off_baseline, "load", "kW", r.value, *b, o);
      break;
    case feed_quantity::voltage:
      if (open(anomaly_kind::voltage_out_of_band)) hits[0] = check_voltage_band(r.value, o);
      break;
    default: break;
  }
  for (auto& hit : hits) {
    if (!hit) continue;
    const auto k = static_cast<std::size_t>(hit->kind);
    history.raised[k] = true;
    history.last_raised_ms[k] = std::max(history.last_raised_ms[k], r.time_ms);
    hit->twin_id = std::string(r.twin_id);
    hit->time_ms = r.time_ms;
    hit->source = std::string(source);
    found.push_back(std::move(*hit));
  }
}

double feed_analytics::track_sensor(source_sensors& sensors, const feed_reading& r) {
  auto it = sensors.find(r.twin_id);
  if (it == sensors.end()) {
    if (sensor_count_ >= options_.health.max_sensors) {
      ++untracked_readings_;
      return 1;
    }
    it = sensors.emplace(std::string(r.twin_id), sensor_health{}).first;
    ++sensor_count_;
  }
  return it->second.observe(r.time_ms, repeat_value(r), model_bias(r, options_.anomalies), options_.health);
}

std::vector<double> feed_analytics::assess(std::string_view source, std::span<const feed_reading> readings) {
  std::vector<double> trust(readings.size(), 1.0);
  std::vector<anomaly> found;
  {
    std::lock_guard lock(mutex_);
    auto source_it = sources_.find(source);
    if (source_it == sources_.end()) source_it = sources_.emplace(std::string(source), source_sensors{}).first;
    for (std::size_t i = 0; i < readings.size(); ++i) {
      const feed_reading& r = readings[i];
      auto twin_it = twins_.find(r.twin_id);
      if (twin_it == twins_.end()) twin_it = twins_.emplace(std::string(r.twin_id), twin_history{}).first;
      find_anomalies(source, r, twin_it->second, found);
      trust[i] = track_sensor(source_it->second, r);
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
    for (const auto& [source_name, sensors] : sources_)
      if (source.empty() || source_name == source)
        for (const auto& [twin, health] : sensors)
          if (twin_id.empty() || twin == twin_id) out.push_back({source_name, twin, health.report(now_ms, options_.health)});
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
    for (const auto& [source, sensors] : sources_)
      for (const auto& [twin, health] : sensors)
        ++s.sensors_by_state[static_cast<std::size_t>(health.report(now_ms, options_.health).flags.state())];
    s.sensors = sensor_count_;
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
