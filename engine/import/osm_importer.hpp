#pragma once
// OpenStreetMap extract (.osm.pbf, .osm, .osm.gz, .osm.bz2) -> city_graph, via libosmium.

#include <string>

#include "engine/city/city_graph.hpp"

namespace citytwin {

struct osm_import_options {
  // Nodes with at least this many incident drivable segments become trip zones
  // (the OSM file carries no demand; the simulate command synthesizes it between zones).
  int zone_min_degree = 3;
};

// Throws import_error (file, OSM id, field, reason) on malformed input; returns nothing half-built.
city_graph import_osm(const std::string& path, const osm_import_options& options = {});

}  // namespace citytwin
