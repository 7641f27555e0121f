#pragma once
// Roundabouts in a city without roundabout tags (TNTP): rings guessed from the network's shape.
// Vehicles entering a ring yield to the traffic circulating on it (actors/road_segment.hpp).

#include <cstddef>

#include "engine/city/city_graph.hpp"

namespace citytwin {

// Marks `on_roundabout` on every segment of each ring found and returns how many rings there are.
// A ring is the shortest directed cycle through a one-way segment (none runs back between its two
// nodes; zone connectors never count) that is nearly round, 4 pi area / perimeter^2 >= 0.85 on the
// nodes' coordinates (a regular pentagon gives 0.865 and a square 0.785, so the four one-way
// corners where two divided roads cross are not taken for one), at most 1 km around and of at most
// 16 segments.
std::size_t guess_roundabouts(city_graph& graph);

}  // namespace citytwin
