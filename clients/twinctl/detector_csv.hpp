#pragma once
// Reads a loop-detector CSV (segment_id,time_s,count,speed_kmh,occupancy) into API readings.
// time_s is seconds since the Unix epoch when above 1e9, otherwise seconds after `start_ms`.
// Errors name the file, line and column.

#include <cstdint>
#include <string>
#include <vector>

#include "citytwin/v1/twin.pb.h"

namespace citytwin {

std::vector<v1::Reading> read_detector_csv(const std::string& path, std::int64_t start_ms, std::int64_t interval_ms);

}  // namespace citytwin
