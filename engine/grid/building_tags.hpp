#pragma once
// OSM tags -> what a building is used for and how many floors it has: the one documented mapping table.

#include <optional>
#include <string_view>

#include "engine/grid/building_stock.hpp"

namespace citytwin {

// The tag values the mapping reads; an empty view means the tag is absent.
struct building_tag_values {
  std::string_view building, amenity, shop, office, tourism, healthcare, craft, industrial, man_made, power,
      landuse, levels, height;
};

enum class levels_source : std::uint8_t { tagged, from_height, type_default, unreadable_tag };

struct building_reading {
  bool served = true;  // false: no electricity service of its own (see building_tags.cpp)
  building_type type = building_type::residential;
  bool type_from_tags = false;  // false: no tag said the use; the landuse around it may decide
  double levels = 1;
  levels_source levels_from = levels_source::type_default;
};

building_reading read_building_tags(const building_tag_values& tags);

// Floors when neither building:levels nor height is usable.
double default_levels(building_type type);

// "3", "2.5", "3;4" (first), "3-4" (first): a number of floors from 1 to 200, else nothing.
std::optional<double> parse_levels(std::string_view text);

// "12", "12 m", "12.5m": metres from 1 to 1000, else nothing (feet and other units are not guessed).
std::optional<double> parse_height_m(std::string_view text);

// Floors a building of this height has: one per 3 m storey, at least one.
double levels_from_height(double height_m);

}  // namespace citytwin
