#include "engine/forecast/forecast_branch.hpp"

#include <stdexcept>

#include "engine/runtime/simulation.hpp"

namespace citytwin {

void check_forecast_settings(const forecast_settings& settings) {
  if (settings.horizon <= 0) throw std::invalid_argument("the forecast horizon must be positive");
  if (settings.checkpoint_every <= 0) throw std::invalid_argument("the forecast checkpoint interval must be positive");
}

std::vector<forecast_checkpoint> run_traffic_forecast(const city_graph& graph,
                                                      const std::shared_ptr<const simulation_state>& base,
                                                      const forecast_settings& settings,
                                                      const std::atomic<bool>* cancel) {
  check_forecast_settings(settings);
  if (!base) throw std::invalid_argument("a forecast needs a cut of the twin to start from");
  const sim_time end = base->time + settings.horizon;
  std::vector<forecast_checkpoint> checkpoints(1);
  checkpoints[0].time = base->time;
  checkpoints[0].segments.reserve(base->segments.size());
  for (const segment_state& s : base->segments) checkpoints[0].segments.push_back(s.model.snapshot(base->time));

  simulation_options o;
  o.seed = base->seed;
  o.window_length = base->window_length;
  o.reroute_interval = base->reroute_interval;
  o.model = base->model;
  o.demand_scale = base->demand.scale;
  o.duration = end;
  o.threads = settings.threads;
  o.resume_from = base;
  o.cancel = cancel;
  // The live twin's own loop (every window runs), unpaced and with no inputs; its regular publication
  // gives the checkpoints.
  o.live = std::make_shared<live_hooks>();
  o.live->publish_every = settings.checkpoint_every;
  o.live->keep_running = [end](sim_time start) { return start < end; };
  o.live->pull = [](sim_time, auto&, auto&) {};
  o.live->publish = [&](sim_time now, std::vector<segment_snapshot>&& segments) {
    if (now < end) checkpoints.push_back({now, std::move(segments), {}});
  };
  trip_plan plan;
  for (const trip& t : base->departures)
    if (t.departure < end) plan.trips.push_back(t);  // later ones could never leave
  simulation_result run = run_simulation(graph, plan, o);
  checkpoints.push_back({run.end_time, std::move(run.segments), {}});
  return checkpoints;
}

}  // namespace citytwin
