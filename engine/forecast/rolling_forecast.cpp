#include "engine/forecast/rolling_forecast.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include "engine/forecast/grid_forecast.hpp"
#include "engine/forecast/predicted_trouble.hpp"
#include "engine/runtime/simulation.hpp"

namespace citytwin {

namespace {

// Threads this one starts (the runs' actor systems) inherit the niceness.
void lower_this_threads_priority(int nice) {
  if (nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), std::min(19, getpriority(PRIO_PROCESS, 0) + nice));
}

constexpr std::chrono::milliseconds capture_timeout{30'000};

}  // namespace

rolling_forecast::rolling_forecast(live_twin& twin, const live_grid* grid, rolling_forecast_options options)
    : twin_(twin), grid_(grid), options_(options) {
  check_forecast_settings(options_.branch);
  if (options_.every <= 0) throw std::invalid_argument("the forecast interval must be positive");
}

rolling_forecast::~rolling_forecast() { stop(); }

void rolling_forecast::start() {
  thread_ = std::thread([this] {
    lower_this_threads_priority(options_.nice);
    schedule();
  });
}

void rolling_forecast::stop() {
  stopping_ = true;
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const forecast> rolling_forecast::run_once() {
  std::lock_guard run_lock(run_mutex_);
  {
    std::lock_guard lock(mutex_);
    status_.running = true;
  }
  const auto started = std::chrono::steady_clock::now();
  try {
    auto f = std::make_shared<forecast>();
    const auto base = twin_.capture_state(capture_timeout);
    f->base_time = base->time;
    f->horizon = options_.branch.horizon;
    f->checkpoints = run_traffic_forecast(twin_.graph(), base, options_.branch, &stopping_);
    if (grid_ != nullptr) predict_grid_loading(*grid_, f->checkpoints);
    f->trouble = find_predicted_trouble(twin_.graph(), grid_ != nullptr ? &grid_->network() : nullptr, *f);
    f->wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    options_.metrics.record_run(true, f->wall_seconds);
    {
      std::lock_guard lock(mutex_);
      f->number = ++status_.runs;
      status_.last = f;
      status_.running = false;
    }
    changed_.notify_all();
    return f;
  } catch (const std::exception& e) {
    options_.metrics.record_run(false, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    std::lock_guard lock(mutex_);
    ++status_.failed;
    status_.last_error = e.what();
    status_.running = false;
    throw;
  }
}

void rolling_forecast::schedule() {
  const sim_time every = options_.every;
  // The first after the twin has run a while (not while it starts up with an empty network).
  sim_time due = (twin_.now() / every + 1) * every;
  while (!stopping_) {
    if (twin_.now() < due) {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_.load(); });
      continue;
    }
    try {
      run_once();
    } catch (const simulation_cancelled&) {
      break;  // stopping
    } catch (const std::exception&) {
      // Counted and kept in the status; the next forecast is tried when it falls due.
    }
    // Forecasts that fell due while this one ran are skipped.
    const sim_time now = twin_.now();
    due += every;
    if (due <= now) {
      const auto skipped = static_cast<std::uint64_t>((now - due) / every + 1);
      due += static_cast<sim_time>(skipped) * every;
      options_.metrics.count_skipped(skipped);
      std::lock_guard lock(mutex_);
      status_.skipped += skipped;
    }
  }
}

std::shared_ptr<const forecast> rolling_forecast::latest() const {
  std::lock_guard lock(mutex_);
  return status_.last;
}

std::shared_ptr<const forecast> rolling_forecast::wait_for_forecast_after(std::uint64_t after,
                                                                          std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return status_.runs > after || stopping_.load(); });
  return status_.last;
}

forecast_status rolling_forecast::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace citytwin
