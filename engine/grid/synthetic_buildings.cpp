// A building stock for cities that come without buildings (TNTP): floor area follows each zone's trip ends.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "engine/grid/building_stock.hpp"
#include "engine/grid/building_tags.hpp"
#include "engine/grid/load_profile.hpp"
#include "engine/random/counter_rng.hpp"

namespace citytwin {

namespace {

struct type_share {
  building_type type;
  double m2_per_trip_end;
  double typical_m2;
  bool from_productions;
};

void check_factor(const std::string& city, const char* name, double value, bool positive) {
  if (!std::isfinite(value) || value < 0 || (positive && value == 0))
    throw std::invalid_argument(fmt::format("{}: synthetic stock factor {} must be {}, not {}", city, name,
                                            positive ? "positive" : "zero or more", value));
}

}  // namespace

std::vector<building_spec> synthetic_buildings(const loaded_city& city, std::uint64_t seed,
                                               const synthetic_stock_factors& f) {
  const city_graph& g = city.graph;
  check_factor(g.name, "residential_m2_per_production", f.residential_m2_per_production, false);
  check_factor(g.name, "commercial_m2_per_attraction", f.commercial_m2_per_attraction, false);
  check_factor(g.name, "industrial_m2_per_attraction", f.industrial_m2_per_attraction, false);
  check_factor(g.name, "public_m2_per_attraction", f.public_m2_per_attraction, false);
  check_factor(g.name, "typical_residential_m2", f.typical_residential_m2, true);
  check_factor(g.name, "typical_commercial_m2", f.typical_commercial_m2, true);
  check_factor(g.name, "typical_industrial_m2", f.typical_industrial_m2, true);
  check_factor(g.name, "typical_public_m2", f.typical_public_m2, true);
  if (!(f.size_spread >= 0 && f.size_spread < 1))
    throw std::invalid_argument(
        fmt::format("{}: synthetic stock size_spread must be in [0, 1), not {}", g.name, f.size_spread));

  // Trip ends per node, summed in the trip table's order.
  std::vector<double> productions(g.nodes.size(), 0), attractions(g.nodes.size(), 0);
  for (const od_demand& d : g.demand) {
    if (d.origin >= g.nodes.size() || d.destination >= g.nodes.size())
      throw std::invalid_argument(
          fmt::format("{}: a trip-table entry names node index {} or {}, beyond the {} nodes", g.name,
                      d.origin, d.destination, g.nodes.size()));
    productions[d.origin] += d.vehicles_per_hour;
    attractions[d.destination] += d.vehicles_per_hour;
  }

  const type_share shares[] = {
      {building_type::residential, f.residential_m2_per_production, f.typical_residential_m2, true},
      {building_type::commercial, f.commercial_m2_per_attraction, f.typical_commercial_m2, false},
      {building_type::industrial, f.industrial_m2_per_attraction, f.typical_industrial_m2, false},
      {building_type::public_use, f.public_m2_per_attraction, f.typical_public_m2, false},
  };
  std::vector<building_spec> buildings;
  for (node_index zone = 0; zone < g.nodes.size(); ++zone) {
    const road_node& node = g.nodes[zone];
    if (!node.is_zone) continue;
    for (const type_share& share : shares) {
      const double trip_ends = share.from_productions ? productions[zone] : attractions[zone];
      const double zone_area = share.m2_per_trip_end * trip_ends;
      if (!(zone_area > 0)) continue;
      const auto count = std::max<std::int64_t>(1, std::llround(zone_area / share.typical_m2));
      // Sizes vary around the typical one; the draws are keyed by the zone's own id and the type.
      const std::uint64_t entity =
          static_cast<std::uint64_t>(node.external_id) * 4 + static_cast<std::uint64_t>(share.type);
      std::vector<double> weights(static_cast<std::size_t>(count));
      double total = 0;
      for (std::size_t i = 0; i < weights.size(); ++i) {
        weights[i] = 1 + f.size_spread * (2 * random_unit(seed, entity, i) - 1);
        total += weights[i];
      }
      for (double w : weights) {
        building_spec b;
        b.id = buildings.size();
        b.type = share.type;
        b.floor_area_m2 = zone_area * w / total;
        b.levels = default_levels(share.type);
        b.footprint_m2 = b.floor_area_m2 / b.levels;
        b.occupants = occupants_for(b.type, b.floor_area_m2);
        b.x = node.x;
        b.y = node.y;
        b.nearest_road_node = zone;
        b.peak_kw = peak_kw_for(b.type, b.floor_area_m2);
        b.power_factor = parameters_of(b.type).power_factor;
        buildings.push_back(b);
      }
    }
  }
  return buildings;
}

}  // namespace citytwin
