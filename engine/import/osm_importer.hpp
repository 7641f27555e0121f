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

// What the import kept, dropped and guessed, for the user to judge the extract.
struct osm_import_stats {
  std::size_t drivable_ways = 0;
  std::size_t missing_node_refs = 0;      // references to nodes outside the extract
  std::size_t zero_length_pieces = 0;
  std::size_t unreadable_maxspeed = 0;    // class default used instead
  std::size_t unreadable_lanes = 0;
  std::size_t segments_outside_largest_component = 0;
};

// Throws import_error (file, OSM id, field, reason) on malformed input; returns nothing half-built.
city_graph import_osm(const std::string& path, const osm_import_options& options = {},
                      osm_import_stats* stats = nullptr);

}  // namespace citytwin
