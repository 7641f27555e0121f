#include "engine/live/twin_inputs.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <tuple>

namespace citytwin {

namespace {
constexpr int snapshot_format = 3;  // 2: status and capacity kept apart; 3: meters and SCADA values too

template <class T>
bool newer(const T& candidate, const T& current) {
  return std::tie(candidate.time_ms, candidate.log_position) > std::tie(current.time_ms, current.log_position);
}

// Keeps `candidate` when it is newer than what `has`/`current` hold.
template <class T>
bool keep_newest(bool& has, T& current, const T& candidate) {
  if (has && !newer(candidate, current)) return false;
  has = true;
  current = candidate;
  return true;
}

nlohmann::json event_json(const recorded_event& e) {
  return nlohmann::json{e.time_ms, e.log_position, static_cast<int>(e.kind), e.capacity_factor};
}

recorded_event event_of(const nlohmann::json& e) {
  return recorded_event{e.at(0).get<std::int64_t>(), e.at(1).get<std::uint64_t>(),
                        static_cast<control_kind>(e.at(2).get<int>()), e.at(3).get<double>()};
}

nlohmann::json scada_json(const recorded_scada& s) { return nlohmann::json{s.time_ms, s.log_position, s.value}; }

recorded_scada scada_of(const nlohmann::json& s) {
  return {s.at(0).get<std::int64_t>(), s.at(1).get<std::uint64_t>(), s.at(2).get<double>()};
}

}  // namespace

bool twin_inputs::record_event(segment_id segment, const recorded_event& event) {
  std::lock_guard lock(mutex_);
  segment_inputs& s = state_.segments[segment];
  if (event.kind == control_kind::capacity_factor) return keep_newest(s.has_capacity, s.capacity, event);
  return keep_newest(s.has_status, s.status, event);
}

bool twin_inputs::record_observation(segment_id segment, const recorded_observation& observation) {
  std::lock_guard lock(mutex_);
  segment_inputs& s = state_.segments[segment];
  return keep_newest(s.has_observation, s.observation, observation);
}

bool twin_inputs::record_meter(std::uint64_t building, const recorded_meter& meter) {
  std::lock_guard lock(mutex_);
  const auto [found, inserted] = state_.meters.try_emplace(building, meter);
  bool has = !inserted;
  return inserted || keep_newest(has, found->second, meter);
}

bool twin_inputs::record_breaker(std::int64_t bus, const recorded_scada& breaker) {
  std::lock_guard lock(mutex_);
  node_inputs& n = state_.nodes[bus];
  return keep_newest(n.has_breaker, n.breaker, breaker);
}

bool twin_inputs::record_voltage(std::int64_t bus, const recorded_scada& voltage) {
  std::lock_guard lock(mutex_);
  node_inputs& n = state_.nodes[bus];
  return keep_newest(n.has_voltage, n.voltage, voltage);
}

std::map<segment_id, segment_inputs> twin_inputs::segments() const {
  std::lock_guard lock(mutex_);
  return state_.segments;
}

segment_inputs twin_inputs::get(segment_id segment) const {
  std::lock_guard lock(mutex_);
  const auto found = state_.segments.find(segment);
  return found == state_.segments.end() ? segment_inputs{} : found->second;
}

std::optional<recorded_meter> twin_inputs::meter(std::uint64_t building) const {
  std::lock_guard lock(mutex_);
  const auto found = state_.meters.find(building);
  if (found == state_.meters.end()) return std::nullopt;
  return found->second;
}

node_inputs twin_inputs::node(std::int64_t bus) const {
  std::lock_guard lock(mutex_);
  const auto found = state_.nodes.find(bus);
  return found == state_.nodes.end() ? node_inputs{} : found->second;
}

inputs_state twin_inputs::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string twin_inputs::serialize() const {
  const inputs_state state = this->state();
  nlohmann::json doc;
  doc["format"] = snapshot_format;
  auto& segments = doc["segments"] = nlohmann::json::array();
  for (const auto& [id, s] : state.segments) {
    nlohmann::json item{{"segment", id}};
    if (s.has_status) item["status"] = event_json(s.status);
    if (s.has_capacity) item["capacity"] = event_json(s.capacity);
    if (s.has_observation)
      item["observation"] = {s.observation.time_ms, s.observation.log_position, s.observation.speed_kmh,
                             s.observation.flow_veh_h};
    segments.push_back(std::move(item));
  }
  auto& meters = doc["meters"] = nlohmann::json::array();
  for (const auto& [building, m] : state.meters) meters.push_back({building, m.time_ms, m.log_position, m.kw, m.kvar});
  auto& nodes = doc["nodes"] = nlohmann::json::array();
  for (const auto& [bus, n] : state.nodes) {
    nlohmann::json item{{"bus", bus}};
    if (n.has_breaker) item["breaker"] = scada_json(n.breaker);
    if (n.has_voltage) item["voltage"] = scada_json(n.voltage);
    nodes.push_back(std::move(item));
  }
  return doc.dump();
}

inputs_state twin_inputs::parse(const std::string& bytes) {
  inputs_state out;
  try {
    const auto doc = nlohmann::json::parse(bytes);
    const int format = doc.at("format").get<int>();
    if (format != snapshot_format && format != 2) throw std::invalid_argument("unknown snapshot format");
    for (const auto& item : doc.at("segments")) {
      segment_inputs& s = out.segments[item.at("segment").get<segment_id>()];
      if (item.contains("status")) {
        s.has_status = true;
        s.status = event_of(item["status"]);
      }
      if (item.contains("capacity")) {
        s.has_capacity = true;
        s.capacity = event_of(item["capacity"]);
      }
      if (item.contains("observation")) {
        const auto& o = item["observation"];
        s.has_observation = true;
        s.observation = {o.at(0).get<std::int64_t>(), o.at(1).get<std::uint64_t>(), o.at(2).get<double>(),
                         o.at(3).get<double>()};
      }
    }
    if (format == 2) return out;
    for (const auto& m : doc.at("meters"))
      out.meters[m.at(0).get<std::uint64_t>()] = {m.at(1).get<std::int64_t>(), m.at(2).get<std::uint64_t>(),
                                                  m.at(3).get<double>(), m.at(4).get<double>()};
    for (const auto& item : doc.at("nodes")) {
      node_inputs& n = out.nodes[item.at("bus").get<std::int64_t>()];
      if (item.contains("breaker")) {
        n.has_breaker = true;
        n.breaker = scada_of(item["breaker"]);
      }
      if (item.contains("voltage")) {
        n.has_voltage = true;
        n.voltage = scada_of(item["voltage"]);
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("the twin snapshot is damaged: ") + e.what());
  }
  return out;
}

void twin_inputs::restore(inputs_state state) {
  std::lock_guard lock(mutex_);
  state_ = std::move(state);
}

}  // namespace citytwin
