#pragma once
// One pass over an OSM file yielding tagged polygons and tagged nodes, hiding libosmium's area machinery.
// Polygons are closed ways and multipolygon relations, assembled by libosmium (two passes for relations).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/grid/footprint_geometry.hpp"

namespace citytwin {

struct osm_tag {
  std::string key;
  std::string value;
};

struct osm_polygon {
  std::int64_t osm_id = 0;  // way id, or minus the relation id
  std::vector<osm_tag> tags;
  std::vector<std::vector<lon_lat>> outer_rings;
  std::vector<std::vector<lon_lat>> inner_rings;
  std::vector<std::int64_t> outline_node_ids;  // the outer rings' node ids, in ring order

  [[nodiscard]] std::string_view tag(std::string_view key) const;  // empty if absent
};

struct osm_point {
  std::int64_t osm_id = 0;
  lon_lat where;
  std::vector<osm_tag> tags;

  [[nodiscard]] std::string_view tag(std::string_view key) const;
};

// Which objects the scan keeps: polygons and nodes having one of these keys (with one of the values, when
// values are given). Polygons are built only for these, so the scan stays cheap.
struct osm_tag_rule {
  std::string key;
  std::vector<std::string> values;  // empty: any value
};

struct osm_scan_request {
  std::vector<osm_tag_rule> polygon_rules;
  std::vector<osm_tag_rule> node_rules;
  std::vector<std::string> tag_keys_kept;  // tags copied onto results; empty keeps all
};

struct osm_scan_result {
  std::vector<osm_polygon> polygons;  // sorted: ways by id, then relations by id
  std::vector<osm_point> nodes;       // sorted by id
};

// Throws import_error (file, reason) when the file is missing or unreadable.
osm_scan_result scan_osm_areas(const std::string& path, const osm_scan_request& request);

}  // namespace citytwin
