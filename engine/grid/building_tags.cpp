// The mapping table from OSM tags to building use and floors, kept in one place so it can be read and argued.
#include "engine/grid/building_tags.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace citytwin {

namespace {

using namespace std::string_view_literals;

bool one_of(std::string_view value, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), value) != options.end();
}

// building=* values that name a structure with no electricity service of its own (or equipment, not a
// consumer). They are left out of the stock: a roof or a carport draws nothing worth a feeder.
bool unserved_building_value(std::string_view v) {
  // clang-format off
  return one_of(v, {"no"sv, "roof"sv, "carport"sv, "garage"sv, "garages"sv, "shed"sv, "hut"sv, "ruins"sv,
                    "collapsed"sv, "construction"sv, "proposed"sv, "demolished"sv, "destroyed"sv, "abandoned"sv,
                    "disused"sv, "bunker"sv, "tent"sv, "bridge"sv, "entrance"sv, "wall"sv, "gazebo"sv,
                    "transformer_tower"sv, "slurry_tank"sv, "ship"sv});
  // clang-format on
}

// building=* values that say the use. Anything else ("yes", unknown values) lets the other tags decide.
std::optional<building_type> type_from_building_value(std::string_view v) {
  if (one_of(v,
             {"residential"sv, "house"sv, "detached"sv, "semidetached_house"sv, "apartments"sv, "terrace"sv,
              "bungalow"sv, "dormitory"sv, "farm"sv, "houseboat"sv, "cabin"sv, "static_caravan"sv}))
    return building_type::residential;
  if (one_of(v, {"commercial"sv, "retail"sv, "office"sv, "supermarket"sv, "kiosk"sv, "hotel"sv, "shop"sv,
                 "parking"sv}))
    return building_type::commercial;
  if (one_of(v, {"industrial"sv, "warehouse"sv, "factory"sv, "manufacture"sv, "hangar"sv, "barn"sv,
                 "farm_auxiliary"sv, "cowshed"sv, "stable"sv, "sty"sv, "greenhouse"sv, "silo"sv,
                 "storage_tank"sv, "digester"sv, "service"sv, "works"sv}))
    return building_type::industrial;
  if (one_of(v, {"public"sv,      "civic"sv,         "government"sv,   "school"sv,        "university"sv,
                 "college"sv,     "kindergarten"sv,  "hospital"sv,     "church"sv,        "chapel"sv,
                 "cathedral"sv,   "mosque"sv,        "synagogue"sv,    "temple"sv,        "religious"sv,
                 "shrine"sv,      "monastery"sv,     "fire_station"sv, "train_station"sv, "transportation"sv,
                 "sports_hall"sv, "sports_centre"sv, "stadium"sv,      "museum"sv,        "toilets"sv,
                 "military"sv}))
    return building_type::public_use;
  return std::nullopt;
}

// For building=yes and unknown values: the first of these that speaks decides.
std::optional<building_type> type_from_use_tags(const building_tag_values& t) {
  if (!t.amenity.empty()) {
    if (one_of(t.amenity, {"school"sv,       "university"sv,  "college"sv,          "kindergarten"sv,
                           "childcare"sv,    "hospital"sv,    "clinic"sv,           "doctors"sv,
                           "townhall"sv,     "library"sv,     "place_of_worship"sv, "police"sv,
                           "fire_station"sv, "courthouse"sv,  "community_centre"sv, "social_facility"sv,
                           "theatre"sv,      "arts_centre"sv, "prison"sv,           "public_building"sv,
                           "toilets"sv}))
      return building_type::public_use;
    if (one_of(t.amenity, {"restaurant"sv, "cafe"sv, "bar"sv, "pub"sv, "fast_food"sv, "bank"sv, "pharmacy"sv,
                           "fuel"sv, "marketplace"sv, "cinema"sv, "nightclub"sv, "parking"sv, "post_office"sv,
                           "car_wash"sv, "ice_cream"sv, "casino"sv, "food_court"sv}))
      return building_type::commercial;
  }
  if (!t.healthcare.empty() && t.healthcare != "no") return building_type::public_use;
  if (!t.office.empty() && t.office != "no")
    return t.office == "government" ? building_type::public_use : building_type::commercial;
  if (!t.shop.empty() && !one_of(t.shop, {"no"sv, "vacant"sv})) return building_type::commercial;
  if (one_of(t.tourism, {"hotel"sv, "motel"sv, "guest_house"sv, "hostel"sv, "apartment"sv}))
    return building_type::commercial;
  if (one_of(t.tourism, {"museum"sv, "gallery"sv})) return building_type::public_use;
  if ((!t.craft.empty() && t.craft != "no") || (!t.industrial.empty() && t.industrial != "no") ||
      t.man_made == "works")
    return building_type::industrial;
  if (t.landuse == "industrial") return building_type::industrial;
  if (one_of(t.landuse, {"commercial"sv, "retail"sv})) return building_type::commercial;
  if (t.landuse == "residential") return building_type::residential;
  return std::nullopt;
}

std::optional<double> leading_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

}  // namespace

// Floors when the extract says nothing: a European house or small block has two; shops and offices along a
// street likewise; halls, workshops and warehouses are single-storey.
double default_levels(building_type type) {
  switch (type) {
    case building_type::residential:
      return 2;
    case building_type::commercial:
      return 2;
    case building_type::industrial:
      return 1;
    case building_type::public_use:
      return 2;
  }
  return 1;
}

std::optional<double> parse_levels(std::string_view text) {
  // The number must end the value or be followed by a list or range separator.
  auto value = leading_number(text);
  if (!value) return std::nullopt;
  auto rest = text.substr(std::min(text.size(), text.find_first_not_of(" 0123456789.")));
  if (!rest.empty() && rest.front() != ';' && rest.front() != '-' && rest.front() != ',') return std::nullopt;
  if (!(*value >= 1 && *value <= 200)) return std::nullopt;
  return value;
}

std::optional<double> parse_height_m(std::string_view text) {
  auto value = leading_number(text);
  if (!value) return std::nullopt;
  auto rest = text.substr(std::min(text.size(), text.find_first_not_of(" 0123456789.")));
  if (!rest.empty() && rest != "m") return std::nullopt;
  if (!(*value >= 1 && *value <= 1000)) return std::nullopt;
  return value;
}

// 3 m per storey: a typical floor-to-floor height for housing and offices.
double levels_from_height(double height_m) { return std::max(1.0, std::round(height_m / 3.0)); }

building_reading read_building_tags(const building_tag_values& t) {
  building_reading r;
  // Equipment housings (power=substation, =transformer, ...) are the grid itself, not its consumers.
  if (unserved_building_value(t.building) || (!t.power.empty() && t.power != "no")) {
    r.served = false;
    return r;
  }
  // The building value names the main use; use tags decide only when it does not (building=yes).
  if (auto type = type_from_building_value(t.building)) {
    r.type = *type;
    r.type_from_tags = true;
  } else if (auto type = type_from_use_tags(t)) {
    r.type = *type;
    r.type_from_tags = true;
  }
  if (!t.levels.empty()) {
    if (auto levels = parse_levels(t.levels)) {
      r.levels = *levels;
      r.levels_from = levels_source::tagged;
      return r;
    }
    r.levels_from = levels_source::unreadable_tag;
  }
  if (!t.height.empty()) {
    if (auto height = parse_height_m(t.height)) {
      r.levels = levels_from_height(*height);
      r.levels_from = levels_source::from_height;
      return r;
    }
    r.levels_from = levels_source::unreadable_tag;
  }
  r.levels = default_levels(r.type);
  return r;
}

}  // namespace citytwin
