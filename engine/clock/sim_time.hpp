#pragma once
// Simulated time is an integer count of milliseconds; seconds appear only at the edges.

#include <cstdint>
#include <string>
#include <string_view>

namespace citytwin {

using sim_time = std::int64_t;  // milliseconds since the start of the run

inline constexpr sim_time ms_per_second = 1000;
inline constexpr sim_time ms_per_hour = 3600 * ms_per_second;
inline constexpr sim_time never = INT64_MAX;

constexpr double to_seconds(sim_time t) { return static_cast<double>(t) / ms_per_second; }

// Parses "90", "90s", "15m", "1h", "1h30m", "1500ms"; a bare number is seconds.
// Throws std::invalid_argument with the offending text.
sim_time parse_duration(std::string_view text);

// "1:02:03" style for progress output.
std::string format_clock(sim_time t);

}  // namespace citytwin
