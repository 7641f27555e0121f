#pragma once
// How a stored reading changes the twin, in one place for live ingest and for a restart: it is
// recorded in the twin's inputs, and reaches the simulation when it is the newest of its kind.
// A restart rebuilds the inputs from the latest snapshot plus the readings logged after it.

#include "citytwin/v1/twin.pb.h"
#include "engine/frontdoor/reading_validation.hpp"
#include "engine/frontdoor/twin_conversion.hpp"
#include "engine/live/live_twin.hpp"
#include "engine/live/twin_inputs.hpp"
#include "engine/store/twin_store.hpp"

namespace citytwin {

// Records the reading; returns whether it is now the newest for its segment.
bool record_reading(const v1::Reading& reading, segment_id segment, std::uint64_t log_position, twin_inputs& inputs);

// Hands a segment's newest event and/or observation to the simulation.
void send_to_simulation(segment_id segment, const segment_inputs& state, live_twin& twin, bool events = true,
                        bool observations = true);

// Meter readings set a building's load; SCADA breaker states open and close breakers.
void apply_to_grid(const v1::Reading& reading, const accepted_reading& target, live_grid& grid);

struct restore_summary {
  bool from_snapshot = false;
  std::uint64_t replayed = 0;  // readings after the snapshot
  std::uint64_t segments_with_inputs = 0;
};

// Snapshot + replay into `inputs`, then every segment's state into the (not yet started) twin.
restore_summary restore_twin(const twin_store& store, const twin_catalog& catalog, twin_inputs& inputs, live_twin& twin);

}  // namespace citytwin
