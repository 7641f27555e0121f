#pragma once
// A road segment as a CAF actor: it owns the segment's twin state (road_segment), takes
// vehicles from upstream actors, moves them when its shard opens a window, and hands them on.

#include <caf/all.hpp>

#include "actors/road_segment.hpp"
#include "engine/runtime/simulation_context.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {

struct road_segment_actor_state {
  static inline const char* name = "road_segment";
  std::unique_ptr<road_segment> model;
  std::vector<vehicle_handoff> pending_handoffs;  // applied in the window after they were sent
  std::vector<space_update> pending_space;
};

using road_segment_actor_type = caf::stateful_actor<road_segment_actor_state>;

// Handles: vehicle_handoff, space_update, segment_control, detector_observation,
// advance_window (replies a segment_report to the sender), get_state_atom (-> segment_snapshot),
// capture_atom (-> segment_state). `restore` (may be null) is the segment's share of a cut to resume from.
caf::behavior road_segment_actor(road_segment_actor_type* self, segment_id id, const simulation_context* context,
                                 const segment_state* restore);

}  // namespace citytwin
