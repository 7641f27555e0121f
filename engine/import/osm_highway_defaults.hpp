#pragma once
// Defaults per OSM highway class, used where a way carries no lanes or maxspeed tag.
//
// | class          | lanes each way | km/h | veh/h per lane |
// |----------------|----------------|------|----------------|
// | motorway       | 2              | 120  | 2000           |
// | trunk          | 2              | 100  | 1800           |
// | primary        | 1              |  50  | 1500           |
// | secondary      | 1              |  50  | 1200           |
// | tertiary       | 1              |  50  | 1000           |
// | unclassified   | 1              |  40  |  800           |
// | residential    | 1              |  30  |  600           |
// | living_street  | 1              |   7  |  300           |
// | service, road  | 1              |  20  |  300           |
// Link roads (motorway_link, ...) take their parent's speed x 0.8 and capacity x 0.75, one lane.
// Capacities follow common planning values for signalised urban lanes and uninterrupted motorway
// lanes; speeds are typical urban limits (SUMO's osm typemap uses similar figures).

#include <optional>
#include <string_view>

namespace citytwin {

struct highway_defaults {
  double lanes_each_way;
  double speed_kmh;
  double capacity_per_lane_veh_h;
  bool oneway_by_default;  // motorways are one-way carriageways
};

// Defaults for a drivable class; nullopt if the class is not for cars (footway, cycleway, ...).
std::optional<highway_defaults> defaults_for_highway(std::string_view highway);

// maxspeed tag -> km/h: "50", "30 mph", "DE:urban", "walk", "none" (class default); nullopt if unreadable.
std::optional<double> parse_maxspeed(std::string_view text, double class_default_kmh);

}  // namespace citytwin
