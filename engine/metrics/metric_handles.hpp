#pragma once
// The small handles instrumented code holds, each naming only the metrics its owner moves. The
// families behind them belong to metrics_registry. A default-constructed handle is inert (nothing
// is counted), so code runs the same with and without a registry.

#include <array>
#include <cstddef>
#include <cstdint>

#include "citytwin/v1/twin.pb.h"
#include "engine/analytics/anomaly.hpp"
#include "engine/analytics/sensor_health.hpp"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace citytwin {

// The bounded `reason` label of rejected readings: the wire's RejectionCode, and `other` for any
// code a newer server might add before this list learns it.
enum class rejection_reason : std::uint8_t { invalid_argument, not_found, out_of_range, unimplemented, other, count };
rejection_reason reason_of(v1::RejectionCode code);
const char* label_of(rejection_reason reason);

// The front door's ingest stream.
class ingest_metrics {
 public:
  // One answered batch: its accepted readings, each rejection by reason, or (a redelivery) every
  // reading as a duplicate.
  void count_ack(const v1::IngestAck& ack, int readings_in_batch) const;
  // A batch the store could not write: none of its readings was acknowledged.
  void count_not_stored(int readings_in_batch) const;
  // From the batch arriving to its ack being written to the stream.
  void observe_ack_latency(double seconds) const;

 private:
  friend class metrics_registry;
  prometheus::Counter* accepted_ = nullptr;
  prometheus::Counter* rejected_ = nullptr;
  prometheus::Counter* duplicate_ = nullptr;
  prometheus::Counter* not_stored_ = nullptr;
  std::array<prometheus::Counter*, static_cast<std::size_t>(rejection_reason::count)> rejected_by_reason_{};
  prometheus::Histogram* ack_latency_ = nullptr;
};

// The bounded `kind` label of active actors.
enum class actor_kind : std::uint8_t { segment, shard, building, utility_node, count };
const char* label_of(actor_kind kind);

// The simulation runtime: windows and the actors it spawns.
class runtime_metrics {
 public:
  // From the coordinator sending a window's orders to the last shard's report (one barrier).
  void observe_barrier(double seconds) const;
  // Actors alive: added when spawned, subtracted when sent their exit, so concurrent runs add up.
  void add_actors(actor_kind kind, std::int64_t change) const;
  // Segment messages (handoffs, space updates) this process sent to or took in from other processes.
  void count_cross_node_sent(std::int64_t messages) const;
  void count_cross_node_received(std::int64_t messages) const;

 private:
  friend class metrics_registry;
  prometheus::Histogram* barrier_ = nullptr;
  prometheus::Counter* cross_node_sent_ = nullptr;
  prometheus::Counter* cross_node_received_ = nullptr;
  std::array<prometheus::Gauge*, static_cast<std::size_t>(actor_kind::count)> actors_{};
};

enum class scenario_run_outcome : std::uint8_t { succeeded, failed, cancelled, count };
const char* label_of(scenario_run_outcome outcome);

// Scenario runs: the scenario code calls record_run once per finished run.
class scenario_metrics {
 public:
  void record_run(scenario_run_outcome outcome, double wall_seconds) const;

 private:
  friend class metrics_registry;
  std::array<prometheus::Counter*, static_cast<std::size_t>(scenario_run_outcome::count)> runs_{};
  prometheus::Histogram* duration_ = nullptr;
};

// The rolling forecast: each finished run (timed, by outcome) and each forecast skipped because the
// previous one was still running when it fell due. No per-twin labels.
class forecast_metrics {
 public:
  void record_run(bool succeeded, double wall_seconds) const;
  void count_skipped(std::uint64_t forecasts) const;

 private:
  friend class metrics_registry;
  prometheus::Counter* succeeded_ = nullptr;
  prometheus::Counter* failed_ = nullptr;
  prometheus::Counter* skipped_ = nullptr;
  prometheus::Histogram* duration_ = nullptr;
};

// Values read from elsewhere when Prometheus scrapes (see live_sampler). Cumulative figures kept by
// others (RocksDB's) are mirrored with advance_*: the counter moves up to the new total.
class sampled_metrics {
 public:
  void set_lag_seconds(double seconds) const;
  void set_simulated_seconds_per_wall_second(double rate) const;
  void set_live_inbox_backlog(std::size_t messages) const;
  void set_live_inputs_kept_for_rollback(std::size_t inputs) const;
  void set_actors(actor_kind kind, std::size_t count) const;
  void advance_write_stalls(std::uint64_t total) const;
  void advance_write_stall_seconds(double total) const;
  void set_delayed_write_rate(std::uint64_t bytes_per_second) const;
  void set_write_stopped(bool stopped) const;

 private:
  friend class metrics_registry;
  prometheus::Gauge* lag_ = nullptr;
  prometheus::Gauge* speed_ = nullptr;
  prometheus::Gauge* inbox_backlog_ = nullptr;
  prometheus::Gauge* inputs_kept_ = nullptr;
  std::array<prometheus::Gauge*, static_cast<std::size_t>(actor_kind::count)> actors_{};
  prometheus::Counter* write_stalls_ = nullptr;
  prometheus::Counter* write_stall_seconds_ = nullptr;
  prometheus::Gauge* delayed_write_rate_ = nullptr;
  prometheus::Gauge* write_stopped_ = nullptr;
};

// Live analytics (engine/analytics): anomalies raised by kind, sensors by health state.
class analytics_metrics {
 public:
  void count_anomaly(anomaly_kind kind) const;
  void set_sensors(sensor_state state, std::uint64_t count) const;

 private:
  friend class metrics_registry;
  std::array<prometheus::Counter*, static_cast<std::size_t>(anomaly_kind::count)> anomalies_{};
  std::array<prometheus::Gauge*, static_cast<std::size_t>(sensor_state::count)> sensors_{};
};

}  // namespace citytwin
