#include "engine/live/twin_inputs.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <tuple>

namespace citytwin {

namespace {
constexpr int snapshot_format = 2;  // 2: status and capacity kept apart

template <class T>
bool newer(const T& candidate, const T& current) {
  return std::tie(candidate.time_ms, candidate.log_position) > std::tie(current.time_ms, current.log_position);
}
}  // namespace

bool twin_inputs::record_event(segment_id segment, const recorded_event& event) {
  std::lock_guard lock(mutex_);
  segment_inputs& s = segments_[segment];
  const bool is_capacity = event.kind == control_kind::capacity_factor;
  bool& has = is_capacity ? s.has_capacity : s.has_status;
  recorded_event& current = is_capacity ? s.capacity : s.status;
  if (has && !newer(event, current)) return false;
  has = true;
  current = event;
  return true;
}

bool twin_inputs::record_observation(segment_id segment, const recorded_observation& observation) {
  std::lock_guard lock(mutex_);
  segment_inputs& s = segments_[segment];
  if (s.has_observation && !newer(observation, s.observation)) return false;
  s.has_observation = true;
  s.observation = observation;
  return true;
}

std::map<segment_id, segment_inputs> twin_inputs::segments() const {
  std::lock_guard lock(mutex_);
  return segments_;
}

segment_inputs twin_inputs::get(segment_id segment) const {
  std::lock_guard lock(mutex_);
  const auto found = segments_.find(segment);
  return found == segments_.end() ? segment_inputs{} : found->second;
}

std::string twin_inputs::serialize() const {
  nlohmann::json doc;
  doc["format"] = snapshot_format;
  auto& list = doc["segments"] = nlohmann::json::array();
  for (const auto& [id, s] : segments()) {
    nlohmann::json item{{"segment", id}};
    auto event_json = [](const recorded_event& e) {
      return nlohmann::json{e.time_ms, e.log_position, static_cast<int>(e.kind), e.capacity_factor};
    };
    if (s.has_status) item["status"] = event_json(s.status);
    if (s.has_capacity) item["capacity"] = event_json(s.capacity);
    if (s.has_observation)
      item["observation"] = {s.observation.time_ms, s.observation.log_position, s.observation.speed_kmh,
                             s.observation.flow_veh_h};
    list.push_back(std::move(item));
  }
  return doc.dump();
}

std::map<segment_id, segment_inputs> twin_inputs::parse(const std::string& bytes) {
  std::map<segment_id, segment_inputs> out;
  try {
    const auto doc = nlohmann::json::parse(bytes);
    if (doc.at("format").get<int>() != snapshot_format) throw std::invalid_argument("unknown snapshot format");
    for (const auto& item : doc.at("segments")) {
      segment_inputs& s = out[item.at("segment").get<segment_id>()];
      auto event_of = [](const nlohmann::json& e) {
        return recorded_event{e.at(0).get<std::int64_t>(), e.at(1).get<std::uint64_t>(),
                              static_cast<control_kind>(e.at(2).get<int>()), e.at(3).get<double>()};
      };
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
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("the twin snapshot is damaged: ") + e.what());
  }
  return out;
}

void twin_inputs::restore(std::map<segment_id, segment_inputs> segments) {
  std::lock_guard lock(mutex_);
  segments_ = std::move(segments);
}

}  // namespace citytwin
