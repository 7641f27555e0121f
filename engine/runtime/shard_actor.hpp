#pragma once
// A shard runs simulated time for its share of the segments: it keeps their wake-up calendar,
// releases the departures whose origin it owns, opens each window for exactly the segments
// that have work in it, and reports to the coordinator when all of them are done.

#include <caf/all.hpp>
#include <map>
#include <optional>

#include "engine/demand/trip_generator.hpp"
#include "engine/runtime/simulation_context.hpp"
#include "engine/runtime/simulation_state.hpp"
#include "engine/runtime/wake_calendar.hpp"

namespace citytwin {

struct shard_actor_state {
  static inline const char* name = "shard";
  std::uint32_t index = 0;
  std::vector<segment_id> owned;
  std::vector<trip> departures;  // sorted by departure time
  std::size_t next_departure = 0;

  std::optional<wake_calendar> calendar;

  // Routes worked out ahead, by departure index: one tree per origin serves that origin's departures
  // until the travel times change; a route counts only under the times serial it was found with.
  std::vector<std::uint32_t> next_from_origin;  // the next departure from the same origin (or size())
  std::vector<std::uint64_t> route_serial;      // 0: none worked out
  std::vector<std::vector<segment_id>> planned_routes;
  shortest_path_tree tree;                      // scratch, reused for every origin
  std::vector<sim_time> estimates;      // by segment id, owned entries only
  std::vector<std::int32_t> vehicles;   // by segment id, owned entries only
  std::int64_t vehicles_total = 0;
  std::map<segment_id, std::vector<std::uint32_t>> vehicle_ids;  // invariant checks only

  // The window in progress.
  caf::actor coordinator;
  std::int64_t pending = 0;
  shard_report report;
};

using shard_actor_type = caf::stateful_actor<shard_actor_state>;

// `resume` (may be null) restores the owned segments' bookings and estimates from a cut.
// Also answers capture_atom with its shard_state, and (snapshots_atom, now) with its segments' snapshots.
caf::behavior shard_actor(shard_actor_type* self, std::uint32_t index, std::vector<segment_id> owned,
                          std::vector<trip> departures, const simulation_context* context,
                          const simulation_state* resume);

}  // namespace citytwin
