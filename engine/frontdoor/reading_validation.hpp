#pragma once
// Checks one incoming reading against the twin before anything is stored: the twin it names
// exists, its values are finite and physically possible, and its time is neither in the future
// nor older than the lateness window. A rejected reading gets a code and a reason the sender
// can act on; an accepted one comes back resolved to the twin it changes.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "citytwin/v1/twin.pb.h"
#include "engine/frontdoor/twin_conversion.hpp"

namespace citytwin {

struct ingest_limits {
  std::int64_t max_future_ms = 5 * 60'000;         // clock skew tolerated for readings "from the future"
  std::int64_t lateness_window_ms = 15 * 60'000;   // older readings no longer change the twin
  std::int64_t max_schedule_ahead_ms = 7 * 24 * 3'600'000LL;  // segment events may be planned this far ahead
  std::size_t max_readings_per_batch = 10'000;
  double max_speed_kmh = 300;
  double max_flow_per_lane_veh_h = 4'000;          // far above any measured lane capacity
  double max_building_load_kw = 200'000;
};

struct rejection {
  std::uint32_t index = 0;
  v1::RejectionCode code = v1::REJECTION_CODE_INVALID_ARGUMENT;
  std::string reason;
};

// A reading that passed: which twin it is for and when it was observed.
struct accepted_reading {
  std::string twin_id;  // "segment/3-11", "building/17", "node/1203"
  segment_id segment = no_segment;
  std::int64_t time_ms = 0;
  std::uint32_t grid_index = 0;  // the building, or the utility node's index in the grid's network
};

std::variant<accepted_reading, rejection> validate_reading(const v1::Reading& reading, std::uint32_t index,
                                                           const twin_catalog& catalog, std::int64_t now_ms,
                                                           const ingest_limits& limits);

}  // namespace citytwin
