#include "engine/runtime/simulation.hpp"

#include <algorithm>
#include <chrono>

#include "actors/road_segment_actor.hpp"
#include "engine/runtime/coordinator.hpp"
#include "engine/runtime/shard_actor.hpp"

namespace citytwin {

namespace {

caf::actor_system_config make_config(std::uint32_t threads) {
  caf::actor_system_config config;
  config.set("scheduler.max-threads", static_cast<std::size_t>(std::max<std::uint32_t>(1, threads)));
  config.set("logger.console", caf::atom("none"));
  config.add_message_types<caf::id_block::citytwin>();
  return config;
}

std::vector<segment_snapshot> collect_snapshots(caf::actor_system& system, const simulation_context& context,
                                                sim_time now) {
  caf::scoped_actor self{system};
  std::vector<segment_snapshot> out(context.segment_actors.size());
  for (std::size_t s = 0; s < context.segment_actors.size(); ++s)
    self->request(context.segment_actors[s], caf::infinite, get_state_atom_v, now)
        .receive([&](segment_snapshot& snap) { out[s] = std::move(snap); },
                 [&](caf::error& e) { throw std::runtime_error("segment did not answer: " + system.render(e)); });
  return out;
}

// A cut only fits the city and model it was taken with.
void check_resumable(const city_graph& graph, const trip_plan& plan, const simulation_options& options,
                     const simulation_state& state) {
  auto fail = [](const std::string& why) { throw std::invalid_argument("cannot resume from this state: " + why); };
  const auto n = graph.segments.size();
  if (state.segments.size() != n || state.bookings.size() != n || state.shard_estimates.size() != n ||
      state.closed.size() != n || state.estimates.size() != n)
    fail("it was taken on a city with " + std::to_string(state.segments.size()) + " segments, this one has " +
         std::to_string(n));
  if (options.window_length != state.window_length) fail("the window length differs");
  if (options.reroute_interval != state.reroute_interval) fail("the reroute interval differs");
  if (!(options.model == state.model)) fail("the segment model options differ");
  if (options.seed != state.seed) fail("the seed differs (route choices would change)");
  for (const auto& t : plan.trips)
    if (t.departure < state.time) fail("a departure at " + format_clock(t.departure) + " is before the cut");
}

}  // namespace

void configure_context(simulation_context& context, const simulation_options& options) {
  context.window_length = options.window_length;
  context.reroute_interval = options.reroute_interval;
  context.model = options.model;
  context.check_invariants = options.check_invariants;
  context.seed = options.resume_from ? options.resume_from->seed : options.seed;
  context.fixed_routes = options.fixed_routes;
}

simulation_result run_simulation(const city_graph& graph, const trip_plan& plan, const simulation_options& options) {
  if (options.window_length <= 0) throw std::invalid_argument("window length must be positive");
  if (options.reroute_interval <= 0) throw std::invalid_argument("reroute interval must be positive");
  const auto started = std::chrono::steady_clock::now();
  simulation_result result;
  result.planned_trips = plan.trips.size();
  result.skipped_intrazonal = plan.skipped_intrazonal;
  result.synthetic_demand = plan.synthetic;

  auto config = make_config(options.threads);
  caf::actor_system system{config};
  simulation_context context(graph);
  configure_context(context, options);
  const auto segment_count = graph.segments.size();
  const std::uint32_t shard_count = std::max<std::uint32_t>(1, options.threads);
  // Contiguous id blocks per shard; results do not depend on the split.
  context.shard_of.resize(segment_count);
  std::vector<std::vector<segment_id>> owned(shard_count);
  for (segment_id s = 0; s < segment_count; ++s) {
    auto shard = static_cast<std::uint32_t>(static_cast<std::uint64_t>(s) * shard_count / std::max<std::size_t>(1, segment_count));
    context.shard_of[s] = shard;
    owned[shard].push_back(s);
  }
  std::vector<std::vector<trip>> departures(shard_count);
  for (const auto& t : plan.trips) departures[t.origin % shard_count].push_back(t);

  const simulation_state* resume = options.resume_from.get();
  if (resume != nullptr) check_resumable(graph, plan, options, *resume);
  if (options.cancel != nullptr && options.cancel->load()) throw simulation_cancelled();
  window_coordinator coordinator(system, context, options, plan);  // publishes the first travel times
  context.segment_actors.reserve(segment_count);
  for (segment_id s = 0; s < segment_count; ++s)
    context.segment_actors.push_back(
        system.spawn(road_segment_actor, s, &context, resume != nullptr ? &resume->segments[s] : nullptr));
  for (std::uint32_t i = 0; i < shard_count; ++i)
    context.shards.push_back(system.spawn(shard_actor, i, std::move(owned[i]), std::move(departures[i]), &context, resume));
  options.metrics.add_actors(actor_kind::segment, static_cast<std::int64_t>(context.segment_actors.size()));
  options.metrics.add_actors(actor_kind::shard, static_cast<std::int64_t>(context.shards.size()));
  // Counted out on every way out of this function, a throw included.
  struct actors_ended {
    const simulation_options& options;
    const simulation_context& context;
    ~actors_ended() {
      options.metrics.add_actors(actor_kind::segment, -static_cast<std::int64_t>(context.segment_actors.size()));
      options.metrics.add_actors(actor_kind::shard, -static_cast<std::int64_t>(context.shards.size()));
    }
  } count_actors_ended{options, context};

  try {
    coordinator.run(result);
    result.segments = collect_snapshots(system, context, result.end_time);
  } catch (...) {
    for (auto& a : context.segment_actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& a : context.shards) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    throw;
  }
  for (auto& a : context.segment_actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& a : context.shards) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  std::sort(result.trips.begin(), result.trips.end(),
            [](const trip_record& a, const trip_record& b) { return a.vehicle < b.vehicle; });
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace citytwin
