#include "engine/metrics/live_sampler.hpp"

#include "engine/live/live_grid.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/store/twin_store.hpp"

namespace citytwin {

live_sampler::live_sampler(sampled_metrics metrics, const live_twin& twin, const twin_store& store,
                           const live_grid* grid)
    : metrics_(metrics), twin_(twin), store_(store), grid_(grid), last_wall_(std::chrono::steady_clock::now()),
      last_simulated_(twin.now()) {}

void live_sampler::sample() {
  std::lock_guard lock(mutex_);
  metrics_.set_lag_seconds(to_seconds(twin_.lag()));
  const auto wall = std::chrono::steady_clock::now();
  const sim_time simulated = twin_.now();
  const double wall_seconds = std::chrono::duration<double>(wall - last_wall_).count();
  // Closer scrapes than this would measure window granularity, not speed: keep the last value.
  if (wall_seconds >= 0.5) {
    metrics_.set_simulated_seconds_per_wall_second(to_seconds(simulated - last_simulated_) / wall_seconds);
    last_wall_ = wall;
    last_simulated_ = simulated;
  }
  metrics_.set_live_inbox_backlog(twin_.inbox_backlog());
  metrics_.set_live_inputs_kept_for_rollback(twin_.inputs_kept_for_rollback());
  if (grid_ != nullptr) {
    // live_grid keeps one actor per building and per utility node from construction to destruction.
    metrics_.set_actors(actor_kind::building, grid_->building_count());
    metrics_.set_actors(actor_kind::utility_node, grid_->network().nodes.size());
  }
  const store_stats stats = store_.stats();
  metrics_.advance_write_stalls(stats.write_stalls);
  metrics_.advance_write_stall_seconds(static_cast<double>(stats.write_stall_micros) / 1e6);
  metrics_.set_delayed_write_rate(stats.delayed_write_rate);
  metrics_.set_write_stopped(stats.write_stopped);
}

}  // namespace citytwin
