#pragma once
// A forecast as the API returns it (proto/citytwin/v1/forecast.proto): which forecast, predicted twin
// states at a checkpoint, the trouble list, the status.

#include "citytwin/v1/forecast.pb.h"
#include "engine/forecast/rolling_forecast.hpp"
#include "engine/frontdoor/twin_conversion.hpp"

namespace citytwin {

v1::ForecastInfo forecast_info(const live_twin& twin, const forecast& f);
v1::PredictedTwinState predicted_segment(const twin_catalog& catalog, const forecast_checkpoint& c, segment_id segment);
// `node` indexes the grid's network; the checkpoint must have the grid's nodes.
v1::PredictedTwinState predicted_utility_node(const live_grid& grid, const forecast_checkpoint& c, std::uint32_t node);
v1::PredictedTroubleList trouble_list(const twin_catalog& catalog, const live_twin& twin, const live_grid* grid,
                                      const forecast& f);
v1::ForecastStatus forecast_status_message(const live_twin& twin, const rolling_forecast* forecasts);

}  // namespace citytwin
