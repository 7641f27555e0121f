#include "engine/frontdoor/twin_conversion.hpp"

#include <cmath>
#include <fmt/format.h>
#include <optional>


namespace citytwin {

namespace {
constexpr double kmh_per_mps = 3.6;
}

v1::Twin segment_twin(const twin_catalog& catalog, const twin_view& view, segment_id segment) {
  const road_segment_spec& spec = catalog.graph.segments[segment];
  const segment_snapshot& s = view.segments[segment];
  v1::Twin twin;
  twin.set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  twin.set_id(catalog.directory.id_of(segment));
  twin.set_name(spec.name);
  twin.set_update_time_ms(view.epoch_ms);
  auto* geometry = twin.mutable_geometry();
  geometry->set_coordinate_system(catalog.wgs84 ? v1::COORDINATE_SYSTEM_WGS84 : v1::COORDINATE_SYSTEM_SOURCE_PLANAR);
  for (node_index n : {spec.from, spec.to}) {
    auto* p = geometry->add_points();
    p->set_x(catalog.graph.nodes[n].x);
    p->set_y(catalog.graph.nodes[n].y);
  }
  auto* state = twin.mutable_road_segment();
  state->set_status(s.closed ? v1::SEGMENT_STATUS_CLOSED : v1::SEGMENT_STATUS_OPEN);
  state->set_capacity_factor(s.capacity_factor);
  state->set_vehicles_moving(s.vehicles - s.queued);
  state->set_vehicles_queued(s.queued);
  state->set_inflow_count(s.inflow);
  state->set_outflow_count(s.outflow);
  state->set_counter_start_time_ms(catalog.counters_since_ms);
  state->set_mean_speed_kmh(s.mean_speed_mps * kmh_per_mps);
  state->set_density_veh_per_km(s.density_veh_per_km);
  state->set_free_flow_speed_kmh(spec.freeflow_speed_mps * kmh_per_mps);
  state->set_length_m(spec.length_m);
  state->set_lanes(spec.lanes);
  state->set_capacity_veh_per_h(spec.capacity_veh_per_h);
  if (s.has_observation) {
    auto* last = state->mutable_last_detector_reading();
    last->set_segment_id(catalog.directory.id_of(segment));
    last->set_observe_time_ms(catalog.counters_since_ms + s.observed_at);
    last->set_mean_speed_kmh(s.observed_speed_mps * kmh_per_mps);
  }
  return twin;
}

bool segment_matches(const twin_catalog& catalog, const twin_view& view, segment_id segment,
                     const v1::TwinFilter& filter) {
  if (filter.kinds_size() > 0) {
    bool wanted = false;
    for (int k : filter.kinds()) wanted = wanted || k == v1::TWIN_KIND_ROAD_SEGMENT;
    if (!wanted) return false;
  }
  if (filter.twins_size() > 0) {
    bool listed = false;
    for (const auto& ref : filter.twins()) {
      if (ref.kind() != v1::TWIN_KIND_ROAD_SEGMENT && ref.kind() != v1::TWIN_KIND_UNSPECIFIED) continue;
      const auto resolved = catalog.directory.resolve(ref.id());
      listed = listed || (std::holds_alternative<segment_id>(resolved) && std::get<segment_id>(resolved) == segment);
    }
    if (!listed) return false;
  }
  const road_segment_spec& spec = catalog.graph.segments[segment];
  if (filter.has_bounding_box()) {
    const auto& box = filter.bounding_box();
    bool inside = false;
    for (node_index n : {spec.from, spec.to}) {
      const road_node& node = catalog.graph.nodes[n];
      inside = inside || (node.x >= box.min_x() && node.x <= box.max_x() && node.y >= box.min_y() && node.y <= box.max_y());
    }
    if (!inside) return false;
  }
  if (filter.has_predicate()) {
    const auto& p = filter.predicate();
    const segment_snapshot& s = view.segments[segment];
    if (p.has_speed_below_kmh() && !(s.mean_speed_mps * kmh_per_mps < p.speed_below_kmh().value())) return false;
    if (p.segment_status() == v1::SEGMENT_STATUS_CLOSED && !s.closed) return false;
    if (p.segment_status() == v1::SEGMENT_STATUS_OPEN && s.closed) return false;
    if (p.has_density_above_veh_per_km() && !(s.density_veh_per_km > p.density_above_veh_per_km().value())) return false;
    // Conditions on buildings and utility nodes never hold for a road segment.
    if (p.has_supplied() || p.has_loading_above() || p.has_voltage_below_pu() || p.has_voltage_above_pu() ||
        p.has_energized())
      return false;
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
  for (double v : {p.speed_below_kmh().value(), p.density_above_veh_per_km().value()})
    if (!std::isfinite(v)) return "predicate values must be finite numbers";
  return {};
}

namespace {

v1::BuildingState::BuildingType api_type(building_type t) {
  switch (t) {
    case building_type::residential: return v1::BuildingState::BUILDING_TYPE_RESIDENTIAL;
    case building_type::commercial: return v1::BuildingState::BUILDING_TYPE_COMMERCIAL;
    case building_type::industrial: return v1::BuildingState::BUILDING_TYPE_INDUSTRIAL;
    case building_type::public_use: return v1::BuildingState::BUILDING_TYPE_PUBLIC;
  }
  return v1::BuildingState::BUILDING_TYPE_UNSPECIFIED;
}

}  // namespace

std::optional<std::uint64_t> parse_decimal_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoull(text);
}

std::variant<v1::Twin, std::string> grid_twin(const twin_catalog& catalog, const v1::TwinRef& ref) {
  if (!catalog.grid) return std::string("this twin runs no power grid (start the server with --grid)");
  const auto view = catalog.grid->view();
  const auto index = parse_decimal_id(ref.id());
  v1::Twin twin;
  twin.set_kind(ref.kind());
  twin.set_id(ref.id());
  twin.set_update_time_ms(view->epoch_ms);
  auto* geometry = twin.mutable_geometry();
  geometry->set_coordinate_system(catalog.wgs84 ? v1::COORDINATE_SYSTEM_WGS84 : v1::COORDINATE_SYSTEM_SOURCE_PLANAR);
  if (ref.kind() == v1::TWIN_KIND_BUILDING) {
    const auto& buildings = catalog.grid->grid().buildings;
    if (!index || *index >= buildings.size())
      return fmt::format("no building '{}' (ids run 0..{})", ref.id(), buildings.size() - 1);
    const building_spec& spec = buildings[*index];
    auto* p = geometry->add_points();
    p->set_x(spec.x);
    p->set_y(spec.y);
    auto* state = twin.mutable_building();
    state->set_type(api_type(spec.type));
    state->set_floor_area_m2(spec.floor_area_m2);
    state->set_feeding_node_id(std::to_string(spec.feeder_bus));
    state->set_counter_start_time_ms(catalog.counters_since_ms);
    if (*index < view->buildings.size()) {
      const building_snapshot& b = view->buildings[*index];
      state->set_load_kw(b.load_kw);
      state->set_load_kvar(b.load_kvar);
      state->set_supplied(b.supplied);
      state->set_unserved_energy_kwh(b.unserved_kwh);
    } else {
      state->set_supplied(true);
    }
    return twin;
  }
  if (ref.kind() == v1::TWIN_KIND_UTILITY_NODE) {
    const std::optional<std::int64_t> bus = index ? std::optional<std::int64_t>(static_cast<std::int64_t>(*index)) : std::nullopt;
    const auto node = bus ? catalog.grid->node_of_bus(*bus) : std::nullopt;
    if (!node) return fmt::format("no utility node '{}' (ids are the grid's bus numbers)", ref.id());
    auto* state = twin.mutable_utility_node();
    bool feeds_buildings = false;
    for (const building_spec& b : catalog.grid->grid().buildings) feeds_buildings = feeds_buildings || b.feeder_bus == *bus;
    state->set_kind(catalog.grid->is_source(*node) ? v1::UtilityNodeState::NODE_KIND_SUBSTATION
                    : feeds_buildings           ? v1::UtilityNodeState::NODE_KIND_TRANSFORMER
                                                : v1::UtilityNodeState::NODE_KIND_BUS);
    for (const power_bus& b : catalog.grid->grid().network.buses)
      if (b.number == *bus) state->set_nominal_voltage_kv(b.base_kv);
    state->set_breaker_closed(true);
    state->set_energized(true);
    if (*node < view->flow.buses.size()) {
      const bus_state& s = view->flow.buses[*node];
      state->set_voltage_pu(s.voltage_pu);
      state->set_active_power_kw(s.branch_kw);
      state->set_reactive_power_kvar(s.branch_kvar);
      if (!catalog.grid->is_source(*node)) state->mutable_loading()->set_value(s.loading);
      state->set_energized(s.energized);
      state->set_breaker_closed(s.breaker_closed);
    }
    return twin;
  }
  return std::string("unknown twin kind");
}

}  // namespace citytwin
