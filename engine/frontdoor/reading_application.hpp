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

// Records the reading; returns whether it is now the newest of its kind for its twin. Grid readings
// name their building or utility node themselves, so `segment` is only used for traffic readings.
bool record_reading(const v1::Reading& reading, segment_id segment, std::uint64_t log_position, twin_inputs& inputs);

// A traffic reading's inputs on their own, not merged with its segment's others (one timed ahead of
// the twin's clock is taken in turn, newest or not).
segment_inputs inputs_of(const v1::Reading& reading, segment_id segment, std::uint64_t log_position);

// A traffic reading's own time (observe_time_ms or event_time_ms), ms since the Unix epoch; 0 for other kinds.
std::int64_t segment_reading_time_ms(const v1::Reading& reading);

// Hands a segment's newest event and/or observation to the simulation; `trust` is the observation's
// weight against the model (its sensor's health, engine/analytics; 1 after a restart).
void send_to_simulation(segment_id segment, const segment_inputs& state, live_twin& twin, bool events = true,
                        bool observations = true, double trust = 1);

// Hands the values of a recorded meter or SCADA reading that are still the newest to the grid: a meter sets
// its building's load, a breaker state opens or closes the breaker, a measured voltage is assimilated.
void send_to_grid(const v1::Reading& reading, std::uint64_t log_position, const twin_inputs& inputs, live_grid& grid);

struct restore_summary {
  bool from_snapshot = false;
  std::uint64_t replayed = 0;  // readings after the snapshot
  std::uint64_t segments_with_inputs = 0;
  std::uint64_t grid_twins_with_inputs = 0;  // buildings and utility nodes given their newest readings again
  std::uint64_t grid_twins_without_grid = 0;  // ... that had readings but this run has no grid (no --grid)
};

// Snapshot + replay into `inputs`, then every segment's state into the (not yet started) twin (for a
// segment with readings timed after the twin's clock: its state at the clock from its history, then
// each of those readings in turn, so planned closures and reopenings all happen), and
// every building's and utility node's into the (not yet started) grid. Throws std::runtime_error when
// the store names twins this city or grid does not have.
restore_summary restore_twin(const twin_store& store, const twin_catalog& catalog, twin_inputs& inputs, live_twin& twin);

}  // namespace citytwin
