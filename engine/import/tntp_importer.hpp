#pragma once
// TNTP networks, trip tables and node coordinates -> city_graph.

#include <optional>
#include <string>

#include "engine/city/city_graph.hpp"

namespace citytwin {

// TNTP files carry no units; each network states its own (README) and the user may override.
struct tntp_units {
  double seconds_per_time_unit = 60;    // free-flow time column; minutes unless stated
  double metres_per_length_unit = 1609.344;  // length column; miles unless stated
  double capacity_per_hour_factor = 1;  // capacity column x factor = vehicles per hour
  double trips_per_hour_factor = 1;     // trip table x factor = vehicles per hour
};

struct tntp_files {
  std::string network;                  // *_net.tntp, required
  std::optional<std::string> trips;     // *_trips.tntp
  std::optional<std::string> nodes;     // *_node.tntp (coordinates)
};

// Throws import_error on malformed input.
city_graph import_tntp(const tntp_files& files, const tntp_units& units, std::string name = {});

}  // namespace citytwin
