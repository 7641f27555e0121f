#pragma once
// What every actor of one simulation run shares: the read-only city, the router, the current
// travel times (replaced only between windows), and the directory of actors by id.

#include <caf/all.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "actors/road_segment.hpp"
#include "engine/demand/route_table.hpp"
#include "engine/city/city_graph.hpp"
#include "engine/routing/router.hpp"
#include "engine/runtime/simulation_state.hpp"

namespace citytwin {

struct simulation_context {
  explicit simulation_context(const city_graph& g) : graph(g), routes(g), freeflow(freeflow_times(g).ms) {}

  const city_graph& graph;
  router routes;
  std::vector<sim_time> freeflow;          // by segment id: compact, read for every handoff
  sim_time window_length = ms_per_second;
  sim_time reroute_interval = 5 * 60 * ms_per_second;  // how long one set of travel times stays current
  segment_model_options model;
  bool check_invariants = false;
  std::uint64_t seed = 1;
  std::shared_ptr<const route_table> fixed_routes;
  std::shared_ptr<const travel_times> times;
  std::vector<caf::actor> segment_actors;  // by segment id
  std::vector<std::uint32_t> shard_of;     // by segment id
  std::vector<caf::actor> shards;
  // Called whenever the coordinator replaces `times`; a cluster sends them on to the other nodes.
  std::function<void(const travel_times&)> on_times_published;
  // Set in a cluster, whose segments live in several processes: every node's share of a cut taken
  // now (between windows, all idle). Null: the coordinator asks the local actors.
  std::function<std::vector<node_cut>()> gather_cut;

  [[nodiscard]] window_index window_of(sim_time t) const { return t / window_length; }
};

}  // namespace citytwin
