// Substation sites: mapped ones snapped to the roads, or placed deterministically at the centres of load.
#include "engine/grid/substation_sites.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/grid/feeder_equipment.hpp"
#include "engine/grid/nearest_road_node.hpp"
#include "engine/grid/osm_grid_scan.hpp"
#include "engine/import/import_error.hpp"
#include "engine/random/counter_rng.hpp"

namespace citytwin {

namespace {

constexpr double max_snap_distance_m = 1'000;
constexpr int k_means_iterations = 25;
constexpr std::uint64_t placement_entity = 0x5355'4253'5441'5449ULL;  // "SUBSTATI": the draws' own stream

struct weighted_point {
  point_m where;
  double weight = 0;
  node_index node = 0;
};

std::size_t pick_by_weight(const std::vector<double>& weights, double unit) {
  double total = 0;
  for (double w : weights) total += w;
  double target = unit * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (target < weights[i]) return i;
    target -= weights[i];
  }
  return weights.size() - 1;
}

double squared_distance(point_m a, point_m b) {
  return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y);
}

std::size_t nearest_center(const std::vector<point_m>& centers, point_m p) {
  std::size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < centers.size(); ++c) {
    const double d = squared_distance(centers[c], p);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace

std::string_view to_string(substation_origin origin) {
  switch (origin) {
    case substation_origin::mapped:
      return "mapped";
    case substation_origin::placed:
      return "placed";
    case substation_origin::added_for_voltage:
      return "added for voltage";
  }
  return "unknown";
}

osm_scan_request substation_scan_request() {
  osm_scan_request request;
  request.polygon_rules = {{"power", {"substation"}}};
  request.node_rules = {{"power", {"substation"}}};
  request.tag_keys_kept = {"power", "substation", "name"};
  return request;
}

osm_scan_request combined_scan_request(const osm_scan_request& a, const osm_scan_request& b) {
  osm_scan_request c = a;
  c.polygon_rules.insert(c.polygon_rules.end(), b.polygon_rules.begin(), b.polygon_rules.end());
  c.node_rules.insert(c.node_rules.end(), b.node_rules.begin(), b.node_rules.end());
  if (a.tag_keys_kept.empty() || b.tag_keys_kept.empty()) {
    c.tag_keys_kept.clear();  // one keeps every tag, so the union does
  } else {
    for (const std::string& key : b.tag_keys_kept)
      if (std::find(c.tag_keys_kept.begin(), c.tag_keys_kept.end(), key) == c.tag_keys_kept.end())
        c.tag_keys_kept.push_back(key);
  }
  return c;
}

std::vector<substation_site> read_osm_substations(const std::string& path, const city_graph& graph,
                                                  osm_substation_stats* stats) {
  if (graph.nodes.empty())
    throw import_error(path, "", "", "the road graph has no nodes to attach substations to");
  return substations_from_scan(scan_osm_areas(path, substation_scan_request()), path, graph, stats);
}

std::vector<substation_site> substations_from_scan(const osm_scan_result& scan, const std::string& path,
                                                   const city_graph& graph, osm_substation_stats* stats_out) {
  osm_substation_stats stats;
  if (graph.nodes.empty())
    throw import_error(path, "", "", "the road graph has no nodes to attach substations to");
  const nearest_road_node_index nearest(graph);
  if (!nearest.frame().geographic())
    throw import_error(path, "", "",
                       "the road graph '" + graph.name +
                           "' is not in longitude/latitude, so OSM substations cannot be placed on it");

  std::vector<substation_site> sites;
  auto consider = [&](const std::string& object, lon_lat where, std::string_view kind,
                      std::string_view name) {
    ++stats.mapped;
    if (kind == "traction") {
      ++stats.railway_traction;
      return;
    }
    const auto road = nearest.nearest(where.lon, where.lat);
    if (road.distance_m > max_snap_distance_m) {
      ++stats.beyond_roads;
      return;
    }
    if (std::any_of(sites.begin(), sites.end(),
                    [&](const substation_site& s) { return s.road_node == road.node; })) {
      ++stats.sharing_a_road_node;
      return;
    }
    substation_site s;
    s.road_node = road.node;
    s.x = where.lon;
    s.y = where.lat;
    s.origin = substation_origin::mapped;
    s.osm_object = object;
    s.name = name.empty() ? object : std::string(name);
    sites.push_back(std::move(s));
  };
  for (const osm_polygon& p : scan.polygons) {
    if (p.tag("power") != "substation") continue;  // a combined scan also holds buildings and landuse
    const polygon_measure m = measure_polygon(p.outer_rings, p.inner_rings);
    const std::string object =
        p.osm_id < 0 ? fmt::format("relation {}", -p.osm_id) : fmt::format("way {}", p.osm_id);
    consider(object, m.centroid, p.tag("substation"), p.tag("name"));
  }
  for (const osm_point& n : scan.nodes)
    if (n.tag("power") == "substation")
      consider(fmt::format("node {}", n.osm_id), n.where, n.tag("substation"), n.tag("name"));
  if (stats_out != nullptr) *stats_out = stats;
  return sites;
}

std::vector<substation_site> place_substations(const city_graph& graph,
                                               const std::vector<building_spec>& buildings,
                                               std::uint64_t seed) {
  const nearest_road_node_index nearest(graph);
  const graph_frame& frame = nearest.frame();
  // Load (kVA) per road node, in node order: the points to cluster.
  std::vector<double> node_kva(graph.nodes.size(), 0);
  for (const building_spec& b : buildings) node_kva.at(b.nearest_road_node) += b.peak_kw / b.power_factor;
  std::vector<weighted_point> points;
  double total_kva = 0;
  for (node_index n = 0; n < graph.nodes.size(); ++n) {
    if (!(node_kva[n] > 0)) continue;
    points.push_back({frame.to_metres(graph.nodes[n].x, graph.nodes[n].y), node_kva[n], n});
    total_kva += node_kva[n];
  }
  std::vector<point_m> centers;
  if (points.empty()) {
    // Nothing to serve: one substation in the middle of the road network.
    point_m middle{0, 0};
    for (const road_node& n : graph.nodes) {
      const point_m p = frame.to_metres(n.x, n.y);
      middle.x += p.x / static_cast<double>(graph.nodes.size());
      middle.y += p.y / static_cast<double>(graph.nodes.size());
    }
    centers.push_back(middle);
  } else {
    const auto wanted = static_cast<std::size_t>(std::ceil(total_kva / (substation_planning_mva * 1000)));
    const std::size_t k = std::clamp<std::size_t>(wanted, 1, points.size());
    // k-means++ start: the first centre by load, each next one by load x squared distance to the nearest.
    std::vector<double> weights(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) weights[i] = points[i].weight;
    std::uint64_t draw = 0;
    centers.push_back(points[pick_by_weight(weights, random_unit(seed, placement_entity, draw++))].where);
    while (centers.size() < k) {
      for (std::size_t i = 0; i < points.size(); ++i)
        weights[i] = points[i].weight *
                     squared_distance(points[i].where, centers[nearest_center(centers, points[i].where)]);
      centers.push_back(points[pick_by_weight(weights, random_unit(seed, placement_entity, draw++))].where);
    }
    // Lloyd iterations, weighted by load; a centre that loses all its points stays where it is.
    for (int iteration = 0; iteration < k_means_iterations; ++iteration) {
      std::vector<point_m> sum(k, point_m{0, 0});
      std::vector<double> weight(k, 0);
      for (const weighted_point& p : points) {
        const std::size_t c = nearest_center(centers, p.where);
        sum[c].x += p.where.x * p.weight;
        sum[c].y += p.where.y * p.weight;
        weight[c] += p.weight;
      }
      for (std::size_t c = 0; c < k; ++c)
        if (weight[c] > 0) centers[c] = {sum[c].x / weight[c], sum[c].y / weight[c]};
    }
  }
  std::vector<substation_site> sites;
  for (const point_m& c : centers) {
    const lon_lat at = frame.to_graph(c);
    const auto road = nearest.nearest(at.lon, at.lat);
    if (std::any_of(sites.begin(), sites.end(),
                    [&](const substation_site& s) { return s.road_node == road.node; }))
      continue;
    substation_site s;
    s.road_node = road.node;
    s.x = at.lon;
    s.y = at.lat;
    s.origin = substation_origin::placed;
    s.name = fmt::format("placed {}", sites.size() + 1);
    sites.push_back(std::move(s));
  }
  return sites;
}

}  // namespace citytwin
