#include "engine/frontdoor/twin_filter.hpp"

#include <cmath>

namespace citytwin {

namespace {

constexpr double kmh_per_mps = 3.6;

bool kind_wanted(const v1::TwinFilter& filter, v1::TwinKind kind) {
  if (filter.kinds_size() == 0) return true;
  for (int k : filter.kinds())
    if (k == kind) return true;
  return false;
}

// Whether the filter's list of twins (if any) names this one; `names` compares a ref's id.
template <class Names>
bool listed(const v1::TwinFilter& filter, v1::TwinKind kind, Names names) {
  if (filter.twins_size() == 0) return true;
  for (const auto& ref : filter.twins())
    if ((ref.kind() == kind || ref.kind() == v1::TWIN_KIND_UNSPECIFIED) && names(ref.id())) return true;
  return false;
}

bool inside(const v1::TwinFilter& filter, double x, double y) {
  if (!filter.has_bounding_box()) return true;
  const auto& box = filter.bounding_box();
  return x >= box.min_x() && x <= box.max_x() && y >= box.min_y() && y <= box.max_y();
}

bool has_segment_condition(const v1::TwinPredicate& p) {
  return p.has_speed_below_kmh() || p.segment_status() != v1::SEGMENT_STATUS_UNSPECIFIED ||
         p.has_density_above_veh_per_km();
}

bool has_node_condition(const v1::TwinPredicate& p) {
  return p.has_loading_above() || p.has_voltage_below_pu() || p.has_voltage_above_pu() || p.has_energized();
}

}  // namespace

bool segment_matches(const twin_catalog& catalog, const twin_view& view, segment_id segment,
                     const v1::TwinFilter& filter) {
  if (!kind_wanted(filter, v1::TWIN_KIND_ROAD_SEGMENT)) return false;
  const bool named = listed(filter, v1::TWIN_KIND_ROAD_SEGMENT, [&](const std::string& id) {
    const auto resolved = catalog.directory.resolve(id);
    return std::holds_alternative<segment_id>(resolved) && std::get<segment_id>(resolved) == segment;
  });
  if (!named) return false;
  const road_segment_spec& spec = catalog.graph.segments[segment];
  if (filter.has_bounding_box()) {
    const road_node& from = catalog.graph.nodes[spec.from];
    const road_node& to = catalog.graph.nodes[spec.to];
    if (!inside(filter, from.x, from.y) && !inside(filter, to.x, to.y)) return false;
  }
  if (filter.has_predicate()) {
    const auto& p = filter.predicate();
    const segment_snapshot& s = view.segments[segment];
    if (p.has_speed_below_kmh() && !(s.mean_speed_mps * kmh_per_mps < p.speed_below_kmh().value())) return false;
    if (p.segment_status() == v1::SEGMENT_STATUS_CLOSED && !s.closed) return false;
    if (p.segment_status() == v1::SEGMENT_STATUS_OPEN && s.closed) return false;
    if (p.has_density_above_veh_per_km() && !(s.density_veh_per_km > p.density_above_veh_per_km().value())) return false;
    if (p.has_supplied() || has_node_condition(p)) return false;
  }
  return true;
}

bool building_matches(const twin_catalog& catalog, const grid_view& view, std::size_t building,
                      const v1::TwinFilter& filter) {
  if (!kind_wanted(filter, v1::TWIN_KIND_BUILDING)) return false;
  if (!listed(filter, v1::TWIN_KIND_BUILDING, [&](const std::string& id) { return parse_decimal_id(id) == building; }))
    return false;
  const building_spec& spec = catalog.grid->grid().buildings[building];
  if (!inside(filter, spec.x, spec.y)) return false;
  if (filter.has_predicate()) {
    const auto& p = filter.predicate();
    if (has_segment_condition(p) || has_node_condition(p)) return false;
    const bool supplied = building >= view.buildings.size() || view.buildings[building].supplied;
    if (p.has_supplied() && supplied != p.supplied().value()) return false;
  }
  return true;
}

bool utility_node_matches(const twin_catalog& catalog, const grid_view& view, std::uint32_t node,
                          const v1::TwinFilter& filter) {
  if (!kind_wanted(filter, v1::TWIN_KIND_UTILITY_NODE)) return false;
  const std::int64_t bus = catalog.grid->network().nodes[node].bus_number;
  const bool named = listed(filter, v1::TWIN_KIND_UTILITY_NODE, [&](const std::string& id) {
    const auto parsed = parse_decimal_id(id);
    return parsed && static_cast<std::int64_t>(*parsed) == bus;
  });
  if (!named) return false;
  const grid_node_info& info = catalog.grid->node_info()[node];
  if (!inside(filter, info.x, info.y)) return false;
  if (filter.has_predicate()) {
    const auto& p = filter.predicate();
    if (has_segment_condition(p) || p.has_supplied()) return false;
    if (node >= view.flow.buses.size()) return !has_node_condition(p);
    const bus_state& s = view.flow.buses[node];
    const bool rated = !catalog.grid->is_source(node) && catalog.grid->network().nodes[node].rating_pu > 0;
    if (p.has_loading_above() && !(rated && s.loading > p.loading_above().value())) return false;
    if (p.has_voltage_below_pu() && !(s.voltage_pu < p.voltage_below_pu().value())) return false;
    if (p.has_voltage_above_pu() && !(s.voltage_pu > p.voltage_above_pu().value())) return false;
    if (p.has_energized() && s.energized != p.energized().value()) return false;
  }
  return true;
}

std::string filter_problem(const twin_catalog& catalog, const v1::TwinFilter& filter) {
  if (filter.has_bounding_box()) {
    const auto& b = filter.bounding_box();
    if (!(b.min_x() <= b.max_x() && b.min_y() <= b.max_y()))
      return "bounding_box: min_x/min_y must not exceed max_x/max_y";
  }
  for (const auto& ref : filter.twins()) {
    if (ref.kind() != v1::TWIN_KIND_ROAD_SEGMENT && ref.kind() != v1::TWIN_KIND_UNSPECIFIED) continue;
    const auto resolved = catalog.directory.resolve(ref.id());
    if (const auto* why = std::get_if<std::string>(&resolved)) return "twins: " + *why;
  }
  const auto& p = filter.predicate();
  for (double v : {p.speed_below_kmh().value(), p.density_above_veh_per_km().value(), p.loading_above().value(),
                   p.voltage_below_pu().value(), p.voltage_above_pu().value()})
    if (!std::isfinite(v)) return "predicate values must be finite numbers";
  return {};
}

}  // namespace citytwin
