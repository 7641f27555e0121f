#pragma once
// The engine's Prometheus metrics: this class creates and owns every family (names, help, label
// sets) and hands out the small handles (metric_handles.hpp) the instrumented code moves. Every
// labelled series exists from the start at 0, so rates and increases are right from the first scrape.
// The names and what they mean are listed in deploy/prometheus/README.md.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/metrics/metric_handles.hpp"

namespace prometheus {
class Collectable;
class Registry;
}  // namespace prometheus

namespace citytwin {

class metrics_registry {
 public:
  metrics_registry();
  ~metrics_registry();
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;

  ingest_metrics ingest() const { return ingest_; }
  runtime_metrics runtime() const { return runtime_; }
  scenario_metrics scenarios() const { return scenarios_; }
  sampled_metrics sampled() const { return sampled_; }
  forecast_metrics forecasts() const { return forecasts_; }
  analytics_metrics analytics() const { return analytics_; }

  // Runs `sample` at every collection, before the values are read (e.g. to read gauges off the twin).
  // Whatever it reads must outlive every collection (stop the endpoint first).
  void on_collect(std::function<void()> sample);

  // What an HTTP endpoint serves: collecting runs the samplers, then reads every family.
  std::shared_ptr<prometheus::Collectable> collectable() const;
  // The exposition text of one collection (what /metrics answers).
  std::string text() const;

 private:
  class sampling_collectable;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<sampling_collectable> collectable_;
  ingest_metrics ingest_;
  runtime_metrics runtime_;
  scenario_metrics scenarios_;
  sampled_metrics sampled_;
  forecast_metrics forecasts_;
  analytics_metrics analytics_;
};

}  // namespace citytwin
