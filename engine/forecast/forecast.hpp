#pragma once
// One forecast: the live twin forked at a window boundary and run ahead, its predicted state kept at
// checkpoints (the cut itself, every multiple of the checkpoint interval after it, and the horizon's end),
// plus the trouble it predicts. Immutable once published.

#include <cstdint>
#include <vector>

#include "engine/clock/sim_time.hpp"
#include "engine/forecast/predicted_trouble.hpp"
#include "engine/power/load_flow.hpp"
#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct forecast_checkpoint {
  sim_time time = 0;                       // simulated, absolute (the live twin's clock)
  std::vector<segment_snapshot> segments;  // by segment id
  std::vector<bus_state> nodes;            // by grid node index (network order); empty without a grid
};

struct forecast {
  std::uint64_t number = 0;  // 1 for the first forecast of a run, then one more for each
  sim_time base_time = 0;    // the cut it ran from
  sim_time horizon = 0;      // it predicts up to base_time + horizon
  std::vector<forecast_checkpoint> checkpoints;  // by time; the first is the cut itself
  std::vector<predicted_trouble> trouble;        // see predicted_trouble.hpp
  double wall_seconds = 0;                       // what running it cost

  // The latest checkpoint at or before `t`; null when `t` is before the cut.
  [[nodiscard]] const forecast_checkpoint* at_or_before(sim_time t) const;
  // Simulated seconds per wall second the branch ran at (0 when it took no measurable time).
  [[nodiscard]] double speed() const { return wall_seconds > 0 ? to_seconds(horizon) / wall_seconds : 0.0; }
};

}  // namespace citytwin
