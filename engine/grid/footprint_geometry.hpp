#pragma once
// Plane geometry on footprints and the road graph's coordinates: areas, centroids, containment, metres.

#include <vector>

#include "engine/city/city_graph.hpp"

namespace citytwin {

struct lon_lat {
  double lon = 0;
  double lat = 0;
};

struct point_m {
  double x = 0;
  double y = 0;
};

// Local equirectangular projection around an origin: x east, y north, in metres. Within a few km of the
// origin the area error is far below 0.1 %, which is all a footprint or a city district needs.
struct local_projection {
  double origin_lon = 0;
  double origin_lat = 0;
  double metres_per_degree_lon = 0;
  double metres_per_degree_lat = 0;

  explicit local_projection(lon_lat origin);
  [[nodiscard]] point_m to_metres(lon_lat p) const;
};

struct polygon_measure {
  double area_m2 = 0;  // outer rings minus inner rings
  lon_lat centroid;    // area-weighted; the first vertex if the area is zero
};

// Rings as closed vertex lists (first == last or not; both work), projected around their first vertex.
polygon_measure measure_polygon(const std::vector<std::vector<lon_lat>>& outer_rings,
                                const std::vector<std::vector<lon_lat>>& inner_rings);

// Even-odd containment of a point in a ring (lon/lat treated as a plane: fine at city scale).
bool ring_contains(const std::vector<lon_lat>& ring, lon_lat p);

// The road graph's coordinates in metres: longitude/latitude are projected around the graph's centre;
// other coordinates (TNTP projected x/y) are used as they are, their unit unknown. Coordinates count as
// longitude/latitude when they lie in the valid ranges, span under 5 degrees, and the segments' stated
// lengths agree with them (median length / straight distance between 0.5 and 5).
class graph_frame {
 public:
  explicit graph_frame(const city_graph& graph);
  [[nodiscard]] bool geographic() const { return geographic_; }
  [[nodiscard]] point_m to_metres(double x, double y) const;
  // Back from the frame to graph coordinates.
  [[nodiscard]] lon_lat to_graph(point_m p) const;

 private:
  bool geographic_ = false;
  local_projection projection_{lon_lat{}};
};

}  // namespace citytwin
