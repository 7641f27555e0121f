#pragma once
// Live analytics of the ingest feed: every accepted reading is checked for anomalies against the
// model and its twin's history, and counts towards its sensor's health, which sets the trust its
// reading gets in assimilation. Readings themselves are never changed. Thread-safe; ingest calls
// it once per batch. The method and its parameters: README.md in this folder.

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/analytics/analytics_options.hpp"
#include "engine/analytics/anomaly_log.hpp"
#include "engine/analytics/feed_reading.hpp"
#include "engine/analytics/robust_baseline.hpp"
#include "engine/analytics/sensor_health.hpp"
#include "engine/metrics/metric_handles.hpp"

namespace citytwin {

struct sensor_entry {
  std::string source;   // the ingest batch's source
  std::string twin_id;  // "segment/3-11", "building/17", "node/1203"
  sensor_report report;
};

struct feed_summary {
  std::array<std::uint64_t, static_cast<std::size_t>(sensor_state::count)> sensors_by_state{};
  std::uint64_t sensors = 0;
  std::uint64_t untracked_readings = 0;  // from sensors beyond max_sensors
  std::uint64_t anomalies = 0;           // raised since start
};

class feed_analytics {
 public:
  explicit feed_analytics(analytics_options options = {}, analytics_metrics metrics = {});

  // One batch's accepted readings from `source`, in batch order; returns each reading's trust in [0, 1].
  std::vector<double> assess(std::string_view source, std::span<const feed_reading> readings);

  // Sensors of one source (empty: every source) and/or one twin (empty: every twin), ordered by source then twin.
  std::vector<sensor_entry> sensors(std::string_view source, std::string_view twin_id, std::int64_t now_ms) const;
  feed_summary summary(std::int64_t now_ms) const;
  // Sets the sensor gauges (by state) to the summary at `now_ms`; for the metrics scrape.
  void sample_metrics(std::int64_t now_ms) const;

  const anomaly_log& anomalies() const { return log_; }
  const analytics_options& options() const { return options_; }

 private:
  struct twin_history {
    robust_baseline primary;  // speed km/h or load kW
    robust_baseline flow;     // detector count as veh/h
    std::array<std::int64_t, static_cast<std::size_t>(anomaly_kind::count)> last_raised_ms{};
    std::array<bool, static_cast<std::size_t>(anomaly_kind::count)> raised{};
  };
  // Lookups by string_view, without building a key string per reading.
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class T>
  using string_map = std::unordered_map<std::string, T, string_hash, std::equal_to<>>;
  using source_sensors = string_map<sensor_health>;  // by twin id

  void find_anomalies(std::string_view source, const feed_reading& r, twin_history& history,
                      std::vector<anomaly>& found) const;
  bool suppressed(const twin_history& history, anomaly_kind kind, std::int64_t time_ms) const;
  double track_sensor(source_sensors& sensors, const feed_reading& r);

  analytics_options options_;
  analytics_metrics metrics_;
  mutable std::mutex mutex_;
  string_map<twin_history> twins_;
  string_map<source_sensors> sources_;  // by ingest source
  std::size_t sensor_count_ = 0;
  std::uint64_t untracked_readings_ = 0;
  anomaly_log log_;
};

}  // namespace citytwin
