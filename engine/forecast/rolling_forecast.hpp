#pragma once
// The rolling forecast of the live twin: every `every` of simulated time a background thread (at a
// lower CPU priority, with an actor system of its own for each run) forks the live twin and runs it
// `horizon` ahead, then publishes the forecast for readers. The live twin pauses only while its actors
// copy their state for the cut (as for a scenario); ingest never waits. A forecast falling due while
// the previous one still runs is skipped and counted.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/forecast/forecast.hpp"
#include "engine/forecast/forecast_branch.hpp"
#include "engine/live/live_grid.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/metrics/metric_handles.hpp"

namespace citytwin {

struct rolling_forecast_options {
  sim_time every = 5 * 60 * ms_per_second;  // simulated time between forecasts (due at its multiples from `every` on)
  forecast_settings branch;                 // horizon, checkpoint interval, threads
  int nice = 10;                            // added to the forecast threads' niceness (Linux: per thread)
  forecast_metrics metrics;                 // inert by default
};

struct forecast_status {
  std::shared_ptr<const forecast> last;  // null until the first forecast is published
  std::uint64_t runs = 0;                // published
  std::uint64_t failed = 0;
  std::uint64_t skipped = 0;
  bool running = false;
  std::string last_error;                // of the latest failed run
};

class rolling_forecast {
 public:
  // `grid` may be null (no utility predictions). Throws std::invalid_argument for bad options.
  rolling_forecast(live_twin& twin, const live_grid* grid, rolling_forecast_options options);
  ~rolling_forecast();
  rolling_forecast(const rolling_forecast&) = delete;
  rolling_forecast& operator=(const rolling_forecast&) = delete;

  void start();  // the background schedule
  void stop();   // cancels a run in progress and waits for the thread

  // Forks the twin at its next window boundary and runs one forecast on the calling thread, then
  // publishes it (one run at a time: a second caller waits). Throws what the cut or the run throws.
  std::shared_ptr<const forecast> run_once();

  std::shared_ptr<const forecast> latest() const;
  // The latest forecast once its number passes `after` (or the timeout passes, or stop() is called).
  std::shared_ptr<const forecast> wait_for_forecast_after(std::uint64_t after, std::chrono::milliseconds timeout) const;
  forecast_status status() const;
  const rolling_forecast_options& options() const { return options_; }
  bool stopped() const { return stopping_; }
  const live_twin& twin() const { return twin_; }
  const live_grid* grid() const { return grid_; }

 private:
  void schedule();

  live_twin& twin_;
  const live_grid* grid_;
  rolling_forecast_options options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex run_mutex_;  // one run at a time

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  forecast_status status_;
};

}  // namespace citytwin
