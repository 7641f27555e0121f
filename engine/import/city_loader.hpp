#pragma once
// Finds and imports a city: a directory with a city.json manifest, a TNTP *_net.tntp file,
// or an OpenStreetMap extract; a directory without city.json holding exactly one of those (a TNTP
// network's folder as published) loads that one.

#include <optional>
#include <string>

#include "engine/city/city_graph.hpp"
#include "engine/import/osm_importer.hpp"
#include "engine/import/tntp_importer.hpp"

namespace citytwin {

// Unit readings the user states on the command line; each overrides the manifest's.
struct unit_overrides {
  std::optional<double> seconds_per_time_unit;
  std::optional<double> metres_per_length_unit;
  std::optional<double> capacity_per_hour_factor;
  std::optional<double> trips_per_hour_factor;
};

// Generalized cost weights a network states (TNTP README), in its own time units.
struct cost_weights {
  double toll_per_unit = 0;      // time units per toll unit
  double distance_per_unit = 0;  // time units per length unit
};

struct loaded_city {
  city_graph graph;
  std::string source;      // what was read, for the report
  std::string units_note;  // how the source's units were read
  tntp_units units;        // the reading used (TNTP); assignment reports in these units
  cost_weights weights;
  bool geographic = false;  // node coordinates are longitude/latitude (OSM)
};

// Throws import_error naming the file and reason.
loaded_city load_city(const std::string& path, const unit_overrides& overrides = {});

}  // namespace citytwin
