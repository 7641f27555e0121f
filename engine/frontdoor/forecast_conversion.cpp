#include "engine/frontdoor/forecast_conversion.hpp"

#include <cmath>

namespace citytwin {

namespace {

constexpr double kmh_per_mps = 3.6;

v1::TwinRef segment_ref(const twin_catalog& catalog, segment_id segment) {
  v1::TwinRef ref;
  ref.set_kind(v1::TWIN_KIND_ROAD_SEGMENT);
  ref.set_id(catalog.directory.id_of(segment));
  return ref;
}

v1::TwinRef node_ref(const live_grid& grid, std::uint32_t node) {
  v1::TwinRef ref;
  ref.set_kind(v1::TWIN_KIND_UTILITY_NODE);
  ref.set_id(std::to_string(grid.network().nodes[node].bus_number));
  return ref;
}

}  // namespace

v1::ForecastInfo forecast_info(const live_twin& twin, const forecast& f) {
  v1::ForecastInfo info;
  info.set_forecast_number(f.number);
  info.set_base_time_ms(twin.to_epoch_ms(f.base_time));
  info.set_horizon_ms(f.horizon);
  return info;
}

v1::PredictedTwinState predicted_segment(const twin_catalog& catalog, const forecast_checkpoint& c, segment_id segment) {
  const segment_snapshot& s = c.segments[segment];
  const double freeflow = catalog.graph.segments[segment].freeflow_speed_mps;
  v1::PredictedTwinState out;
  *out.mutable_twin() = segment_ref(catalog, segment);
  auto* p = out.mutable_segment();
  p->set_mean_speed_kmh(s.mean_speed_mps * kmh_per_mps);
  p->set_freeflow_speed_fraction(freeflow > 0 ? s.mean_speed_mps / freeflow : 0.0);
  p->set_queue_vehicles(s.queued);
  p->set_vehicles(s.vehicles);
  p->set_density_veh_per_km(s.density_veh_per_km);
  p->set_closed(s.closed);
  return out;
}

v1::PredictedTwinState predicted_utility_node(const live_grid& grid, const forecast_checkpoint& c, std::uint32_t node) {
  const bus_state& b = c.nodes[node];
  v1::PredictedTwinState out;
  *out.mutable_twin() = node_ref(grid, node);
  auto* p = out.mutable_utility_node();
  if (!grid.is_source(node) && grid.network().nodes[node].rating_pu > 0) p->mutable_loading()->set_value(b.loading);
  p->set_voltage_pu(b.voltage_pu);
  p->set_active_power_kw(b.branch_kw);
  p->set_reactive_power_kvar(b.branch_kvar);
  p->set_energized(b.energized);
  return out;
}

v1::PredictedTroubleList trouble_list(const twin_catalog& catalog, const live_twin& twin, const live_grid* grid,
                                      const forecast& f) {
  v1::PredictedTroubleList out;
  *out.mutable_forecast() = forecast_info(twin, f);
  for (const predicted_trouble& t : f.trouble) {
    const bool slow = t.kind == trouble_kind::slow_segment;
    if (!slow && grid == nullptr) continue;  // overloads need the grid that predicted them
    auto* m = out.add_trouble();
    *m->mutable_twin() = slow ? segment_ref(catalog, t.index) : node_ref(*grid, t.index);
    m->set_kind(slow ? v1::TROUBLE_KIND_SLOW_SEGMENT : v1::TROUBLE_KIND_OVERLOAD);
    m->set_first_time_ms(twin.to_epoch_ms(t.first_at));
    m->set_worst_time_ms(twin.to_epoch_ms(t.worst_at));
    m->set_worst_value(t.worst);
  }
  return out;
}

v1::ForecastStatus forecast_status_message(const live_twin& twin, const rolling_forecast* forecasts) {
  v1::ForecastStatus out;
  out.set_enabled(forecasts != nullptr);
  if (forecasts == nullptr) return out;
  const rolling_forecast_options& o = forecasts->options();
  out.set_every_ms(o.every);
  out.set_horizon_ms(o.branch.horizon);
  out.set_checkpoint_every_ms(o.branch.checkpoint_every);
  const forecast_status st = forecasts->status();
  if (st.last) {
    *out.mutable_last() = forecast_info(twin, *st.last);
    out.set_last_wall_ms(static_cast<std::int64_t>(std::llround(st.last->wall_seconds * 1000)));
    out.set_last_simulated_seconds_per_wall_second(st.last->speed());
  }
  out.set_runs(st.runs);
  out.set_failed(st.failed);
  out.set_skipped(st.skipped);
  out.set_running(st.running);
  out.set_last_error(st.last_error);
  return out;
}

}  // namespace citytwin
