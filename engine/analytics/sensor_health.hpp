#pragma once
// One sensor's health, judged from its own readings: when they come (stale, out of order,
// duplicated timestamps), whether they change (stuck) and whether they stay biased against the
// model (drifting). A sensor is one twin as reported by one ingest source.

#include <cstdint>
#include <optional>

#include "engine/analytics/analytics_options.hpp"

namespace citytwin {

// Also the bounded `state` label of citytwin_sensors; a sensor's state is its first flag in this order.
enum class sensor_state : std::uint8_t { stale, stuck, drifting, out_of_order, duplicate_timestamps, healthy, count };
const char* label_of(sensor_state state);

struct sensor_flags {
  bool stale = false, stuck = false, drifting = false, out_of_order = false, duplicate_timestamps = false;
  sensor_state state() const;
};

struct sensor_report {
  sensor_flags flags;
  std::uint64_t readings = 0;
  std::uint64_t out_of_order_total = 0;
  std::uint64_t duplicate_total = 0;
  std::int64_t last_time_ms = 0;          // newest observe time seen
  std::int64_t expected_period_ms = 0;    // configured or learned; 0 while not yet known
  std::uint32_t repeats = 0;              // the newest value, this many times in a row
  double relative_bias = 0;               // smoothed (observed - model) / model; 0 without a model
  double trust = 1;                       // weight of its next reading in assimilation
};

class sensor_health {
 public:
  // One reading: its observe time, its value (compared for repeats; nullopt: a value that may
  // legitimately repeat, e.g. an empty road's zero count) and its relative bias against the model
  // when there is one. Returns the trust its reading gets.
  double observe(std::int64_t time_ms, std::optional<double> value, std::optional<double> relative_bias,
                 const sensor_health_options& options);

  sensor_report report(std::int64_t now_ms, const sensor_health_options& options) const;

 private:
  sensor_flags reading_flags(const sensor_health_options& options) const;  // everything but stale
  double trust_of(const sensor_flags& flags, const sensor_health_options& options) const;

  std::uint64_t readings_ = 0;
  std::int64_t last_time_ms_ = 0;
  double period_ms_ = 0;
  std::uint64_t gaps_ = 0;
  std::optional<double> last_value_;
  std::uint32_t repeats_ = 0;
  std::uint64_t since_out_of_order_ = UINT64_MAX, since_duplicate_ = UINT64_MAX;  // readings since the last
  std::uint64_t out_of_order_total_ = 0, duplicate_total_ = 0;
  double bias_ = 0;
  std::uint64_t biased_readings_ = 0;
};

}  // namespace citytwin
