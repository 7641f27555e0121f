#pragma once
// The parameters of anomaly detection and sensor health, with their defaults; README.md in this
// folder explains each rule they tune.

#include <cstddef>
#include <cstdint>

namespace citytwin {

struct anomaly_options {
  // Robust z-score over the twin's own history in the same hour of the day (UTC).
  std::size_t baseline_capacity = 32;  // newest values kept per twin, quantity and hour
  std::size_t baseline_min_samples = 8;  // fewer: no z-score yet
  double z_threshold = 5;              // |z| at or above this is an anomaly
  double spread_floor_fraction = 0.05;  // the spread is at least this fraction of |median| ...
  double spread_floor_absolute = 1;     // ... and at least this (in the quantity's unit)
  // Detector speed against the model's speed on the same segment (likely incident).
  double incident_speed_ratio = 0.4;  // observed / modelled below this is an anomaly
  double min_model_speed_kmh = 10;    // the model must expect at least this for the ratio test
  // SCADA voltage band, p.u.
  double voltage_low_pu = 0.9;
  double voltage_high_pu = 1.1;
  // The same twin and kind are raised again only after this much of the readings' own time.
  std::int64_t repeat_after_ms = 5 * 60'000;
  std::size_t log_capacity = 10'000;  // anomalies kept for ListAnomalies / WatchAnomalies
};

struct sensor_health_options {
  std::int64_t expected_period_ms = 0;  // 0: learn each sensor's period from its own inter-arrival times
  double period_smoothing = 0.2;        // weight of the newest gap in the learned period (EWMA)
  std::size_t period_min_gaps = 2;      // gaps seen before a learned period counts
  double stale_after_periods = 3;       // no reading for this many periods: stale
  std::size_t stuck_repeats = 6;        // the same value this many times in a row: stuck
  std::size_t disorder_memory = 16;     // out-of-order / duplicate flag clears after this many good readings
  double drift_smoothing = 1.0 / 30;    // weight of the newest relative bias against the model (EWMA)
  std::size_t drift_min_readings = 30;
  double drift_threshold = 0.25;        // |mean relative bias| above this: drifting
  // Trust of a reading in assimilation (1 = replaces the model's speed; see actors/road_segment.hpp).
  double trust_stuck = 0.1;
  double trust_drifting = 0.5;
  double trust_disordered = 0.5;        // out of order or duplicated timestamps
  std::size_t max_sensors = 200'000;    // sensors beyond this are not tracked (counted as untracked)
};

struct analytics_options {
  anomaly_options anomalies;
  sensor_health_options health;
};

}  // namespace citytwin
