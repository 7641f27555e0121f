// Footprint areas and road-graph distances in metres, from longitude/latitude, without a projection library.
#include "engine/grid/footprint_geometry.hpp"

#include <algorithm>
#include <cmath>

namespace citytwin {

namespace {

constexpr double earth_radius_m = 6'371'008.8;  // mean radius, as the OSM importer's haversine uses
constexpr double degrees_to_radians = M_PI / 180;

struct ring_sums {
  double twice_area = 0;  // signed, shoelace
  double cx_times_6a = 0;
  double cy_times_6a = 0;
};

ring_sums sum_ring(const std::vector<lon_lat>& ring, const local_projection& projection) {
  ring_sums s;
  const std::size_t n = ring.size();
  if (n < 3) return s;
  for (std::size_t i = 0; i < n; ++i) {
    const point_m a = projection.to_metres(ring[i]);
    const point_m b = projection.to_metres(ring[(i + 1) % n]);  // a closing repeat adds a zero term
    const double cross = a.x * b.y - b.x * a.y;
    s.twice_area += cross;
    s.cx_times_6a += (a.x + b.x) * cross;
    s.cy_times_6a += (a.y + b.y) * cross;
  }
  return s;
}

}  // namespace

local_projection::local_projection(lon_lat origin)
    : origin_lon(origin.lon),
      origin_lat(origin.lat),
      metres_per_degree_lon(earth_radius_m * degrees_to_radians * std::cos(origin.lat * degrees_to_radians)),
      metres_per_degree_lat(earth_radius_m * degrees_to_radians) {}

point_m local_projection::to_metres(lon_lat p) const {
  return {(p.lon - origin_lon) * metres_per_degree_lon, (p.lat - origin_lat) * metres_per_degree_lat};
}

polygon_measure measure_polygon(const std::vector<std::vector<lon_lat>>& outer_rings,
                                const std::vector<std::vector<lon_lat>>& inner_rings) {
  polygon_measure m;
  if (outer_rings.empty() || outer_rings.front().empty()) return m;
  const local_projection projection(outer_rings.front().front());
  double area = 0, cx = 0, cy = 0;
  // Each ring counts by its absolute area, outers positive and inners negative, whatever their winding.
  auto add = [&](const std::vector<lon_lat>& ring, double sign) {
    const ring_sums s = sum_ring(ring, projection);
    if (s.twice_area == 0) return;
    const double ring_area = std::abs(s.twice_area) / 2;
    const double ring_cx = s.cx_times_6a / (3 * s.twice_area);
    const double ring_cy = s.cy_times_6a / (3 * s.twice_area);
    area += sign * ring_area;
    cx += sign * ring_area * ring_cx;
    cy += sign * ring_area * ring_cy;
  };
  for (const auto& ring : outer_rings) add(ring, 1);
  for (const auto& ring : inner_rings) add(ring, -1);
  m.area_m2 = std::max(0.0, area);
  m.centroid = outer_rings.front().front();
  if (area > 0) {
    m.centroid.lon = projection.origin_lon + (cx / area) / projection.metres_per_degree_lon;
    m.centroid.lat = projection.origin_lat + (cy / area) / projection.metres_per_degree_lat;
  }
  return m;
}

bool ring_contains(const std::vector<lon_lat>& ring, lon_lat p) {
  bool inside = false;
  const std::size_t n = ring.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const lon_lat& a = ring[i];
    const lon_lat& b = ring[j];
    if ((a.lat > p.lat) != (b.lat > p.lat) &&
        p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon)
      inside = !inside;
  }
  return inside;
}

graph_frame::graph_frame(const city_graph& graph) {
  if (graph.nodes.empty()) return;
  double min_x = graph.nodes.front().x, max_x = min_x, min_y = graph.nodes.front().y, max_y = min_y;
  for (const road_node& n : graph.nodes) {
    min_x = std::min(min_x, n.x);
    max_x = std::max(max_x, n.x);
    min_y = std::min(min_y, n.y);
    max_y = std::max(max_y, n.y);
  }
  // Longitude/latitude: inside the valid ranges and spanning under 5 degrees (a city, not a projected grid
  // whose units happen to be small).
  geographic_ = min_x >= -180 && max_x <= 180 && min_y >= -90 && max_y <= 90 && max_x - min_x < 5 &&
                max_y - min_y < 5 && (max_x > min_x || max_y > min_y);
  if (!geographic_) return;
  projection_ = local_projection({(min_x + max_x) / 2, (min_y + max_y) / 2});
  // Small projected coordinates (a TNTP grid in km) also fit those ranges: where the graph states road
  // lengths, they must agree with the distances the coordinates give, read as degrees, within a factor of a
  // few.
  std::vector<double> ratios;
  for (const road_segment_spec& s : graph.segments) {
    const road_node& a = graph.nodes[s.from];
    const road_node& b = graph.nodes[s.to];
    const point_m pa = projection_.to_metres({a.x, a.y}), pb = projection_.to_metres({b.x, b.y});
    const double straight = std::hypot(pa.x - pb.x, pa.y - pb.y);
    if (s.length_m > 0 && straight > 0) ratios.push_back(s.length_m / straight);
  }
  if (ratios.empty()) return;
  std::nth_element(ratios.begin(), ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2),
                   ratios.end());
  const double median = ratios[ratios.size() / 2];
  geographic_ = median > 0.5 && median < 5;
}

point_m graph_frame::to_metres(double x, double y) const {
  return geographic_ ? projection_.to_metres({x, y}) : point_m{x, y};
}

lon_lat graph_frame::to_graph(point_m p) const {
  if (!geographic_) return {p.x, p.y};
  return {projection_.origin_lon + p.x / projection_.metres_per_degree_lon,
          projection_.origin_lat + p.y / projection_.metres_per_degree_lat};
}

}  // namespace citytwin
