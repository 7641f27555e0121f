#pragma once
// The dashboard's compact JSON: the city's geometry once (segments, buildings, utility nodes, in the
// index order the state arrays use) and then whole states as parallel arrays, so a page can redraw
// thousands of twins from one small message.

#include <nlohmann/json.hpp>

#include "engine/frontdoor/twin_conversion.hpp"

namespace citytwin {

// Segments with their end points, buildings and utility nodes (when the twin runs a grid) and the bounds.
nlohmann::json city_geometry_json(const twin_catalog& catalog);

// Every segment's speed, status, capacity factor and vehicles from `view`, and the grid's supply state.
nlohmann::json city_state_json(const twin_catalog& catalog, const twin_view& view);

}  // namespace citytwin
