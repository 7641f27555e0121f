#pragma once
// The traffic half of a forecast: a copy of the twin resumed from a cut, in an actor system of its own,
// run as fast as it goes with no new inputs to cut + horizon. With nothing new arriving it is the live
// twin's own continuation, bit for bit (resumed runs are plain continuations, see simulation_state.hpp).

#include <atomic>
#include <memory>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/forecast/forecast.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {

struct forecast_settings {
  sim_time horizon = 30 * 60 * ms_per_second;
  sim_time checkpoint_every = 5 * 60 * ms_per_second;  // checkpoints at its multiples of simulated time
  std::uint32_t threads = 1;                            // of the branch's own actor system
};

// Throws std::invalid_argument for a horizon or checkpoint interval that is not positive.
void check_forecast_settings(const forecast_settings& settings);

// Checkpoints with their segments (nodes empty): the cut, every multiple of checkpoint_every after it,
// and the end (cut + horizon, rounded up to a window). Throws simulation_cancelled when `cancel` is set.
std::vector<forecast_checkpoint> run_traffic_forecast(const city_graph& graph,
                                                      const std::shared_ptr<const simulation_state>& base,
                                                      const forecast_settings& settings,
                                                      const std::atomic<bool>* cancel = nullptr);

}  // namespace citytwin
