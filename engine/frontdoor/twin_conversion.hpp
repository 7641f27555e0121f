#pragma once
// The twin state the API returns, built from a published view of the live twin or its grid.

#include <optional>
#include <variant>

#include "citytwin/v1/twin.pb.h"
#include "engine/city/city_graph.hpp"
#include "engine/frontdoor/segment_directory.hpp"
#include "engine/live/live_grid.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/live/twin_inputs.hpp"

namespace citytwin {

struct twin_catalog {
  explicit twin_catalog(const city_graph& g) : graph(g), directory(g) {}
  const city_graph& graph;
  segment_directory directory;
  bool wgs84 = false;  // node coordinates are longitude/latitude (OSM) rather than the source's plane
  std::int64_t counters_since_ms = 0;  // when the inflow/outflow counters started
  live_grid* grid = nullptr;           // buildings and utility nodes, when the twin runs a grid
};

v1::Twin segment_twin(const twin_catalog& catalog, const twin_view& view, segment_id segment);
// The same from one segment's snapshot, as of `update_time_ms` (wall clock).
v1::Twin segment_twin(const twin_catalog& catalog, const segment_snapshot& snapshot, std::int64_t update_time_ms, segment_id segment);

// A building number or bus number as the API spells it: plain decimal digits.
std::optional<std::uint64_t> parse_decimal_id(const std::string& text);

// A building's or a utility node's state from a grid step, with the newest meter or SCADA values it was given.
v1::Twin building_twin(const twin_catalog& catalog, const grid_view& view, const twin_inputs& inputs,
                       std::size_t building);
v1::Twin utility_node_twin(const twin_catalog& catalog, const grid_view& view, const twin_inputs& inputs,
                           std::uint32_t node);

// A building's index or a utility node's index in the grid's network from its API id; NOT_FOUND reasons as text.
std::variant<std::size_t, std::string> resolve_building(const twin_catalog& catalog, const std::string& id);
std::variant<std::uint32_t, std::string> resolve_utility_node(const twin_catalog& catalog, const std::string& id);

// A building's or a utility node's state from the grid's latest step; NOT_FOUND reasons as text.
std::variant<v1::Twin, std::string> grid_twin(const twin_catalog& catalog, const v1::TwinRef& ref,
                                              const twin_inputs& inputs);

}  // namespace citytwin
