#pragma once
// A hand-written OSM town whose buildings have known footprints, for exact checks of the building reader.
//
// Coordinates are laid out in metres east/north of (7.0 E, 45.0 N) and turned into degrees with the WGS84
// ellipsoid's metres per degree at 45 N, not the reader's own spherical projection, so the check is
// independent. Roads: way 1 runs west-east along y = 0 (x = -100 .. 300 m), way 2 runs north from (100, 0) to
// (100, 200).

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace citytwin::testing {

inline constexpr double town_lon = 7.0, town_lat = 45.0;
inline constexpr double wgs84_m_per_degree_lat_45 = 111'131.75;
inline constexpr double wgs84_m_per_degree_lon_45 = 78'846.8;

class osm_town {
 public:
  int node(double x_m, double y_m, const std::string& tags = "") {
    const int id = next_node_++;
    xml_ += fmt::format("<node id=\"{}\" version=\"1\" lat=\"{:.10f}\" lon=\"{:.10f}\">{}</node>\n", id,
                        town_lat + y_m / wgs84_m_per_degree_lat_45,
                        town_lon + x_m / wgs84_m_per_degree_lon_45, tags);
    return id;
  }
  // A closed rectangle way [x0, x1] x [y0, y1]; returns its way id.
  int rectangle(int way_id, double x0, double y0, double x1, double y1, const std::string& tags,
                const std::string& first_corner_tags = "") {
    const int a = node(x1, y0, first_corner_tags), b = node(x1, y1), c = node(x0, y1), d = node(x0, y0);
    ways_ += fmt::format(
        "<way id=\"{}\" version=\"1\"><nd ref=\"{}\"/><nd ref=\"{}\"/><nd ref=\"{}\"/><nd ref=\"{}\"/>"
        "<nd ref=\"{}\"/>{}</way>\n",
        way_id, a, b, c, d, a, tags);
    return way_id;
  }
  void way(int way_id, const std::vector<int>& refs, const std::string& tags) {
    ways_ += fmt::format("<way id=\"{}\" version=\"1\">", way_id);
    for (int r : refs) ways_ += fmt::format("<nd ref=\"{}\"/>", r);
    ways_ += tags + "</way>\n";
  }
  void relation(int id, const std::vector<std::pair<int, std::string>>& way_members,
                const std::string& tags) {
    relations_ += fmt::format("<relation id=\"{}\" version=\"1\">", id);
    for (const auto& [ref, role] : way_members)
      relations_ += fmt::format("<member type=\"way\" ref=\"{}\" role=\"{}\"/>", ref, role);
    relations_ += tags + "</relation>\n";
  }
  [[nodiscard]] std::string xml() const {
    return "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n" + xml_ + ways_ + relations_ +
           "</osm>\n";
  }

 private:
  int next_node_ = 1;
  std::string xml_, ways_, relations_;
};

inline std::string tag(const std::string& k, const std::string& v) {
  return "<tag k=\"" + k + "\" v=\"" + v + "\"/>";
}

// The town of the tests: the comments give each building's footprint and expected reading.
inline std::string write_tiny_town(const std::filesystem::path& dir) {
  osm_town t;
  const int w = t.node(-100, 0), mid = t.node(100, 0), e = t.node(300, 0), n = t.node(100, 200);
  t.way(1, {w, mid, e}, tag("highway", "residential"));
  t.way(2, {mid, n}, tag("highway", "residential"));
  // A house 20 m x 10 m = 200 m2 on 3 floors = 600 m2, its entrance on the corner (80, 20).
  t.rectangle(100, 60, 20, 80, 30, tag("building", "house") + tag("building:levels", "3"),
              tag("entrance", "main"));
  // A bakery in an untyped building, 20 m x 10 m, default 2 floors.
  t.rectangle(200, 150, -30, 170, -20, tag("building", "yes") + tag("shop", "bakery"));
  // A shop building 10 m x 10 m.
  t.rectangle(210, 180, -30, 190, -20, tag("building", "retail"));
  // A garage: no service of its own.
  t.rectangle(300, 0, 40, 6, 46, tag("building", "garage"));
  // An industrial estate with an untyped 40 m x 50 m hall inside: industrial, 1 floor.
  t.rectangle(400, 200, -200, 300, -50, tag("landuse", "industrial"));
  t.rectangle(410, 220, -150, 260, -100, tag("building", "yes"));
  // A block of flats with a courtyard: 40 x 40 minus 10 x 10 = 1500 m2 on 4 floors = 6000 m2.
  t.rectangle(510, -80, 40, -40, 80, "");
  t.rectangle(520, -65, 55, -55, 65, "");
  t.relation(500, {{510, "outer"}, {520, "inner"}},
             tag("type", "multipolygon") + tag("building", "apartments") + tag("building:levels", "4"));
  // A mapped substation south of the crossing.
  t.node(100, -40, tag("power", "substation") + tag("name", "Tiny Town"));
  return write_file(dir / "tiny_town.osm", t.xml());
}

}  // namespace citytwin::testing
