#include "engine/metrics/metrics_registry.hpp"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace citytwin {

namespace {

template <class Enum>
constexpr std::size_t count_of() {
  return static_cast<std::size_t>(Enum::count);
}

template <class Enum>
constexpr Enum nth(std::size_t i) {
  return static_cast<Enum>(i);
}

}  // namespace

class metrics_registry::sampling_collectable : public prometheus::Collectable {
 public:
  explicit sampling_collectable(std::shared_ptr<prometheus::Registry> registry) : registry_(std::move(registry)) {}

  void add(std::function<void()> sample) {
    std::lock_guard lock(mutex_);
    samplers_.push_back(std::move(sample));
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    {
      // One collection samples at a time, so two scrapes never interleave their readings.
      std::lock_guard lock(mutex_);
      for (const auto& sample : samplers_) sample();
    }
    return registry_->Collect();
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> samplers_;
};

metrics_registry::metrics_registry()
    : registry_(std::make_shared<prometheus::Registry>()),
      collectable_(std::make_shared<sampling_collectable>(registry_)) {
  auto& r = *registry_;

  auto& readings = prometheus::BuildCounter()
                       .Name("citytwin_ingest_readings_total")
                       .Help("Readings received on the Ingest stream, by outcome: accepted (stored durably, then "
                             "applied), rejected (see citytwin_ingest_readings_rejected_total), duplicate (a "
                             "redelivered batch, stored before), not_stored (the store failed; not acknowledged)")
                       .Register(r);
  ingest_.accepted_ = &readings.Add({{"outcome", "accepted"}});
  ingest_.rejected_ = &readings.Add({{"outcome", "rejected"}});
  ingest_.duplicate_ = &readings.Add({{"outcome", "duplicate"}});
  ingest_.not_stored_ = &readings.Add({{"outcome", "not_stored"}});
  auto& rejected = prometheus::BuildCounter()
                       .Name("citytwin_ingest_readings_rejected_total")
                       .Help("Readings rejected by the front door, by reason (the ack's RejectionCode)")
                       .Register(r);
  for (std::size_t i = 0; i < count_of<rejection_reason>(); ++i)
    ingest_.rejected_by_reason_[i] = &rejected.Add({{"reason", label_of(nth<rejection_reason>(i))}});
  ingest_.ack_latency_ = &prometheus::BuildHistogram()
                              .Name("citytwin_ingest_ack_latency_seconds")
                              .Help("Time from an ingest batch arriving to its ack being written (includes the "
                                    "durable store write)")
                              .Register(r)
                              .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                                               0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});

  runtime_.barrier_ = &prometheus::BuildHistogram()
                           .Name("citytwin_window_barrier_seconds")
                           .Help("Wall time of one simulation window: from the coordinator sending the window to "
                                 "every shard to the last shard's report (the barrier)")
                           .Register(r)
                           .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1});
  auto& actors = prometheus::BuildGauge()
                     .Name("citytwin_active_actors")
                     .Help("Actors alive in this process, by kind (segment and shard: the simulation runs; "
                           "building and utility_node: the live grid)")
                     .Register(r);
  for (std::size_t i = 0; i < count_of<actor_kind>(); ++i) {
    runtime_.actors_[i] = &actors.Add({{"kind", label_of(nth<actor_kind>(i))}});
    sampled_.actors_[i] = runtime_.actors_[i];
  }
  sampled_.inbox_backlog_ = &prometheus::BuildGauge()
                                 .Name("citytwin_mailbox_backlog_messages")
                                 .Help("Messages waiting for an actor, by mailbox. live_twin_inbox: closures and "
                                       "detector readings accepted but not yet taken by the next window. CAF 0.17 "
                                       "cannot report actor mailbox sizes from outside the actor")
                                 .Register(r)
                                 .Add({{"mailbox", "live_twin_inbox"}});
  sampled_.inputs_kept_ = &prometheus::BuildGauge()
                               .Name("citytwin_live_inputs_kept_for_rollback")
                               .Help("Closures, capacity changes and detector readings a live cluster's node 0 keeps in memory "
                                     "since the last complete checkpoint, so windows run again after a rollback take them "
                                     "again (about 50 bytes each); 0 in serve and without checkpoints")
                               .Register(r)
                               .Add({});
  auto& cluster = prometheus::BuildCounter()
                      .Name("citytwin_cluster_messages_total")
                      .Help("Segment messages (vehicle handoffs, space updates) exchanged with other CityTwin "
                            "processes of a cluster run (`citytwin node`), by direction; batched per window")
                      .Register(r);
  runtime_.cross_node_sent_ = &cluster.Add({{"direction", "sent"}});
  runtime_.cross_node_received_ = &cluster.Add({{"direction", "received"}});

  sampled_.lag_ = &prometheus::BuildGauge()
                       .Name("citytwin_live_lag_seconds")
                       .Help("Simulated seconds the live twin is behind where the wall clock says it should be")
                       .Register(r)
                       .Add({});
  sampled_.speed_ = &prometheus::BuildGauge()
                         .Name("citytwin_live_simulated_seconds_per_wall_second")
                         .Help("Simulated seconds the live twin advanced per wall second since the previous "
                               "scrape (equals --time-scale when it keeps up)")
                         .Register(r)
                         .Add({});

  auto& runs = prometheus::BuildCounter()
                   .Name("citytwin_scenario_runs_total")
                   .Help("Scenario runs finished, by outcome")
                   .Register(r);
  for (std::size_t i = 0; i < count_of<scenario_run_outcome>(); ++i)
    scenarios_.runs_[i] = &runs.Add({{"outcome", label_of(nth<scenario_run_outcome>(i))}});
  scenarios_.duration_ = &prometheus::BuildHistogram()
                              .Name("citytwin_scenario_run_duration_seconds")
                              .Help("Wall time of a scenario run, any outcome")
                              .Register(r)
                              .Add({}, prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
                                                                               300, 600, 1800});

  auto& forecast_runs = prometheus::BuildCounter()
                            .Name("citytwin_forecast_runs_total")
                            .Help("Rolling forecasts finished, by outcome (serve --forecast-every)")
                            .Register(r);
  forecasts_.succeeded_ = &forecast_runs.Add({{"outcome", "succeeded"}});
  forecasts_.failed_ = &forecast_runs.Add({{"outcome", "failed"}});
  forecasts_.duration_ = &prometheus::BuildHistogram()
                              .Name("citytwin_forecast_run_duration_seconds")
                              .Help("Wall time of one rolling forecast: the cut, the branch run to the horizon, "
                                    "the grid's load flows and the trouble list")
                              .Register(r)
                              .Add({}, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                                                                               30, 60, 120, 300});
  forecasts_.skipped_ = &prometheus::BuildCounter()
                             .Name("citytwin_forecast_skipped_total")
                             .Help("Rolling forecasts not started because the previous one was still running "
                                   "when they fell due")
                             .Register(r)
                             .Add({});

  sampled_.write_stalls_ = &prometheus::BuildCounter()
                                .Name("citytwin_rocksdb_write_stalls_total")
                                .Help("Times RocksDB began slowing down or stopping writes because flushes or "
                                      "compactions fell behind (all column families of the twin store)")
                                .Register(r)
                                .Add({});
  sampled_.write_stall_seconds_ = &prometheus::BuildCounter()
                                       .Name("citytwin_rocksdb_write_stall_seconds_total")
                                       .Help("Time writers to the twin store spent slowed down or stopped by RocksDB")
                                       .Register(r)
                                       .Add({});
  sampled_.delayed_write_rate_ = &prometheus::BuildGauge()
                                      .Name("citytwin_rocksdb_delayed_write_rate_bytes_per_second")
                                      .Help("Write rate RocksDB currently limits the twin store to; 0 = no limit")
                                      .Register(r)
                                      .Add({});
  sampled_.write_stopped_ = &prometheus::BuildGauge()
                                 .Name("citytwin_rocksdb_write_stopped")
                                 .Help("1 while RocksDB stops all writes to the twin store (compaction far behind)")
                                 .Register(r)
                                 .Add({});

  auto& anomalies = prometheus::BuildCounter()
                        .Name("citytwin_anomalies_total")
                        .Help("Anomalies raised by live analytics (serve --analytics on), by kind; see "
                              "engine/analytics/README.md")
                        .Register(r);
  for (std::size_t i = 0; i < count_of<anomaly_kind>(); ++i)
    analytics_.anomalies_[i] = &anomalies.Add({{"kind", label_of(nth<anomaly_kind>(i))}});
  auto& sensors = prometheus::BuildGauge()
                      .Name("citytwin_sensors")
                      .Help("Feed sensors (ingest source x twin) by health state at the last scrape: stale, "
                            "stuck, drifting, out_of_order, duplicate_timestamps or healthy")
                      .Register(r);
  for (std::size_t i = 0; i < count_of<sensor_state>(); ++i)
    analytics_.sensors_[i] = &sensors.Add({{"state", label_of(nth<sensor_state>(i))}});
}

metrics_registry::~metrics_registry() = default;

std::shared_ptr<prometheus::Collectable> metrics_registry::collectable() const { return collectable_; }

void metrics_registry::on_collect(std::function<void()> sample) { collectable_->add(std::move(sample)); }

std::string metrics_registry::text() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collectable_->Collect());
  return out.str();
}

}  // namespace citytwin
