#pragma once
// Reads, at each scrape, the figures kept elsewhere: the live twin's lag, speed and inbox, the live
// grid's actors, and the twin store's RocksDB stall counters.

#include <chrono>
#include <mutex>

#include "engine/clock/sim_time.hpp"
#include "engine/metrics/metric_handles.hpp"

namespace citytwin {

class live_twin;
class live_grid;
class twin_store;

class live_sampler {
 public:
  // `grid` may be null (serve without --grid). All three must outlive every sample() call.
  live_sampler(sampled_metrics metrics, const live_twin& twin, const twin_store& store, const live_grid* grid);

  // Sets every sampled metric; simulated speed is measured since the previous call.
  void sample();

 private:
  sampled_metrics metrics_;
  const live_twin& twin_;
  const twin_store& store_;
  const live_grid* grid_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_wall_;
  sim_time last_simulated_ = 0;
};

}  // namespace citytwin
