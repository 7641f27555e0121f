// Buildings from OSM footprints: area from the polygon, floors and use from tags, placed at the nearest road.
#include <fmt/format.h>

#include <algorithm>

#include "engine/grid/building_stock.hpp"
#include "engine/grid/building_tags.hpp"
#include "engine/grid/load_profile.hpp"
#include "engine/grid/nearest_road_node.hpp"
#include "engine/grid/osm_grid_scan.hpp"
#include "engine/import/import_error.hpp"

namespace citytwin {

namespace {

constexpr double min_footprint_m2 = 1;      // smaller outlines are mapping slips, not buildings
constexpr double far_from_roads_m = 1'000;  // reported: the service drop would be implausibly long
constexpr std::size_t max_examples = 12;

std::string describe_osm(std::int64_t osm_id) {
  return osm_id < 0 ? fmt::format("relation {}", -osm_id) : fmt::format("way {}", osm_id);
}

// A landuse area that types the untyped buildings inside it.
struct landuse_zone {
  building_type type = building_type::industrial;
  lon_lat low, high;  // bounding box
  const osm_polygon* polygon = nullptr;
};

std::vector<landuse_zone> landuse_zones(const std::vector<osm_polygon>& polygons) {
  std::vector<landuse_zone> zones;
  for (const osm_polygon& p : polygons) {
    const std::string_view building = p.tag("building");
    if (!building.empty() && building != "no") continue;
    const std::string_view landuse = p.tag("landuse");
    landuse_zone z;
    if (landuse == "industrial")
      z.type = building_type::industrial;
    else if (landuse == "commercial" || landuse == "retail")
      z.type = building_type::commercial;
    else
      continue;
    z.low = z.high = p.outer_rings.front().front();
    for (const auto& ring : p.outer_rings)
      for (const lon_lat& q : ring) {
        z.low = {std::min(z.low.lon, q.lon), std::min(z.low.lat, q.lat)};
        z.high = {std::max(z.high.lon, q.lon), std::max(z.high.lat, q.lat)};
      }
    z.polygon = &p;
    zones.push_back(z);
  }
  return zones;
}

bool zone_contains(const landuse_zone& z, lon_lat q) {
  if (q.lon < z.low.lon || q.lon > z.high.lon || q.lat < z.low.lat || q.lat > z.high.lat) return false;
  bool in_outer = false;
  for (const auto& ring : z.polygon->outer_rings) in_outer = in_outer || ring_contains(ring, q);
  if (!in_outer) return false;
  for (const auto& ring : z.polygon->inner_rings)
    if (ring_contains(ring, q)) return false;
  return true;
}

// Industrial landuse wins over commercial where both contain the point (they seldom overlap).
std::optional<building_type> landuse_type_at(const std::vector<landuse_zone>& zones, lon_lat q) {
  std::optional<building_type> found;
  for (const landuse_zone& z : zones) {
    if (!zone_contains(z, q)) continue;
    if (z.type == building_type::industrial) return z.type;
    found = z.type;
  }
  return found;
}

}  // namespace

osm_scan_request building_scan_request() {
  osm_scan_request request;
  request.polygon_rules = {{"building", {}}, {"landuse", {"industrial", "commercial", "retail"}}};
  request.node_rules = {{"entrance", {}}};
  request.tag_keys_kept = {"building",   "amenity",         "shop",       "office",   "tourism",
                           "healthcare", "craft",           "industrial", "man_made", "power",
                           "landuse",    "building:levels", "height",     "entrance"};
  return request;
}

std::vector<building_spec> read_osm_buildings(const std::string& path, const city_graph& graph,
                                              osm_building_stats* stats) {
  if (graph.nodes.empty())
    throw import_error(path, "", "", "the road graph has no nodes to attach buildings to");
  return buildings_from_scan(scan_osm_areas(path, building_scan_request()), path, graph, stats);
}

std::vector<building_spec> buildings_from_scan(const osm_scan_result& scan, const std::string& path,
                                               const city_graph& graph, osm_building_stats* stats_out) {
  osm_building_stats stats;
  if (graph.nodes.empty())
    throw import_error(path, "", "", "the road graph has no nodes to attach buildings to");
  const nearest_road_node_index nearest(graph);
  if (!nearest.frame().geographic())
    throw import_error(path, "", "",
                       "the road graph '" + graph.name +
                           "' is not in longitude/latitude, so OSM buildings cannot be placed on it");
  const std::vector<landuse_zone> zones = landuse_zones(scan.polygons);
  auto example = [&](std::string text) {
    if (stats.examples.size() < max_examples) stats.examples.push_back(std::move(text));
  };

  std::vector<building_spec> buildings;
  for (const osm_polygon& p : scan.polygons) {
    building_tag_values tags;
    tags.building = p.tag("building");
    if (tags.building.empty() || tags.building == "no") continue;  // a landuse area
    ++stats.footprints;
    tags.amenity = p.tag("amenity");
    tags.shop = p.tag("shop");
    tags.office = p.tag("office");
    tags.tourism = p.tag("tourism");
    tags.healthcare = p.tag("healthcare");
    tags.craft = p.tag("craft");
    tags.industrial = p.tag("industrial");
    tags.man_made = p.tag("man_made");
    tags.power = p.tag("power");
    tags.landuse = p.tag("landuse");
    tags.levels = p.tag("building:levels");
    tags.height = p.tag("height");

    building_reading reading = read_building_tags(tags);
    if (!reading.served) {
      ++stats.unserved_structures;
      continue;
    }
    const polygon_measure footprint = measure_polygon(p.outer_rings, p.inner_rings);
    if (!(footprint.area_m2 >= min_footprint_m2)) {
      ++stats.degenerate_footprints;
      example(fmt::format("{}: footprint of {:.2f} m2 left out (under {} m2)", describe_osm(p.osm_id),
                          footprint.area_m2, min_footprint_m2));
      continue;
    }
    if (!reading.type_from_tags) {
      if (auto type = landuse_type_at(zones, footprint.centroid)) {
        reading.type = *type;
        ++stats.typed_by_landuse;
        if (reading.levels_from == levels_source::type_default ||
            reading.levels_from == levels_source::unreadable_tag)
          reading.levels = default_levels(*type);
      }
    }
    switch (reading.levels_from) {
      case levels_source::tagged:
        ++stats.levels_tagged;
        break;
      case levels_source::from_height:
        ++stats.levels_from_height;
        break;
      case levels_source::type_default:
        ++stats.levels_defaulted;
        break;
      case levels_source::unreadable_tag:
        ++stats.unreadable_levels;
        example(fmt::format(
            "{}: building:levels '{}' / height '{}' is not a usable number; used the {} default of {}",
            describe_osm(p.osm_id), tags.levels, tags.height, to_string(reading.type), reading.levels));
        break;
    }

    // The entrance, when one is mapped on the outline, says which street the building is served from.
    lon_lat entrance = footprint.centroid;
    for (std::int64_t id : p.outline_node_ids) {
      auto it = std::lower_bound(scan.nodes.begin(), scan.nodes.end(), id,
                                 [](const osm_point& n, std::int64_t wanted) { return n.osm_id < wanted; });
      if (it != scan.nodes.end() && it->osm_id == id && !it->tag("entrance").empty() &&
          it->tag("entrance") != "no") {
        entrance = it->where;
        ++stats.entrances_used;
        break;
      }
    }
    const auto road = nearest.nearest(entrance.lon, entrance.lat);
    if (road.distance_m > far_from_roads_m) {
      ++stats.far_from_roads;
      example(fmt::format("{}: {:.0f} m from the nearest road node ({}) of the graph", describe_osm(p.osm_id),
                          road.distance_m, graph.nodes[road.node].external_id));
    }

    building_spec b;
    b.id = buildings.size();
    b.osm_id = p.osm_id;
    b.type = reading.type;
    b.footprint_m2 = footprint.area_m2;
    b.levels = reading.levels;
    b.floor_area_m2 = footprint.area_m2 * reading.levels;
    b.occupants = occupants_for(b.type, b.floor_area_m2);
    b.x = entrance.lon;
    b.y = entrance.lat;
    b.nearest_road_node = road.node;
    b.peak_kw = peak_kw_for(b.type, b.floor_area_m2);
    b.power_factor = parameters_of(b.type).power_factor;
    buildings.push_back(b);
  }
  stats.kept = buildings.size();
  if (stats_out != nullptr) *stats_out = std::move(stats);
  return buildings;
}

}  // namespace citytwin
