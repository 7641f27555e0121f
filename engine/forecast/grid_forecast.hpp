#pragma once
// The grid half of a forecast. Building loads in the live grid follow their profiles by time of day
// (meter readings override them only while fresh), so the predicted loading at a checkpoint is one
// load flow at that checkpoint's time of day: every building draws its profile for the grid step the
// checkpoint falls in, the breakers stay as the live grid has them now, substations hold their setpoint
// voltage. Meter readings are not extrapolated and protection is not simulated: an overload is what is
// predicted, not what trips.

#include <vector>

#include "engine/forecast/forecast.hpp"
#include "engine/live/live_grid.hpp"

namespace citytwin {

// Fills every checkpoint's nodes, in an actor system of its own (the live grid's actors are not touched).
void predict_grid_loading(const live_grid& grid, std::vector<forecast_checkpoint>& checkpoints);

}  // namespace citytwin
