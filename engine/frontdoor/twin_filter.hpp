#pragma once
// The filters callers use to pick twins (QueryTwins, WatchTwins): kinds, listed ids, a bounding
// box and conditions on the state. A condition on a field a kind does not have excludes that twin.

#include <string>

#include "citytwin/v1/twin.pb.h"
#include "engine/frontdoor/twin_conversion.hpp"

namespace citytwin {

bool segment_matches(const twin_catalog& catalog, const twin_view& view, segment_id segment,
                     const v1::TwinFilter& filter);
bool building_matches(const twin_catalog& catalog, const grid_view& view, std::size_t building,
                      const v1::TwinFilter& filter);
bool utility_node_matches(const twin_catalog& catalog, const grid_view& view, std::uint32_t node,
                          const v1::TwinFilter& filter);

// Checks a filter's own values; empty when it is usable, the reason otherwise.
std::string filter_problem(const twin_catalog& catalog, const v1::TwinFilter& filter);

}  // namespace citytwin
