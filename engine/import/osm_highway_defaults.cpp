#include "engine/import/osm_highway_defaults.hpp"

#include <charconv>
#include <string>
#include <utility>

namespace citytwin {

namespace {

struct class_row {
  std::string_view name;
  highway_defaults defaults;
};

constexpr class_row highway_table[] = {
    {"motorway", {2, 120, 2000, true}},   {"trunk", {2, 100, 1800, false}},
    {"primary", {1, 50, 1500, false}},    {"secondary", {1, 50, 1200, false}},
    {"tertiary", {1, 50, 1000, false}},   {"unclassified", {1, 40, 800, false}},
    {"residential", {1, 30, 600, false}}, {"living_street", {1, 7, 300, false}},
    {"service", {1, 20, 300, false}},     {"road", {1, 20, 300, false}},
};

constexpr double link_speed_factor = 0.8;
constexpr double link_capacity_factor = 0.75;
constexpr double kmh_per_mph = 1.609344;

// Implicit limits by zone ("DE:urban"), for the countries of the bundled extracts and their neighbours.
constexpr std::pair<std::string_view, double> zone_limits[] = {
    {"urban", 50}, {"rural", 100}, {"motorway", 130}, {"trunk", 110}, {"living_street", 7}, {"zone30", 30},
    {"zone:30", 30}, {"bicycle_road", 30}, {"walk", 7},
};

}  // namespace

std::optional<highway_defaults> defaults_for_highway(std::string_view highway) {
  bool is_link = false;
  if (highway.size() > 5 && highway.substr(highway.size() - 5) == "_link") {
    highway = highway.substr(0, highway.size() - 5);
    is_link = true;
  }
  for (const auto& row : highway_table) {
    if (row.name != highway) continue;
    if (is_link && (highway == "service" || highway == "road" || highway == "residential" ||
                    highway == "living_street" || highway == "unclassified"))
      return std::nullopt;
    auto d = row.defaults;
    if (is_link) {
      d.lanes_each_way = 1;
      d.speed_kmh *= link_speed_factor;
      d.capacity_per_lane_veh_h *= link_capacity_factor;
    }
    return d;
  }
  return std::nullopt;
}

std::optional<double> parse_maxspeed(std::string_view text, double class_default_kmh) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text == "none" || text == "signals" || text == "variable") return class_default_kmh;
  if (text == "walk") return 7.0;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    auto zone = text.substr(colon + 1);
    for (const auto& [name, kmh] : zone_limits)
      if (name == zone) return kmh;
    return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !(value > 0)) return std::nullopt;
  std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.empty() || unit == "km/h" || unit == "kmh" || unit == "kph") return value;
  if (unit == "mph") return value * kmh_per_mph;
  if (unit == "knots") return value * 1.852;
  return std::nullopt;
}

}  // namespace citytwin
