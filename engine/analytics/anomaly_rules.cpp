#include "engine/analytics/anomaly_rules.hpp"

#include <cmath>
#include <fmt/format.h>

namespace citytwin {

const char* label_of(anomaly_kind kind) {
  static constexpr const char* labels[] = {"speed_below_model", "speed_off_baseline", "flow_off_baseline",
                                           "load_off_baseline", "voltage_out_of_band"};
  return labels[static_cast<std::size_t>(kind)];
}

std::optional<anomaly> check_speed_against_model(double observed_kmh, double model_kmh, const anomaly_options& options) {
  if (model_kmh < options.min_model_speed_kmh || observed_kmh >= options.incident_speed_ratio * model_kmh)
    return std::nullopt;
  anomaly a;
  a.kind = anomaly_kind::speed_below_model;
  a.observed = observed_kmh;
  a.expected = model_kmh;
  a.score = model_kmh / std::max(observed_kmh, 1.0);
  a.reason = fmt::format("detector speed {:.0f} km/h is {:.0f} % of the model's {:.0f} km/h (below {:.0f} %): likely "
                         "incident",
                         observed_kmh, 100 * observed_kmh / model_kmh, model_kmh, 100 * options.incident_speed_ratio);
  return a;
}

std::optional<anomaly> check_against_baseline(anomaly_kind kind, const char* what, const char* unit, double observed,
                                              const baseline_verdict& baseline, const anomaly_options& options) {
  if (std::abs(baseline.z) < options.z_threshold) return std::nullopt;
  anomaly a;
  a.kind = kind;
  a.observed = observed;
  a.expected = baseline.median;
  a.spread = baseline.spread;
  a.score = std::abs(baseline.z);
  a.reason = fmt::format("{} {:.1f} {} is {:.1f} robust deviations {} this hour's median {:.1f} {} (spread {:.1f})",
                         what, observed, unit, std::abs(baseline.z), baseline.z < 0 ? "below" : "above",
                         baseline.median, unit, baseline.spread);
  return a;
}

std::optional<anomaly> check_voltage_band(double voltage_pu, const anomaly_options& options) {
  if (voltage_pu >= options.voltage_low_pu && voltage_pu <= options.voltage_high_pu) return std::nullopt;
  const bool low = voltage_pu < options.voltage_low_pu;
  anomaly a;
  a.kind = anomaly_kind::voltage_out_of_band;
  a.observed = voltage_pu;
  a.expected = low ? options.voltage_low_pu : options.voltage_high_pu;
  a.score = std::abs(voltage_pu - a.expected) / ((options.voltage_high_pu - options.voltage_low_pu) / 2);
  a.reason = fmt::format("voltage {:.3f} p.u. is {} the band [{:.2f}, {:.2f}] p.u.", voltage_pu,
                         low ? "below" : "above", options.voltage_low_pu, options.voltage_high_pu);
  return a;
}

}  // namespace citytwin
