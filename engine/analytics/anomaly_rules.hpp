#pragma once
// The tests one reading goes through, as pure functions of the reading and what the twin expected;
// each returns the anomaly it finds (sequence, twin and source left for the caller to fill in).

#include <optional>

#include "engine/analytics/analytics_options.hpp"
#include "engine/analytics/anomaly.hpp"
#include "engine/analytics/robust_baseline.hpp"

namespace citytwin {

// Detector speed against the model's speed on the same segment.
std::optional<anomaly> check_speed_against_model(double observed_kmh, double model_kmh, const anomaly_options& options);

// A value against its baseline verdict; `what` and `unit` name it in the reason ("speed", "km/h").
std::optional<anomaly> check_against_baseline(anomaly_kind kind, const char* what, const char* unit, double observed,
                                              const baseline_verdict& baseline, const anomaly_options& options);

std::optional<anomaly> check_voltage_band(double voltage_pu, const anomaly_options& options);

}  // namespace citytwin
