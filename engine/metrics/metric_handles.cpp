#include "engine/metrics/metric_handles.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace citytwin {

namespace {

void add(prometheus::Counter* counter, double amount) {
  if (counter != nullptr && amount > 0) counter->Increment(amount);
}

void set(prometheus::Gauge* gauge, double value) {
  if (gauge != nullptr) gauge->Set(value);
}

void observe(prometheus::Histogram* histogram, double value) {
  if (histogram != nullptr) histogram->Observe(value);
}

// Moves a counter that mirrors someone else's cumulative total up to that total.
void advance(prometheus::Counter* counter, double total) {
  if (counter != nullptr && total > counter->Value()) counter->Increment(total - counter->Value());
}

template <class Enum>
std::size_t index(Enum e) {
  return static_cast<std::size_t>(e);
}

}  // namespace

rejection_reason reason_of(v1::RejectionCode code) {
  switch (code) {
    case v1::REJECTION_CODE_INVALID_ARGUMENT: return rejection_reason::invalid_argument;
    case v1::REJECTION_CODE_NOT_FOUND: return rejection_reason::not_found;
    case v1::REJECTION_CODE_OUT_OF_RANGE: return rejection_reason::out_of_range;
    case v1::REJECTION_CODE_UNIMPLEMENTED: return rejection_reason::unimplemented;
    default: return rejection_reason::other;
  }
}

const char* label_of(rejection_reason reason) {
  static constexpr const char* labels[] = {"invalid_argument", "not_found", "out_of_range", "unimplemented", "other"};
  return labels[index(reason)];
}

const char* label_of(actor_kind kind) {
  static constexpr const char* labels[] = {"segment", "shard", "building", "utility_node"};
  return labels[index(kind)];
}

const char* label_of(scenario_run_outcome outcome) {
  static constexpr const char* labels[] = {"succeeded", "failed", "cancelled"};
  return labels[index(outcome)];
}

void ingest_metrics::count_ack(const v1::IngestAck& ack, int readings_in_batch) const {
  if (ack.duplicate()) {
    add(duplicate_, readings_in_batch);
    return;
  }
  add(accepted_, ack.accepted());
  add(rejected_, ack.rejected_size());
  for (const v1::Rejection& r : ack.rejected()) add(rejected_by_reason_[index(reason_of(r.code()))], 1);
}

void ingest_metrics::count_not_stored(int readings_in_batch) const { add(not_stored_, readings_in_batch); }

void ingest_metrics::observe_ack_latency(double seconds) const { observe(ack_latency_, seconds); }

void runtime_metrics::observe_barrier(double seconds) const { observe(barrier_, seconds); }

void runtime_metrics::add_actors(actor_kind kind, std::int64_t change) const {
  if (auto* gauge = actors_[index(kind)]) gauge->Increment(static_cast<double>(change));
}

void runtime_metrics::count_cross_node_sent(std::int64_t messages) const {
  add(cross_node_sent_, static_cast<double>(messages));
}

void runtime_metrics::count_cross_node_received(std::int64_t messages) const {
  add(cross_node_received_, static_cast<double>(messages));
}

void scenario_metrics::record_run(scenario_run_outcome outcome, double wall_seconds) const {
  add(runs_[index(outcome)], 1);
  observe(duration_, wall_seconds);
}

void forecast_metrics::record_run(bool succeeded, double wall_seconds) const {
  add(succeeded ? succeeded_ : failed_, 1);
  observe(duration_, wall_seconds);
}

void forecast_metrics::count_skipped(std::uint64_t forecasts) const { add(skipped_, static_cast<double>(forecasts)); }

void sampled_metrics::set_lag_seconds(double seconds) const { set(lag_, seconds); }
void sampled_metrics::set_simulated_seconds_per_wall_second(double rate) const { set(speed_, rate); }
void sampled_metrics::set_live_inbox_backlog(std::size_t messages) const {
  set(inbox_backlog_, static_cast<double>(messages));
}

void sampled_metrics::set_live_inputs_kept_for_rollback(std::size_t inputs) const {
  set(inputs_kept_, static_cast<double>(inputs));
}
void sampled_metrics::set_actors(actor_kind kind, std::size_t count) const {
  set(actors_[index(kind)], static_cast<double>(count));
}
void sampled_metrics::advance_write_stalls(std::uint64_t total) const {
  advance(write_stalls_, static_cast<double>(total));
}
void sampled_metrics::advance_write_stall_seconds(double total) const { advance(write_stall_seconds_, total); }
void sampled_metrics::set_delayed_write_rate(std::uint64_t bytes_per_second) const {
  set(delayed_write_rate_, static_cast<double>(bytes_per_second));
}
void sampled_metrics::set_write_stopped(bool stopped) const { set(write_stopped_, stopped ? 1 : 0); }

void analytics_metrics::count_anomaly(anomaly_kind kind) const { add(anomalies_[index(kind)], 1); }

void analytics_metrics::set_sensors(sensor_state state, std::uint64_t count) const {
  set(sensors_[index(state)], static_cast<double>(count));
}

}  // namespace citytwin
