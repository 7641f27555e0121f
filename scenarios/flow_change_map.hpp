#pragma once
// The map picture of a scenario report: one panel per variant, each road segment drawn from the
// city's own node coordinates and colored by its flow change against the baseline.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/city/city_graph.hpp"

namespace citytwin {

// An SVG document for `report` (a scenario report of `graph`'s city, with each variant's
// `flow_change`). Throws std::invalid_argument when the report was made on another city.
std::string render_flow_change_svg(const city_graph& graph, const nlohmann::ordered_json& report);

}  // namespace citytwin
