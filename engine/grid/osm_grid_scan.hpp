#pragma once
// One scan of an OSM file for everything the grid needs, so a city grid reads its extract only once.
// It covers buildings, landuse, entrances and substations; read_osm_buildings and read_osm_substations are
// the single-purpose forms.

#include <string>
#include <vector>

#include "engine/grid/building_stock.hpp"
#include "engine/grid/osm_area_scan.hpp"
#include "engine/grid/substation_sites.hpp"

namespace citytwin {

osm_scan_request building_scan_request();
osm_scan_request substation_scan_request();
osm_scan_request combined_scan_request(const osm_scan_request& a, const osm_scan_request& b);

// `path` only names the file in messages; the scan must have been made with (at least) the matching request.
std::vector<building_spec> buildings_from_scan(const osm_scan_result& scan, const std::string& path,
                                               const city_graph& graph, osm_building_stats* stats);
std::vector<substation_site> substations_from_scan(const osm_scan_result& scan, const std::string& path,
                                                   const city_graph& graph, osm_substation_stats* stats);

}  // namespace citytwin
