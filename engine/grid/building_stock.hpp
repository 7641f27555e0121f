#pragma once
// The buildings a city's grid serves: read from OSM footprints, or synthesized per zone from trip ends.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/import/city_loader.hpp"

namespace citytwin {

enum class building_type : std::uint8_t { residential, commercial, industrial, public_use };

std::string_view to_string(building_type type);

struct building_spec {
  std::uint64_t id = 0;     // position in the stock (OSM: sorted by way id, then relation id)
  std::int64_t osm_id = 0;  // way id; a multipolygon relation as minus its id; 0 if synthetic
  building_type type = building_type::residential;
  double footprint_m2 = 0;   // ground area of the outline (OSM); floor area / levels (synthetic)
  double levels = 1;         // floors above ground used for the floor area
  double floor_area_m2 = 0;  // footprint x levels (OSM) or the zone's share (synthetic)
  double occupants = 0;      // design occupancy: floor area / floor area per occupant of the type
  double x = 0, y = 0;       // entrance (or centroid), in the road graph's coordinate system
  node_index nearest_road_node = 0;
  double peak_kw = 0;  // floor area x the type's load density (load_profile.hpp)
  double power_factor = 1;
  std::int64_t feeder_bus = -1;  // the low-voltage bus that feeds it; -1 until the feeders are built
};

// What the OSM reader kept, skipped and guessed, so the user can judge the extract.
struct osm_building_stats {
  std::size_t footprints = 0;  // closed ways and multipolygons tagged building=*
  std::size_t kept = 0;
  std::size_t unserved_structures =
      0;  // roofs, carports, garages, ruins, power equipment (building_tags.hpp)
  std::size_t degenerate_footprints = 0;  // footprint under 1 m2: a mapping error, not a building
  std::size_t levels_tagged = 0;
  std::size_t levels_from_height = 0;
  std::size_t levels_defaulted = 0;   // no building:levels or height: the type's default
  std::size_t unreadable_levels = 0;  // building:levels or height present but not a usable number
  std::size_t typed_by_landuse = 0;   // building=yes inside landuse=industrial/commercial/retail
  std::size_t entrances_used = 0;     // entrance=* node on the outline placed the building
  std::size_t far_from_roads = 0;     // entrance more than 1 km from the nearest road node
  std::vector<std::string> examples;  // the first few unusual cases, with OSM id, field and value
};

// Buildings from an OSM extract (.osm.pbf, .osm, .osm.gz, .osm.bz2), attached to the nearest node of
// `graph` (whose coordinates must be longitude/latitude, as import_osm gives them). Sorted by OSM id.
// Throws import_error naming the file and reason when it cannot be read.
std::vector<building_spec> read_osm_buildings(const std::string& path, const city_graph& graph,
                                              osm_building_stats* stats = nullptr);

// How many square metres of floor a trip end stands for, and how big a typical synthetic building is.
// Calibrated for daily-scale trip tables such as Sioux Falls (360,600 trips): ITE Trip Generation gives
// about 9.4 daily vehicle trip ends per dwelling (4.7 productions), so a 90 m2 dwelling is ~20 m2 per
// production; offices and shops attract about 10-12 daily trips per 100 m2 (ITE 710/820), so with
// industry and public buildings mixed in, ~15 m2 of non-residential floor per attracted trip.
struct synthetic_stock_factors {
  double residential_m2_per_production = 20;
  double commercial_m2_per_attraction = 9;
  double industrial_m2_per_attraction = 3;
  double public_m2_per_attraction = 3;
  // Typical building: a small apartment block, a shop/office block, a workshop, a school.
  double typical_residential_m2 = 600;
  double typical_commercial_m2 = 1'500;
  double typical_industrial_m2 = 3'000;
  double typical_public_m2 = 2'000;
  // Each building's share of its zone's floor area varies by up to this fraction (seeded); zone totals are
  // exact.
  double size_spread = 0.5;
};

// A building stock for a city without buildings (TNTP): per zone, floor area by type proportional to its
// trip productions (residential) and attractions (the rest), split into buildings of about the typical size,
// all placed at the zone's node. Only the split of a zone's area among its buildings depends on the seed.
std::vector<building_spec> synthetic_buildings(const loaded_city& city, std::uint64_t seed,
                                               const synthetic_stock_factors& factors = {});

}  // namespace citytwin
