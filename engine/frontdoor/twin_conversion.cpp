#include "engine/frontdoor/twin_conversion.hpp"

#include <cmath>
#include <fmt/format.h>
#include <optional>


namespace citytwin {

namespace {
constexpr double kmh_per_mps = 3.6;
}

v1::Twin segment_twin(const twin_catalog& catalog, const twin_view& view, segment_id segment) {
  return segment_twin(catalog, view.segments[segment], view.epoch_ms, segment);
}

v1::Twin segment_twin(const twin_catalog& catalog, const segment_snapshot& s, std::int64_t update_time_ms, segment_id segment) {
  const road_segment_spec& spec = catalog.graph.segments[segment];
  v1::Twin twin;
  twin.set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  twin.set_id(catalog.directory.id_of(segment));
  twin.set_name(spec.name);
  twin.set_update_time_ms(update_time_ms);
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

v1::Twin building_twin(const twin_catalog& catalog, const grid_view& view, const twin_inputs& inputs,
                       std::size_t building) {
  const building_spec& spec = catalog.grid->grid().buildings[building];
  v1::Twin twin;
  twin.set_kind(v1::TWIN_KIND_BUILDING);
  twin.set_id(std::to_string(building));
  twin.set_update_time_ms(view.epoch_ms);
  auto* geometry = twin.mutable_geometry();
  geometry->set_coordinate_system(catalog.wgs84 ? v1::COORDINATE_SYSTEM_WGS84 : v1::COORDINATE_SYSTEM_SOURCE_PLANAR);
  auto* p = geometry->add_points();
  p->set_x(spec.x);
  p->set_y(spec.y);
  auto* state = twin.mutable_building();
  state->set_type(api_type(spec.type));
  state->set_floor_area_m2(spec.floor_area_m2);
  if (spec.feeder_bus >= 0) state->set_feeding_node_id(std::to_string(spec.feeder_bus));
  state->set_counter_start_time_ms(catalog.counters_since_ms);
  state->set_supplied(true);
  if (building < view.buildings.size()) {
    const building_snapshot& b = view.buildings[building];
    state->set_load_kw(b.load_kw);
    state->set_load_kvar(b.load_kvar);
    state->set_supplied(b.supplied);
    state->set_unserved_energy_kwh(b.unserved_kwh);
  }
  if (const auto meter = inputs.meter(building)) {
    auto* last = state->mutable_last_meter_reading();
    last->set_building_id(twin.id());
    last->set_observe_time_ms(meter->time_ms);
    last->set_active_power_kw(meter->kw);
    last->set_reactive_power_kvar(meter->kvar);
  }
  return twin;
}

v1::Twin utility_node_twin(const twin_catalog& catalog, const grid_view& view, const twin_inputs& inputs,
                           std::uint32_t node) {
  const live_grid& grid = *catalog.grid;
  const std::int64_t bus = grid.network().nodes[node].bus_number;
  const grid_node_info& info = grid.node_info()[node];
  v1::Twin twin;
  twin.set_kind(v1::TWIN_KIND_UTILITY_NODE);
  twin.set_id(std::to_string(bus));
  twin.set_update_time_ms(view.epoch_ms);
  auto* geometry = twin.mutable_geometry();
  geometry->set_coordinate_system(catalog.wgs84 ? v1::COORDINATE_SYSTEM_WGS84 : v1::COORDINATE_SYSTEM_SOURCE_PLANAR);
  auto* p = geometry->add_points();
  p->set_x(info.x);
  p->set_y(info.y);
  auto* state = twin.mutable_utility_node();
  state->set_kind(grid.is_source(node)      ? v1::UtilityNodeState::NODE_KIND_SUBSTATION
                  : info.feeds_buildings ? v1::UtilityNodeState::NODE_KIND_TRANSFORMER
                                         : v1::UtilityNodeState::NODE_KIND_BUS);
  state->set_nominal_voltage_kv(info.nominal_kv);
  state->set_breaker_closed(true);
  state->set_energized(true);
  if (node < view.flow.buses.size()) {
    const bus_state& s = view.flow.buses[node];
    state->set_voltage_pu(s.voltage_pu);
    state->set_active_power_kw(s.branch_kw);
    state->set_reactive_power_kvar(s.branch_kvar);
    if (!grid.is_source(node) && grid.network().nodes[node].rating_pu > 0) state->mutable_loading()->set_value(s.loading);
    state->set_energized(s.energized);
    state->set_breaker_closed(s.breaker_closed);
  }
  const node_inputs scada = inputs.node(bus);
  if (scada.has_breaker || scada.has_voltage) {
    auto* last = state->mutable_last_scada_reading();
    last->set_node_id(twin.id());
    last->set_observe_time_ms(std::max(scada.has_breaker ? scada.breaker.time_ms : 0, scada.has_voltage ? scada.voltage.time_ms : 0));
    if (scada.has_breaker)
      last->set_breaker_state(scada.breaker.value > 0.5 ? v1::BREAKER_STATE_CLOSED : v1::BREAKER_STATE_OPEN);
    if (scada.has_voltage) last->mutable_voltage_pu()->set_value(scada.voltage.value);
  }
  return twin;
}

std::variant<std::size_t, std::string> resolve_building(const twin_catalog& catalog, const std::string& id) {
  if (!catalog.grid) return std::string("this twin runs no power grid (start the server with --grid)");
  const auto index = parse_decimal_id(id);
  const std::size_t count = catalog.grid->building_count();
  if (!index || *index >= count) return fmt::format("no building '{}' (ids run 0..{})", id, count - 1);
  return static_cast<std::size_t>(*index);
}

std::variant<std::uint32_t, std::string> resolve_utility_node(const twin_catalog& catalog, const std::string& id) {
  if (!catalog.grid) return std::string("this twin runs no power grid (start the server with --grid)");
  const auto bus = parse_decimal_id(id);
  const auto node = bus ? catalog.grid->node_of_bus(static_cast<std::int64_t>(*bus)) : std::nullopt;
  if (!node) return fmt::format("no utility node '{}' (ids are the grid's bus numbers)", id);
  return *node;
}

std::variant<v1::Twin, std::string> grid_twin(const twin_catalog& catalog, const v1::TwinRef& ref,
                                              const twin_inputs& inputs) {
  if (ref.kind() == v1::TWIN_KIND_BUILDING) {
    const auto building = resolve_building(catalog, ref.id());
    if (const auto* why = std::get_if<std::string>(&building)) return *why;
    return building_twin(catalog, *catalog.grid->view(), inputs, std::get<std::size_t>(building));
  }
  if (ref.kind() == v1::TWIN_KIND_UTILITY_NODE) {
    const auto node = resolve_utility_node(catalog, ref.id());
    if (const auto* why = std::get_if<std::string>(&node)) return *why;
    return utility_node_twin(catalog, *catalog.grid->view(), inputs, std::get<std::uint32_t>(node));
  }
  return std::string("unknown twin kind");
}

}  // namespace citytwin
