#include "engine/frontdoor/reading_application.hpp"

#include <map>
#include <optional>
#include <stdexcept>
#include <variant>

namespace citytwin {

bool record_reading(const v1::Reading& reading, segment_id segment, std::uint64_t log_position, twin_inputs& inputs) {
  if (reading.has_traffic_detector()) {
    const auto& r = reading.traffic_detector();
    const double flow =
        r.interval_ms() > 0 ? r.vehicle_count() * 3'600'000.0 / static_cast<double>(r.interval_ms()) : -1;
    return inputs.record_observation(segment, {r.observe_time_ms(), log_position, r.mean_speed_kmh(), flow});
  }
  if (reading.has_segment_event()) {
    const auto& r = reading.segment_event();
    recorded_event e{r.event_time_ms(), log_position, control_kind::capacity_factor, r.capacity_factor()};
    if (r.kind() == v1::SegmentEvent::KIND_CLOSED) e.kind = control_kind::close;
    if (r.kind() == v1::SegmentEvent::KIND_REOPENED) e.kind = control_kind::reopen;
    return inputs.record_event(segment, e);
  }
  if (reading.has_meter()) {
    const auto& r = reading.meter();
    const auto building = parse_decimal_id(r.building_id());
    return building &&
           inputs.record_meter(*building, {r.observe_time_ms(), log_position, r.active_power_kw(), r.reactive_power_kvar()});
  }
  if (reading.has_scada()) {
    const auto& r = reading.scada();
    const auto bus = parse_decimal_id(r.node_id());
    if (!bus) return false;
    bool newest = false;
    if (r.breaker_state() != v1::BREAKER_STATE_UNSPECIFIED)
      newest = inputs.record_breaker(static_cast<std::int64_t>(*bus),
                                     {r.observe_time_ms(), log_position, r.breaker_state() == v1::BREAKER_STATE_CLOSED ? 1.0 : 0.0});
    if (r.has_voltage_pu())
      newest = inputs.record_voltage(static_cast<std::int64_t>(*bus), {r.observe_time_ms(), log_position, r.voltage_pu().value()}) || newest;
    return newest;
  }
  return false;
}

segment_inputs inputs_of(const v1::Reading& reading, segment_id segment, std::uint64_t log_position) {
  twin_inputs alone;
  record_reading(reading, segment, log_position, alone);
  return alone.get(segment);
}

std::int64_t segment_reading_time_ms(const v1::Reading& reading) {
  if (reading.has_traffic_detector()) return reading.traffic_detector().observe_time_ms();
  if (reading.has_segment_event()) return reading.segment_event().event_time_ms();
  return 0;
}

void send_to_simulation(segment_id segment, const segment_inputs& state, live_twin& twin, bool events,
                        bool observations, double trust) {
  if (events)
    for (const auto& [has, event] : {std::pair{state.has_status, state.status}, std::pair{state.has_capacity, state.capacity}})
      if (has) twin.submit_control({twin.from_epoch_ms(event.time_ms), segment, event.kind, event.capacity_factor}, event.log_position);
  if (observations && state.has_observation) {
    detector_observation o;
    o.at = twin.from_epoch_ms(state.observation.time_ms);
    o.speed_mps = state.observation.speed_kmh / 3.6;
    o.flow_veh_h = state.observation.flow_veh_h;
    o.trust = trust;
    twin.submit_observation(segment, o, state.observation.log_position);
  }
}

namespace {

void send_meter(std::uint64_t building, const recorded_meter& meter, live_grid& grid) {
  grid.set_meter(building, meter.kw, meter.kvar);
}

// Only the values this log position set: re-sending an older breaker state would undo a protection trip.
void send_node_inputs(std::uint32_t node, const node_inputs& n, std::optional<std::uint64_t> only_from, live_grid& grid) {
  if (n.has_breaker && (!only_from || n.breaker.log_position == *only_from)) grid.set_breaker(node, n.breaker.value > 0.5);
  if (n.has_voltage && (!only_from || n.voltage.log_position == *only_from)) grid.set_measured_voltage(node, n.voltage.value);
}

}  // namespace

void send_to_grid(const v1::Reading& reading, std::uint64_t log_position, const twin_inputs& inputs, live_grid& grid) {
  if (reading.has_meter()) {
    const auto building = parse_decimal_id(reading.meter().building_id());
    const auto meter = building ? inputs.meter(*building) : std::nullopt;
    if (meter && meter->log_position == log_position) send_meter(*building, *meter, grid);
  } else if (reading.has_scada()) {
    const auto bus = parse_decimal_id(reading.scada().node_id());
    const auto node = bus ? grid.node_of_bus(static_cast<std::int64_t>(*bus)) : std::nullopt;
    if (node) send_node_inputs(*node, inputs.node(static_cast<std::int64_t>(*bus)), log_position, grid);
  }
}

namespace {

const std::string segment_prefix = "segment/";

// The segment a stored reading names; nullopt for a building's or utility node's.
std::optional<segment_id> stored_segment(const twin_catalog& catalog, const std::string& twin_id) {
  if (twin_id.rfind(segment_prefix, 0) != 0) return std::nullopt;
  const auto resolved = catalog.directory.resolve(std::string_view(twin_id).substr(segment_prefix.size()));
  if (!std::holds_alternative<segment_id>(resolved))
    throw std::runtime_error("the store names " + twin_id + ", which this city does not have; was it written for another city?");
  return std::get<segment_id>(resolved);
}

v1::Reading decode_stored(const recorded_reading& r) {
  v1::Reading reading;
  if (!reading.ParseFromString(r.reading.payload))
    throw std::runtime_error("stored reading " + std::to_string(r.log_position) + " cannot be decoded");
  return reading;
}

// Traffic readings timed after the twin's clock (planned closures, say), per segment in time order,
// each with its inputs alone: a restarted twin takes every one of them when its clock gets there.
std::map<segment_id, std::vector<std::pair<v1::Reading, segment_inputs>>> readings_ahead(const twin_store& store,
                                                                                      const twin_catalog& catalog,
                                                                                      const live_twin& twin) {
  std::map<segment_id, std::vector<std::pair<v1::Reading, segment_inputs>>> ahead;
  store.readings_from(twin.to_epoch_ms(twin.now()) + 1, [&](const recorded_reading& r) {
    const auto segment = stored_segment(catalog, r.reading.twin_id);
    if (!segment) return;
    auto reading = decode_stored(r);
    auto alone = inputs_of(reading, *segment, r.log_position);
    ahead[*segment].emplace_back(std::move(reading), std::move(alone));
  });
  return ahead;
}

// A segment's newest inputs at `epoch_ms`, from its history in the store.
segment_inputs inputs_as_of(const twin_store& store, const twin_catalog& catalog, segment_id segment, std::int64_t epoch_ms) {
  twin_inputs scratch;
  const std::string twin_id = segment_prefix + catalog.directory.id_of(segment);
  for (const auto& r : store.history(twin_id, 1, epoch_ms + 1, 0)) record_reading(decode_stored(r), segment, r.log_position, scratch);
  return scratch.get(segment);
}

}  // namespace

restore_summary restore_twin(const twin_store& store, const twin_catalog& catalog, twin_inputs& inputs, live_twin& twin) {
  restore_summary summary;
  std::uint64_t after = 0;
  if (auto snapshot = store.latest_snapshot()) {
    inputs.restore(twin_inputs::parse(snapshot->bytes));
    after = snapshot->log_position;
    summary.from_snapshot = true;
  }
  store.replay_after(after, [&](const recorded_reading& r) {
    ++summary.replayed;
    record_reading(decode_stored(r), stored_segment(catalog, r.reading.twin_id).value_or(no_segment), r.log_position, inputs);
  });
  const auto ahead = readings_ahead(store, catalog, twin);
  const inputs_state state = inputs.state();
  for (const auto& [segment, segment_state] : state.segments) {
    const auto planned = ahead.find(segment);
    if (planned == ahead.end()) {
      send_to_simulation(segment, segment_state, twin);
    } else {  // its newest inputs lie ahead of the clock: what holds now first, then each one in turn
      send_to_simulation(segment, inputs_as_of(store, catalog, segment, twin.to_epoch_ms(twin.now())), twin);
      for (const auto& [reading, alone] : planned->second) send_to_simulation(segment, alone, twin, reading.has_segment_event(), reading.has_traffic_detector());
    }
    ++summary.segments_with_inputs;
  }
  const std::size_t grid_twins = state.meters.size() + state.nodes.size();
  if (!catalog.grid) {
    summary.grid_twins_without_grid = grid_twins;
    return summary;
  }
  const auto foreign = [](const std::string& twin) {
    return std::runtime_error("the store has readings of " + twin + ", which this city's grid does not have; was it "
                              "written for another city or grid seed?");
  };
  for (const auto& [building, meter] : state.meters) {
    if (building >= catalog.grid->building_count()) throw foreign("building/" + std::to_string(building));
    send_meter(building, meter, *catalog.grid);
  }
  for (const auto& [bus, node_state] : state.nodes) {
    const auto node = catalog.grid->node_of_bus(bus);
    if (!node) throw foreign("node/" + std::to_string(bus));
    send_node_inputs(*node, node_state, std::nullopt, *catalog.grid);
  }
  summary.grid_twins_with_inputs = grid_twins;
  return summary;
}

}  // namespace citytwin
