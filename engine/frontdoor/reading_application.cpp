#include "engine/frontdoor/reading_application.hpp"

#include <stdexcept>
#include <variant>

namespace citytwin {

bool record_reading(const v1::Reading& reading, segment_id segment, std::uint64_t log_position, twin_inputs& inputs) {
  if (reading.has_traffic_detector()) {
    const auto& r = reading.traffic_detector();
    const double flow =
        r.interval_ms() > 0 ? r.vehicle_count() * 3'600'000.0 / static_cast<double>(r.interval_ms()) : 0;
    return inputs.record_observation(segment, {r.observe_time_ms(), log_position, r.mean_speed_kmh(), flow});
  }
  if (reading.has_segment_event()) {
    const auto& r = reading.segment_event();
    recorded_event e{r.event_time_ms(), log_position, control_kind::capacity_factor, r.capacity_factor()};
    if (r.kind() == v1::SegmentEvent::KIND_CLOSED) e.kind = control_kind::close;
    if (r.kind() == v1::SegmentEvent::KIND_REOPENED) e.kind = control_kind::reopen;
    return inputs.record_event(segment, e);
  }
  return false;
}

void send_to_simulation(segment_id segment, const segment_inputs& state, live_twin& twin, bool events,
                        bool observations) {
  if (events)
    for (const auto& [has, event] : {std::pair{state.has_status, state.status}, std::pair{state.has_capacity, state.capacity}})
      if (has) twin.submit_control({twin.from_epoch_ms(event.time_ms), segment, event.kind, event.capacity_factor});
  if (observations && state.has_observation) {
    detector_observation o;
    o.at = twin.from_epoch_ms(state.observation.time_ms);
    o.speed_mps = state.observation.speed_kmh / 3.6;
    o.flow_veh_h = state.observation.flow_veh_h;
    twin.submit_observation(segment, o);
  }
}

void apply_to_grid(const v1::Reading& reading, const accepted_reading& target, live_grid& grid) {
  if (reading.has_meter()) {
    grid.set_meter(target.grid_index, reading.meter().active_power_kw(), reading.meter().reactive_power_kvar());
  } else if (reading.has_scada() && reading.scada().breaker_state() != v1::BREAKER_STATE_UNSPECIFIED) {
    grid.set_breaker(target.grid_index, reading.scada().breaker_state() == v1::BREAKER_STATE_CLOSED);
  }
}

restore_summary restore_twin(const twin_store& store, const twin_catalog& catalog, twin_inputs& inputs, live_twin& twin) {
  restore_summary summary;
  std::uint64_t after = 0;
  if (auto snapshot = store.latest_snapshot()) {
    inputs.restore(twin_inputs::parse(snapshot->bytes));
    after = snapshot->log_position;
    summary.from_snapshot = true;
  }
  const std::string prefix = "segment/";
  store.replay_after(after, [&](const recorded_reading& r) {
    ++summary.replayed;
    if (r.reading.twin_id.rfind(prefix, 0) != 0) return;
    const auto segment = catalog.directory.resolve(std::string_view(r.reading.twin_id).substr(prefix.size()));
    if (!std::holds_alternative<segment_id>(segment))
      throw std::runtime_error("the store names " + r.reading.twin_id + ", which this city does not have; was it "
                               "written for another city?");
    v1::Reading reading;
    if (!reading.ParseFromString(r.reading.payload))
      throw std::runtime_error("stored reading " + std::to_string(r.log_position) + " cannot be decoded");
    record_reading(reading, std::get<segment_id>(segment), r.log_position, inputs);
  });
  for (const auto& [segment, state] : inputs.segments()) {
    send_to_simulation(segment, state, twin);
    ++summary.segments_with_inputs;
  }
  return summary;
}

}  // namespace citytwin
