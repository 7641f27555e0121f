#include "engine/analytics/feed_reading.hpp"

namespace citytwin {

feed_reading feed_reading_of(const v1::Reading& reading, std::string_view twin_id, segment_id segment,
                             const twin_view* view) {
  feed_reading f;
  f.twin_id = twin_id;
  if (reading.has_traffic_detector()) {
    const auto& r = reading.traffic_detector();
    f.time_ms = r.observe_time_ms();
    f.quantity = feed_quantity::detector;
    f.value = r.mean_speed_kmh();
    f.vehicle_count = r.vehicle_count();
    f.flow_veh_h = r.interval_ms() > 0 ? r.vehicle_count() * 3'600'000.0 / static_cast<double>(r.interval_ms()) : -1;
    if (view && segment < view->segments.size() && !view->segments[segment].closed)
      f.model_speed_kmh = view->segments[segment].mean_speed_mps * 3.6;
  } else if (reading.has_meter()) {
    f.time_ms = reading.meter().observe_time_ms();
    f.quantity = feed_quantity::meter;
    f.value = reading.meter().active_power_kw();
  } else if (reading.has_scada()) {
    f.time_ms = reading.scada().observe_time_ms();
    if (reading.scada().has_voltage_pu()) {
      f.quantity = feed_quantity::voltage;
      f.value = reading.scada().voltage_pu().value();
    }
  } else if (reading.has_segment_event()) {
    f.time_ms = reading.segment_event().event_time_ms();
  }
  return f;
}

}  // namespace citytwin
