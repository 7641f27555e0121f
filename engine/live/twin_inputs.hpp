#pragma once
// What the outside world has told the twin: per segment the newest status event (closed or
// reopened), the newest capacity factor and the newest detector reading; per building the newest
// meter reading; per utility node the newest breaker state and measured voltage, each on its own.
// "Newest" is by the reading's own time, then
// by its place in the store's log, so the state is the same whatever order concurrent batches
// are applied in, and equals a replay of the log from scratch. This is what a snapshot holds.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "engine/runtime/traffic_messages.hpp"

namespace citytwin {

struct recorded_event {
  std::int64_t time_ms = 0;
  std::uint64_t log_position = 0;
  control_kind kind = control_kind::reopen;
  double capacity_factor = 1;
  bool operator==(const recorded_event&) const = default;
};

struct recorded_observation {
  std::int64_t time_ms = 0;
  std::uint64_t log_position = 0;
  double speed_kmh = 0;
  double flow_veh_h = 0;
  bool operator==(const recorded_observation&) const = default;
};

struct segment_inputs {
  bool has_status = false;  // closed or reopened
  recorded_event status;
  bool has_capacity = false;
  recorded_event capacity;
  bool has_observation = false;
  recorded_observation observation;
  bool operator==(const segment_inputs&) const = default;
};

struct recorded_meter {
  std::int64_t time_ms = 0;
  std::uint64_t log_position = 0;
  double kw = 0;
  double kvar = 0;
  bool operator==(const recorded_meter&) const = default;
};

// One SCADA value: a breaker state (1 closed, 0 open) or a voltage magnitude (p.u.).
struct recorded_scada {
  std::int64_t time_ms = 0;
  std::uint64_t log_position = 0;
  double value = 0;
  bool operator==(const recorded_scada&) const = default;
};

struct node_inputs {
  bool has_breaker = false;
  recorded_scada breaker;
  bool has_voltage = false;
  recorded_scada voltage;
  bool operator==(const node_inputs&) const = default;
};

// Everything a snapshot holds. Buildings by building id, utility nodes by bus number.
struct inputs_state {
  std::map<segment_id, segment_inputs> segments;
  std::map<std::uint64_t, recorded_meter> meters;
  std::map<std::int64_t, node_inputs> nodes;
  bool operator==(const inputs_state&) const = default;
};

class twin_inputs {
 public:
  // Each returns true when the reading is now the newest of its kind for the segment, i.e. when
  // it should reach the simulation; an older one is kept in history only.
  bool record_event(segment_id segment, const recorded_event& event);
  bool record_observation(segment_id segment, const recorded_observation& observation);
  bool record_meter(std::uint64_t building, const recorded_meter& meter);
  bool record_breaker(std::int64_t bus, const recorded_scada& breaker);
  bool record_voltage(std::int64_t bus, const recorded_scada& voltage);

  std::map<segment_id, segment_inputs> segments() const;
  segment_inputs get(segment_id segment) const;
  std::optional<recorded_meter> meter(std::uint64_t building) const;
  node_inputs node(std::int64_t bus) const;
  inputs_state state() const;
  std::string serialize() const;
  // Throws std::invalid_argument when the bytes are not a snapshot this version (or the one before) wrote.
  static inputs_state parse(const std::string& bytes);
  void restore(inputs_state state);

 private:
  mutable std::mutex mutex_;
  inputs_state state_;
};

}  // namespace citytwin
