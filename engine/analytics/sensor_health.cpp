#include "engine/analytics/sensor_health.hpp"

#include <algorithm>
#include <cmath>

namespace citytwin {

const char* label_of(sensor_state state) {
  static constexpr const char* labels[] = {"stale", "stuck", "drifting", "out_of_order", "duplicate_timestamps",
                                           "healthy"};
  return labels[static_cast<std::size_t>(state)];
}

sensor_state sensor_flags::state() const {
  if (stale) return sensor_state::stale;
  if (stuck) return sensor_state::stuck;
  if (drifting) return sensor_state::drifting;
  if (out_of_order) return sensor_state::out_of_order;
  if (duplicate_timestamps) return sensor_state::duplicate_timestamps;
  return sensor_state::healthy;
}

double sensor_health::observe(std::int64_t time_ms, std::optional<double> value, std::optional<double> relative_bias,
                              const sensor_health_options& options) {
  if (since_out_of_order_ != UINT64_MAX) ++since_out_of_order_;
  if (since_duplicate_ != UINT64_MAX) ++since_duplicate_;
  if (readings_ > 0 && time_ms < last_time_ms_) {
    since_out_of_order_ = 0;
    ++out_of_order_total_;
  } else if (readings_ > 0 && time_ms == last_time_ms_) {
    since_duplicate_ = 0;
    ++duplicate_total_;
  } else {
    if (readings_ > 0) {
      const double gap = static_cast<double>(time_ms - last_time_ms_);
      period_ms_ = gaps_ == 0 ? gap : (1 - options.period_smoothing) * period_ms_ + options.period_smoothing * gap;
      ++gaps_;
    }
    last_time_ms_ = time_ms;
  }
  ++readings_;
  if (value && last_value_ && *value == *last_value_) ++repeats_;
  else repeats_ = value ? 1 : 0;
  last_value_ = value;
  if (relative_bias) {
    bias_ = biased_readings_ == 0 ? *relative_bias
                                  : (1 - options.drift_smoothing) * bias_ + options.drift_smoothing * *relative_bias;
    ++biased_readings_;
  }
  return trust_of(reading_flags(options), options);
}

sensor_flags sensor_health::reading_flags(const sensor_health_options& options) const {
  sensor_flags f;
  f.stuck = repeats_ >= options.stuck_repeats;
  f.drifting = biased_readings_ >= options.drift_min_readings && std::abs(bias_) > options.drift_threshold;
  f.out_of_order = since_out_of_order_ < options.disorder_memory;
  f.duplicate_timestamps = since_duplicate_ < options.disorder_memory;
  return f;
}

double sensor_health::trust_of(const sensor_flags& flags, const sensor_health_options& options) const {
  double trust = 1;
  if (flags.stuck) trust = std::min(trust, options.trust_stuck);
  if (flags.drifting) trust = std::min(trust, options.trust_drifting);
  if (flags.out_of_order || flags.duplicate_timestamps) trust = std::min(trust, options.trust_disordered);
  return trust;
}

sensor_report sensor_health::report(std::int64_t now_ms, const sensor_health_options& options) const {
  sensor_report r;
  r.flags = reading_flags(options);
  r.trust = trust_of(r.flags, options);
  r.expected_period_ms = options.expected_period_ms > 0 ? options.expected_period_ms
                         : gaps_ >= options.period_min_gaps ? static_cast<std::int64_t>(std::llround(period_ms_))
                                                            : 0;
  r.flags.stale = r.expected_period_ms > 0 &&
                  static_cast<double>(now_ms - last_time_ms_) > options.stale_after_periods * r.expected_period_ms;
  r.readings = readings_;
  r.out_of_order_total = out_of_order_total_;
  r.duplicate_total = duplicate_total_;
  r.last_time_ms = last_time_ms_;
  r.repeats = repeats_;
  r.relative_bias = bias_;
  return r;
}

}  // namespace citytwin
