#include "engine/forecast/grid_forecast.hpp"

namespace citytwin {

void predict_grid_loading(const live_grid& grid, std::vector<forecast_checkpoint>& checkpoints) {
  caf::actor_system_config config = make_grid_config(1);
  caf::actor_system system{config};
  grid_actors actors(system, grid.network(), &grid.grid().buildings);
  const auto now = grid.view();
  for (std::uint32_t node = 0; node < now->flow.buses.size(); ++node)
    if (!now->flow.buses[node].breaker_closed) actors.set_breaker(node, false);
  const sim_time step = grid.step();
  for (forecast_checkpoint& c : checkpoints) {
    // The live grid steps at multiples of its step, drawing the loads for the step ahead.
    const sim_time step_start = c.time / step * step;
    actors.collect_building_loads(grid.start_time_of_day() + step_start, step);
    c.nodes = actors.solve({}).buses;
  }
}

}  // namespace citytwin
