// libosmium's area assembly behind a small interface: buildings, landuse and substations all need polygons.
#include "engine/grid/osm_area_scan.hpp"

#include <algorithm>
#include <filesystem>
#include <osmium/area/assembler.hpp>
#include <osmium/area/multipolygon_manager.hpp>
#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/relations/relations_manager.hpp>
#include <osmium/tags/tags_filter.hpp>
#include <osmium/visitor.hpp>

#include "engine/import/import_error.hpp"

namespace citytwin {

namespace {

std::string_view find_tag(const std::vector<osm_tag>& tags, std::string_view key) {
  for (const osm_tag& t : tags)
    if (t.key == key) return t.value;
  return {};
}

osmium::TagsFilter make_filter(const std::vector<osm_tag_rule>& rules) {
  osmium::TagsFilter filter{false};
  for (const osm_tag_rule& rule : rules) {
    if (rule.values.empty()) filter.add_rule(true, osmium::TagMatcher{rule.key});
    for (const std::string& value : rule.values) filter.add_rule(true, osmium::TagMatcher{rule.key, value});
  }
  return filter;
}

std::vector<osm_tag> copy_tags(const osmium::TagList& tags, const std::vector<std::string>& kept) {
  std::vector<osm_tag> out;
  for (const osmium::Tag& t : tags)
    if (kept.empty() || std::find(kept.begin(), kept.end(), t.key()) != kept.end())
      out.push_back({t.key(), t.value()});
  return out;
}

std::vector<lon_lat> ring_points(const osmium::NodeRefList& ring, std::vector<std::int64_t>* ids) {
  std::vector<lon_lat> points;
  points.reserve(ring.size());
  for (const osmium::NodeRef& ref : ring) {
    points.push_back({ref.location().lon(), ref.location().lat()});
    if (ids != nullptr) ids->push_back(ref.ref());
  }
  return points;
}

class collector : public osmium::handler::Handler {
 public:
  collector(const osm_scan_request& request, osm_scan_result& result)
      : request_(request), node_filter_(make_filter(request.node_rules)), result_(result) {}

  void node(const osmium::Node& node) {
    if (request_.node_rules.empty() || !node.location().valid()) return;
    if (!osmium::tags::match_any_of(node.tags(), node_filter_)) return;
    result_.nodes.push_back({node.id(),
                             {node.location().lon(), node.location().lat()},
                             copy_tags(node.tags(), request_.tag_keys_kept)});
  }

  void area(const osmium::Area& area) {
    osm_polygon p;
    p.osm_id = area.from_way() ? area.orig_id() : -area.orig_id();
    p.tags = copy_tags(area.tags(), request_.tag_keys_kept);
    for (const osmium::OuterRing& outer : area.outer_rings()) {
      p.outer_rings.push_back(ring_points(outer, &p.outline_node_ids));
      for (const osmium::InnerRing& inner : area.inner_rings(outer))
        p.inner_rings.push_back(ring_points(inner, nullptr));
    }
    if (!p.outer_rings.empty()) result_.polygons.push_back(std::move(p));
  }

 private:
  const osm_scan_request& request_;
  osmium::TagsFilter node_filter_;
  osm_scan_result& result_;
};

}  // namespace

std::string_view osm_polygon::tag(std::string_view key) const { return find_tag(tags, key); }
std::string_view osm_point::tag(std::string_view key) const { return find_tag(tags, key); }

osm_scan_result scan_osm_areas(const std::string& path, const osm_scan_request& request) {
  if (!std::filesystem::exists(path)) throw import_error(path, "", "", "no such file");
  osm_scan_result result;
  try {
    osmium::area::Assembler::config_type assembler_config;
    osmium::area::MultipolygonManager<osmium::area::Assembler> manager{assembler_config,
                                                                       make_filter(request.polygon_rules)};
    osmium::relations::read_relations(osmium::io::File{path}, manager);

    using location_index = osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location>;
    location_index index;
    osmium::handler::NodeLocationsForWays<location_index> locations{index};
    locations.ignore_errors();  // ways reaching outside the extract are simply not closed polygons
    collector collect(request, result);
    osmium::io::Reader reader{path};
    osmium::apply(reader, locations, collect, manager.handler([&collect](osmium::memory::Buffer&& buffer) {
      osmium::apply(buffer, collect);
    }));
    reader.close();
  } catch (const import_error&) {
    throw;
  } catch (const std::exception& e) {
    throw import_error(path, "", "", std::string("not a readable OpenStreetMap file: ") + e.what());
  }
  // Ways (positive ids) first, then relations; each ascending.
  std::sort(result.polygons.begin(), result.polygons.end(), [](const osm_polygon& a, const osm_polygon& b) {
    if ((a.osm_id < 0) != (b.osm_id < 0)) return a.osm_id > 0;
    return a.osm_id < 0 ? a.osm_id > b.osm_id : a.osm_id < b.osm_id;
  });
  std::sort(result.nodes.begin(), result.nodes.end(),
            [](const osm_point& a, const osm_point& b) { return a.osm_id < b.osm_id; });
  return result;
}

}  // namespace citytwin
