#pragma once
// What analytics needs of one accepted reading: its twin, its time, its value and what the model
// expected, taken from the wire reading and the twin's latest published view.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "citytwin/v1/twin.pb.h"
#include "engine/live/live_twin.hpp"

namespace citytwin {

enum class feed_quantity : std::uint8_t { detector, meter, voltage, other };

struct feed_reading {
  std::string_view twin_id;  // "segment/3-11", "building/17", "node/1203"; viewed, not owned
  std::int64_t time_ms = 0;
  feed_quantity quantity = feed_quantity::other;
  double value = 0;               // detector: mean speed km/h; meter: active power kW; voltage: p.u.
  double flow_veh_h = -1;         // detector: the count as a rate; -1 without one
  std::uint32_t vehicle_count = 0;
  std::optional<double> model_speed_kmh;  // detector: the segment's modelled speed, when open and known
};

// `view` may be null (no model speed then). Segment events and breaker-only SCADA readings come
// back as feed_quantity::other, which analytics counts for sensor timing only.
feed_reading feed_reading_of(const v1::Reading& reading, std::string_view twin_id, segment_id segment,
                             const twin_view* view);

}  // namespace citytwin
