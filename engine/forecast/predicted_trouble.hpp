#pragma once
// Trouble a forecast predicts: a road segment whose mean speed falls below 30 % of its free-flow speed,
// or a utility node whose feeding branch (transformer or line) is loaded above 100 % of its rating.
// Only checkpoints after the cut count (the cut is the present, not a prediction), and a closed segment
// is never "slow" (its state is a decision, not a prediction).

#include <cstdint>
#include <vector>

#include "engine/city/city_graph.hpp"
#include "engine/clock/sim_time.hpp"

namespace citytwin {

struct forecast;
struct radial_network;

inline constexpr double slow_segment_fraction = 0.3;  // of free-flow speed
inline constexpr double overload_loading = 1.0;       // of the branch rating

enum class trouble_kind : std::uint8_t { slow_segment, overload };

struct predicted_trouble {
  trouble_kind kind = trouble_kind::slow_segment;
  std::uint32_t index = 0;  // segment id, or node index in the grid's network
  sim_time first_at = 0;    // the first checkpoint where it is in trouble
  sim_time worst_at = 0;    // the checkpoint where it is worst (the first of equals)
  double worst = 0;         // slow_segment: lowest fraction of free-flow speed; overload: highest loading
  bool operator==(const predicted_trouble&) const = default;
};

// Every trouble in `f`, segments first (by id), then utility nodes (by index). `network` may be null
// (no grid: no overloads).
std::vector<predicted_trouble> find_predicted_trouble(const city_graph& graph, const radial_network* network,
                                                      const forecast& f);

}  // namespace citytwin
