#include "engine/frontdoor/reading_validation.hpp"

#include <cmath>
#include <fmt/format.h>

namespace citytwin {

namespace {

rejection reject(std::uint32_t index, v1::RejectionCode code, std::string reason) {
  return rejection{index, code, std::move(reason)};
}

std::optional<rejection> check_time(std::uint32_t index, const char* field, std::int64_t time_ms, std::int64_t now_ms,
                                    const ingest_limits& limits) {
  if (time_ms <= 0) return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, fmt::format("{} is missing", field));
  if (time_ms > now_ms + limits.max_future_ms)
    return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                  fmt::format("{} is {} s ahead of the twin's clock (at most {} s allowed)", field,
                              (time_ms - now_ms) / 1000, limits.max_future_ms / 1000));
  if (time_ms < now_ms - limits.lateness_window_ms)
    return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                  fmt::format("{} is {} s old, beyond the lateness window of {} s", field, (now_ms - time_ms) / 1000,
                              limits.lateness_window_ms / 1000));
  return std::nullopt;
}

std::optional<rejection> check_number(std::uint32_t index, const char* field, double value, double low, double high) {
  if (!std::isfinite(value))
    return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, fmt::format("{} is not a finite number", field));
  if (value < low || value > high)
    return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                  fmt::format("{} = {} is outside the possible range [{}, {}]", field, value, low, high));
  return std::nullopt;
}

}  // namespace

std::variant<accepted_reading, rejection> validate_reading(const v1::Reading& reading, std::uint32_t index,
                                                           const twin_catalog& catalog, std::int64_t now_ms,
                                                           const ingest_limits& limits) {
  switch (reading.reading_case()) {
    case v1::Reading::kTrafficDetector: {
      const auto& r = reading.traffic_detector();
      const auto segment = catalog.directory.resolve(r.segment_id());
      if (const auto* why = std::get_if<std::string>(&segment)) return reject(index, v1::REJECTION_CODE_NOT_FOUND, *why);
      const segment_id s = std::get<segment_id>(segment);
      if (auto bad = check_time(index, "observe_time_ms", r.observe_time_ms(), now_ms, limits)) return *bad;
      if (auto bad = check_number(index, "mean_speed_kmh", r.mean_speed_kmh(), 0, limits.max_speed_kmh)) return *bad;
      if (auto bad = check_number(index, "occupancy", r.occupancy(), 0, 1)) return *bad;
      if (r.interval_ms() < 0)
        return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, "interval_ms must not be negative");
      if (r.interval_ms() > 0) {
        const double flow = r.vehicle_count() * 3'600'000.0 / static_cast<double>(r.interval_ms());
        const double possible = limits.max_flow_per_lane_veh_h * std::max(1.0, catalog.graph.segments[s].lanes);
        if (flow > possible)
          return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                        fmt::format("vehicle_count {} in {} ms is {:.0f} veh/h, impossible on {} lane(s)",
                                    r.vehicle_count(), r.interval_ms(), flow, catalog.graph.segments[s].lanes));
      }
      return accepted_reading{"segment/" + catalog.directory.id_of(s), s, r.observe_time_ms()};
    }
    case v1::Reading::kSegmentEvent: {
      const auto& r = reading.segment_event();
      const auto segment = catalog.directory.resolve(r.segment_id());
      if (const auto* why = std::get_if<std::string>(&segment)) return reject(index, v1::REJECTION_CODE_NOT_FOUND, *why);
      const segment_id s = std::get<segment_id>(segment);
      // Events may be scheduled ahead; only the lateness window applies to them.
      if (r.event_time_ms() <= 0) return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, "event_time_ms is missing");
      if (r.event_time_ms() > now_ms + limits.max_schedule_ahead_ms)
        return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                      fmt::format("event_time_ms is {} h ahead; events may be scheduled at most {} h ahead",
                                  (r.event_time_ms() - now_ms) / 3'600'000, limits.max_schedule_ahead_ms / 3'600'000));
      if (r.event_time_ms() < now_ms - limits.lateness_window_ms)
        return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                      fmt::format("event_time_ms is {} s old, beyond the lateness window of {} s",
                                  (now_ms - r.event_time_ms()) / 1000, limits.lateness_window_ms / 1000));
      switch (r.kind()) {
        case v1::SegmentEvent::KIND_CLOSED:
        case v1::SegmentEvent::KIND_REOPENED: break;
        case v1::SegmentEvent::KIND_CAPACITY_CHANGED:
          if (auto bad = check_number(index, "capacity_factor", r.capacity_factor(), 0, 10)) return *bad;
          if (r.capacity_factor() == 0)
            return reject(index, v1::REJECTION_CODE_OUT_OF_RANGE,
                          "capacity_factor must be above 0; send KIND_CLOSED to close a segment");
          break;
        default: return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, "kind is missing");
      }
      return accepted_reading{"segment/" + catalog.directory.id_of(s), s, r.event_time_ms()};
    }
    case v1::Reading::kMeter: {
      if (!catalog.grid)
        return reject(index, v1::REJECTION_CODE_UNIMPLEMENTED,
                      "this twin runs no power grid (start the server with --grid); meter readings cannot be applied");
      const auto& r = reading.meter();
      const auto found = resolve_building(catalog, r.building_id());
      if (const auto* why = std::get_if<std::string>(&found)) return reject(index, v1::REJECTION_CODE_NOT_FOUND, *why);
      const std::size_t building = std::get<std::size_t>(found);
      if (auto bad = check_time(index, "observe_time_ms", r.observe_time_ms(), now_ms, limits)) return *bad;
      const double limit = limits.max_building_load_kw;
      if (auto bad = check_number(index, "active_power_kw", r.active_power_kw(), -limit, limit)) return *bad;
      if (auto bad = check_number(index, "reactive_power_kvar", r.reactive_power_kvar(), -limit, limit)) return *bad;
      return accepted_reading{fmt::format("building/{}", building), no_segment, r.observe_time_ms(),
                              static_cast<std::uint32_t>(building)};
    }
    case v1::Reading::kScada: {
      if (!catalog.grid)
        return reject(index, v1::REJECTION_CODE_UNIMPLEMENTED,
                      "this twin runs no power grid (start the server with --grid); SCADA readings cannot be applied");
      const auto& r = reading.scada();
      const auto found = resolve_utility_node(catalog, r.node_id());
      if (const auto* why = std::get_if<std::string>(&found)) return reject(index, v1::REJECTION_CODE_NOT_FOUND, *why);
      const std::uint32_t node = std::get<std::uint32_t>(found);
      if (auto bad = check_time(index, "observe_time_ms", r.observe_time_ms(), now_ms, limits)) return *bad;
      if (r.breaker_state() == v1::BREAKER_STATE_UNSPECIFIED && !r.has_voltage_pu())
        return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, "neither breaker_state nor voltage_pu is set");
      if (r.breaker_state() != v1::BREAKER_STATE_UNSPECIFIED && catalog.grid->is_source(node))
        return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT,
                      fmt::format("node {} is a substation: it has no upstream breaker to set", r.node_id()));
      if (r.has_voltage_pu())
        if (auto bad = check_number(index, "voltage_pu", r.voltage_pu().value(), 0, 2)) return *bad;
      return accepted_reading{"node/" + std::to_string(catalog.grid->network().nodes[node].bus_number), no_segment, r.observe_time_ms(), node};
    }
    default: return reject(index, v1::REJECTION_CODE_INVALID_ARGUMENT, "the reading is empty (no kind set)");
  }
}

}  // namespace citytwin
