// The OSM tag mapping: use from building=* first, then amenity/shop/office/..., floors from levels or height.
#include "engine/grid/building_tags.hpp"

#include <gtest/gtest.h>

namespace citytwin {

TEST(grid_building_tags, building_value_names_the_use_and_other_tags_decide_for_building_yes) {
  building_tag_values house;
  house.building = "house";
  house.shop = "bakery";  // a shop on the ground floor of a house: still a house
  EXPECT_EQ(read_building_tags(house).type, building_type::residential);
  EXPECT_TRUE(read_building_tags(house).type_from_tags);

  building_tag_values shop;
  shop.building = "yes";
  shop.shop = "supermarket";
  EXPECT_EQ(read_building_tags(shop).type, building_type::commercial);

  building_tag_values school;
  school.building = "yes";
  school.amenity = "school";
  EXPECT_EQ(read_building_tags(school).type, building_type::public_use);

  building_tag_values ministry;
  ministry.building = "yes";
  ministry.office = "government";
  EXPECT_EQ(read_building_tags(ministry).type, building_type::public_use);

  building_tag_values works;
  works.building = "yes";
  works.craft = "carpenter";
  EXPECT_EQ(read_building_tags(works).type, building_type::industrial);

  building_tag_values warehouse;
  warehouse.building = "warehouse";
  EXPECT_EQ(read_building_tags(warehouse).type, building_type::industrial);

  building_tag_values plain;
  plain.building = "yes";
  const building_reading r = read_building_tags(plain);
  EXPECT_TRUE(r.served);
  EXPECT_FALSE(r.type_from_tags);  // left for the landuse around it
  EXPECT_EQ(r.type, building_type::residential);
}

TEST(grid_building_tags, roofs_garages_and_power_equipment_are_not_served) {
  for (const char* value : {"roof", "garage", "garages", "carport", "ruins", "shed"}) {
    building_tag_values t;
    t.building = value;
    EXPECT_FALSE(read_building_tags(t).served) << value;
  }
  building_tag_values kiosk;
  kiosk.building = "yes";
  kiosk.power = "substation";
  EXPECT_FALSE(read_building_tags(kiosk).served);
}

TEST(grid_building_tags, floors_come_from_levels_then_height_then_the_type_default) {
  building_tag_values t;
  t.building = "apartments";
  t.levels = "7";
  t.height = "60";
  EXPECT_EQ(read_building_tags(t).levels, 7);
  EXPECT_EQ(read_building_tags(t).levels_from, levels_source::tagged);
  t.levels = "";
  EXPECT_EQ(read_building_tags(t).levels, 20);  // 60 m / 3 m per storey
  EXPECT_EQ(read_building_tags(t).levels_from, levels_source::from_height);
  t.height = "";
  EXPECT_EQ(read_building_tags(t).levels, default_levels(building_type::residential));
  EXPECT_EQ(read_building_tags(t).levels_from, levels_source::type_default);
  t.levels = "ground floor";
  EXPECT_EQ(read_building_tags(t).levels_from, levels_source::unreadable_tag);
  EXPECT_EQ(read_building_tags(t).levels, default_levels(building_type::residential));
  t.building = "industrial";
  t.levels = "";
  EXPECT_EQ(read_building_tags(t).levels, 1);
}

TEST(grid_building_tags, parses_the_level_and_height_forms_seen_in_osm) {
  EXPECT_EQ(parse_levels("3"), 3);
  EXPECT_EQ(parse_levels("2.5"), 2.5);
  EXPECT_EQ(parse_levels("3;4"), 3);
  EXPECT_EQ(parse_levels("3-4"), 3);
  EXPECT_FALSE(parse_levels("0"));
  EXPECT_FALSE(parse_levels("-1"));
  EXPECT_FALSE(parse_levels("many"));
  EXPECT_FALSE(parse_levels("3 floors"));
  EXPECT_EQ(parse_height_m("12"), 12);
  EXPECT_EQ(parse_height_m("12.5 m"), 12.5);
  EXPECT_EQ(parse_height_m("12m"), 12);
  EXPECT_FALSE(parse_height_m("40'"));
  EXPECT_EQ(levels_from_height(1), 1);
  EXPECT_EQ(levels_from_height(10), 3);
}

}  // namespace citytwin
