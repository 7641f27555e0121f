#include "engine/forecast/forecast.hpp"

#include <algorithm>

namespace citytwin {

const forecast_checkpoint* forecast::at_or_before(sim_time t) const {
  auto after = std::upper_bound(checkpoints.begin(), checkpoints.end(), t,
                                [](sim_time time, const forecast_checkpoint& c) { return time < c.time; });
  return after == checkpoints.begin() ? nullptr : &*std::prev(after);
}

}  // namespace citytwin
